package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/loadgen"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/cputime"
)

// BenchmarkWonDealLoop measures deals per second and the latency from :win
// to the ERP order number visible in the CRM (and, for every tenth deal,
// to the order number and the items' availability with the deal's
// reservations), with the three real binaries and PostgreSQL on this
// machine, and the CPU each deal costs across all of them. Run with
// -benchtime 1x; the deal count is fixed per sub-benchmark. Each client
// wins a deal and watches it until its order number shows before it wins
// the next (with SEAM_LOOP_POLL set, a duration such as 2ms, it polls
// instead), except in clients=4/back-to-back, which measures capacity.
// SEAM_SERVICE_ENV ("GOMAXPROCS=1 GOGC=200") adds variables to every
// service's environment, for comparing runtime settings.
func BenchmarkWonDealLoop(b *testing.B) {
	var poll time.Duration
	if v := os.Getenv("SEAM_LOOP_POLL"); v != "" {
		var err error
		if poll, err = time.ParseDuration(v); err != nil {
			b.Fatalf("SEAM_LOOP_POLL: %v", err)
		}
	}
	env := map[string]map[string]string{}
	for _, name := range stack.Names {
		env[name] = map[string]string{"LOG_LEVEL": "warn"}
		for _, kv := range strings.Fields(os.Getenv("SEAM_SERVICE_ENV")) {
			k, v, ok := strings.Cut(kv, "=")
			if !ok {
				b.Fatalf("SEAM_SERVICE_ENV: %q is not NAME=value", kv)
			}
			env[name][k] = v
		}
	}
	st := startStack(b, env)
	ctx := context.Background()
	crm, erp := dialAdmin(b, st, stack.CRM), dialAdmin(b, st, stack.ERP)
	account, skus, err := loadgen.Setup(ctx, crm, erp, "BENCH")
	if err != nil {
		b.Fatal(err)
	}
	// Warm up connections, caches and the bridge's links.
	if _, err := loadgen.WonDeals(ctx, crm, account, skus, loadgen.Config{Clients: 1, Deals: 50, Poll: poll}); err != nil {
		b.Fatal(err)
	}
	report := func(b *testing.B, cpu0 cpuUse, res loadgen.Result) {
		b.ReportMetric(res.PerSecond, "deals/s")
		b.ReportMetric(float64(res.P50.Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(res.P99.Microseconds())/1000, "p99-ms")
		b.ReportMetric(float64(res.BothP99.Microseconds())/1000, "p99-with-stock-ms")
		b.Logf("%s (%s)", res, time.Now().Format(time.RFC3339))
		reportCPU(b, cpu0, readCPU(b, st), res.Deals)
	}
	for _, clients := range []int{1, 4} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			for b.Loop() {
				cpu0 := readCPU(b, st)
				res, err := loadgen.WonDeals(ctx, crm, account, skus, loadgen.Config{Clients: clients, Deals: 500, Poll: poll, ERP: erp})
				if err != nil {
					b.Fatal(err)
				}
				report(b, cpu0, res)
			}
			reportPeakMemory(b, st)
		})
	}
	// The same loop from :win on: the opportunities are created first,
	// as deals are, long before they are won, and the clock starts once
	// the bridge has passed their events.
	b.Run("clients=4/opened-before", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ids, err := loadgen.Open(ctx, crm, account, skus, 500, 4)
			if err != nil {
				b.Fatal(err)
			}
			time.Sleep(2 * time.Second)
			b.StartTimer()
			cpu0 := readCPU(b, st)
			res, err := loadgen.WonDeals(ctx, crm, account, skus, loadgen.Config{Clients: 4, Open: ids, Poll: poll, ERP: erp})
			if err != nil {
				b.Fatal(err)
			}
			report(b, cpu0, res)
		}
	})
	// The loop's capacity: the wins come back to back from four clients
	// that do not wait for the orders, so every process has work queued.
	b.Run("clients=4/back-to-back", func(b *testing.B) {
		for b.Loop() {
			b.StopTimer()
			ids, err := loadgen.Open(ctx, crm, account, skus, 2000, 4)
			if err != nil {
				b.Fatal(err)
			}
			time.Sleep(3 * time.Second)
			b.StartTimer()
			cpu0 := readCPU(b, st)
			res, err := loadgen.BackToBack(ctx, crm, ids, 4)
			if err != nil {
				b.Fatal(err)
			}
			report(b, cpu0, res)
		}
	})
}

// cpuUse is the CPU used so far by each service, by PostgreSQL's
// processes per database ("PostgreSQL crm-service" etc.; "PostgreSQL
// other" for its own processes and exited backends) and by everything in
// the benchmark's process tree ("all": the services, PostgreSQL, which is
// a child of the test process, and the load generator). With PGTEST_URL
// set, PostgreSQL runs elsewhere and is not counted.
type cpuUse map[string]time.Duration

const pgOther = "PostgreSQL other"

func readCPU(b *testing.B, st *stack.Stack) cpuUse {
	u := cpuUse{}
	var err error
	for _, name := range stack.Names {
		if u[name], err = cputime.Tree(st.Process(name).Pid()); err != nil {
			b.Fatal(err)
		}
	}
	dbs := map[string]string{}
	for _, name := range stack.Names {
		dbs[st.Database(name)] = "PostgreSQL " + name
	}
	groups, err := cputime.Grouped(os.Getpid(), func(cmd string) string {
		f := strings.Fields(cmd)
		switch {
		case len(f) >= 3 && f[0] == "postgres:":
			if g, ok := dbs[f[2]]; ok {
				return g // a backend: "postgres: user database host(port) state"
			}
			return pgOther
		case len(f) > 0 && (f[0] == "postgres:" || filepath.Base(f[0]) == "postgres"):
			return pgOther // the postmaster (with the backends it reaped) and its helpers
		default:
			return ""
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	for g, d := range groups {
		if g != "" {
			u[g] = d
		}
		u["all"] += d
	}
	return u
}

// reportCPU logs the CPU each deal cost, per process and in all, and
// reports the total: unlike deals/s it hardly depends on what else the
// machine runs, so it is the figure to compare.
func reportCPU(b *testing.B, before, after cpuUse, deals int) {
	per := func(name string) float64 {
		return float64((after[name] - before[name]).Microseconds()) / 1000 / float64(deals)
	}
	rest := per("all")
	msg := "CPU per deal:"
	var names []string
	names = append(names, stack.Names...)
	for _, name := range stack.Names {
		names = append(names, "PostgreSQL "+name)
	}
	for _, name := range append(names, pgOther) {
		msg += fmt.Sprintf(" %s %.2f ms,", name, per(name))
		rest -= per(name)
	}
	b.Logf("%s load generator %.2f ms; all %.2f ms", msg, rest, per("all"))
	b.ReportMetric(per("all"), "cpu-ms/deal")
}

// reportPeakMemory logs and reports each service's peak resident memory.
func reportPeakMemory(b *testing.B, st *stack.Stack) {
	for _, name := range stack.Names {
		rss, err := st.Process(name).PeakRSS()
		if err != nil {
			b.Logf("%s peak memory: %v", name, err)
			continue
		}
		b.Logf("%s peak resident memory: %.1f MiB", name, float64(rss)/(1<<20))
	}
}
