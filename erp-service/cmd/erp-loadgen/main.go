// Command erp-loadgen loads the ERP database with a large, consistent
// history (a stock ledger of millions of rows, a million invoices with
// their payments and journal entries) and measures availability, the trial
// balance and receivables aging through the real gRPC API.
//
// It keeps its PostgreSQL cluster in -dir, so the data is loaded once and
// later runs only measure:
//
//	go run ./cmd/erp-loadgen
//
// The defaults are the benchmark's size (10,000,000 ledger rows,
// 1,000,000 invoices); -url uses an existing, migrated database instead.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pglocal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "erp-loadgen:", err)
		os.Exit(1)
	}
}

type options struct {
	size    Size
	samples Samples
	dir     string
	port    int
	url     string
	keep    bool
	reload  bool
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("erp-loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.size.LedgerRows, "ledger-rows", 10_000_000, "stock ledger rows")
	fs.IntVar(&o.size.Invoices, "invoices", 1_000_000, "invoices (one per shipped order)")
	fs.IntVar(&o.size.SKUs, "skus", 20_000, "items")
	fs.IntVar(&o.size.Customers, "customers", 50_000, "customers")
	fs.IntVar(&o.size.Warehouses, "warehouses", 4, "warehouses")
	fs.Float64Var(&o.size.HotShare, "hot-share", 0.10, "share of order lines on the hot SKU "+hotSKU)
	fs.IntVar(&o.size.Days, "days", 730, "days of history, ending today")
	fs.Uint64Var(&o.size.Seed, "seed", 1, "random seed")
	fs.IntVar(&o.samples.Availability, "samples", 2000, "timed calls per availability measurement")
	fs.IntVar(&o.samples.Reports, "report-samples", 50, "timed calls of the trial balance and of aging's first page")
	fs.IntVar(&o.samples.FullAging, "full-aging-samples", 5, "timed walks of every aging page")
	fs.StringVar(&o.dir, "dir", filepath.Join(os.TempDir(), "seam-erp-loadgen"), "directory of the PostgreSQL cluster, kept between runs")
	fs.IntVar(&o.port, "port", 55499, "port of the PostgreSQL cluster")
	fs.StringVar(&o.url, "url", "", "use this database (migrated by the tool) instead of a cluster in -dir")
	fs.BoolVar(&o.keep, "keep", false, "leave the cluster running")
	fs.BoolVar(&o.reload, "reload", false, "drop the loaded data and load again")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	if o.size.SKUs < 1 || o.size.Customers < 1 || o.size.Warehouses < 1 || o.size.Days < 1 || o.size.Invoices < 0 {
		return o, errors.New("skus, customers, warehouses and days must be positive")
	}
	return o, nil
}

// marker names the loaded size, kept as the database's comment.
func marker(s Size) string {
	return fmt.Sprintf("erp-loadgen ledger=%d invoices=%d skus=%d customers=%d warehouses=%d hot=%g days=%d seed=%d",
		s.LedgerRows, s.Invoices, s.SKUs, s.Customers, s.Warehouses, s.HotShare, s.Days, s.Seed)
}

func run(ctx context.Context, args []string, stdout io.Writer) (err error) {
	o, err := parse(args, os.Stderr)
	if err != nil {
		return err
	}
	logf := func(format string, a ...any) {
		fmt.Fprintf(stdout, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, a...)...)
	}
	url := o.url
	if url == "" {
		c, err := pglocal.Start(ctx, o.dir, o.port, serverSettings...)
		if err != nil {
			return err
		}
		if !o.keep {
			defer func() {
				if serr := c.Stop(); err == nil {
					err = serr
				}
			}()
		}
		if o.reload {
			if err := dropDatabase(ctx, c.AdminURL(), "erp_loadgen"); err != nil {
				return err
			}
		}
		if url, err = c.EnsureDatabase(ctx, "erp_loadgen"); err != nil {
			return err
		}
	}
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 32})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := Prepare(ctx, pool, o.size, logf); err != nil {
		return err
	}
	res, err := Measure(ctx, pool, o.size.SKUs, o.samples)
	if err != nil {
		return err
	}
	var load string
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		load = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	fmt.Fprintf(stdout, "\n%s; load average %s\n\n", marker(o.size), load)
	Print(stdout, res)
	return nil
}

// Prepare migrates the database and, unless it already holds data of this
// size, loads it, checks its invariants and analyzes it.
func Prepare(ctx context.Context, pool *pgxpool.Pool, size Size, logf func(string, ...any)) error {
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		return err
	}
	var comment *string
	if err := pool.QueryRow(ctx, `SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()`).
		Scan(&comment); err != nil {
		return err
	}
	if comment != nil && *comment == marker(size) {
		logf("database already holds %s", *comment)
		return nil
	}
	var n int64
	if err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM items) + (SELECT count(*) FROM customers)`).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return errors.New("the database holds other data; use -reload (or a fresh -url database)")
	}
	logf("loading %s", marker(size))
	start := time.Now()
	counts, err := Load(ctx, pool, size, logf)
	if err != nil {
		return err
	}
	logf("loaded in %s: %v", time.Since(start).Round(time.Second), counts)
	// The load ran with triggers off; the sales report's daily totals
	// are summed once from the invoices.
	start = time.Now()
	if _, err := pool.Exec(ctx, `SELECT erp_sales_rebuild()`); err != nil {
		return err
	}
	logf("sales totals summed in %s", time.Since(start).Round(time.Second))
	start = time.Now()
	if _, err := pool.Exec(ctx, `VACUUM (ANALYZE)`); err != nil {
		return err
	}
	logf("vacuumed and analyzed in %s", time.Since(start).Round(time.Second))
	start = time.Now()
	if err := Check(ctx, pool); err != nil {
		return err
	}
	logf("invariants hold (checked in %s)", time.Since(start).Round(time.Second))
	_, err = pool.Exec(ctx, fmt.Sprintf(`COMMENT ON DATABASE %s IS '%s'`,
		pgx.Identifier{currentDatabase(ctx, pool)}.Sanitize(), marker(size)))
	return err
}

func currentDatabase(ctx context.Context, pool *pgxpool.Pool) string {
	var name string
	_ = pool.QueryRow(ctx, `SELECT current_database()`).Scan(&name)
	return name
}

// createDatabase creates name on the server of adminURL if missing, or
// afresh when drop is set.
// dropDatabase drops database name, if it exists, for a fresh load.
func dropDatabase(ctx context.Context, adminURL, name string) error {
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// Print writes results as a Markdown table.
func Print(w io.Writer, res []Result) {
	fmt.Fprintln(w, "| call | calls | p50 | p99 | max | |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|")
	for _, r := range res {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %s |\n", r.Name, r.Calls, ms(r.P50), ms(r.P99), ms(r.Max), r.Note)
	}
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
}
