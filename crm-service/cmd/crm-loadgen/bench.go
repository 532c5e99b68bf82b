package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/crm-service/internal/app"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/config"
	"github.com/seamhq/seam/platform/server"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type benchOptions struct {
	samples int
	page    int
	only    string
}

func (b *benchOptions) register(fs *flag.FlagSet) {
	fs.IntVar(&b.samples, "samples", 500, "calls measured per case (the report: a tenth of it, at least 10)")
	fs.IntVar(&b.page, "page", 1000, "the deep list page measured against page 1")
	fs.StringVar(&b.only, "only", "", "comma-separated cases to run: get, list, search, report (default all)")
}

func (b benchOptions) runs(name string) bool {
	return b.only == "" || slices.Contains(strings.Split(b.only, ","), name)
}

// client calls the API as an administrator.
type client struct {
	ctx     context.Context
	opps    crmv1.OpportunityServiceClient
	search  crmv1.SearchServiceClient
	reports crmv1.ReportServiceClient
}

// serve starts the CRM service in-process on local TCP ports against url
// and returns a client of its gRPC API; stop ends it.
func serve(ctx context.Context, url string) (c *client, stop func(), err error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, nil, err
	}
	for k, v := range map[string]string{
		"GRPC_ADDR": "127.0.0.1:0", "HTTP_ADDR": "127.0.0.1:0", "DATABASE_URL": url,
		"AUTH_SECRET": hex.EncodeToString(secret), "LOG_LEVEL": "warn",
	} {
		if err := os.Setenv(k, v); err != nil {
			return nil, nil, err
		}
	}
	var cfg app.Config
	if err := config.Load(ctx, &cfg, app.Defaults); err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	started := make(chan *server.Server, 1)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, io.Discard, func(s *server.Server) { started <- s }) }()
	var srv *server.Server
	select {
	case srv = <-started:
	case err := <-done:
		cancel()
		return nil, nil, fmt.Errorf("start the CRM service: %w", err)
	}
	conn, err := grpc.NewClient(srv.GRPCAddr(), append(server.WindowDialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		cancel()
		if serr := <-done; serr != nil && !errors.Is(serr, context.Canceled) {
			return nil, nil, errors.Join(err, serr)
		}
		return nil, nil, err
	}
	stop = func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			fmt.Fprintln(os.Stderr, "crm-service:", err)
		}
	}
	token, err := auth.Sign([]byte(cfg.Auth.Secret), "crm-loadgen", []auth.Role{auth.Admin}, 24*time.Hour)
	if err != nil {
		stop()
		return nil, nil, err
	}
	return &client{
		ctx:     metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+token),
		opps:    crmv1.NewOpportunityServiceClient(conn),
		search:  crmv1.NewSearchServiceClient(conn),
		reports: crmv1.NewReportServiceClient(conn),
	}, stop, nil
}

// timings collects the latencies of one case.
type timings struct {
	name string
	d    []time.Duration
	// what each call asked, when worth showing for the slowest calls
	what []string
}

func (t *timings) time(f func() error) error {
	start := time.Now()
	err := f()
	t.d = append(t.d, time.Since(start))
	if err != nil {
		return fmt.Errorf("%s: %w", t.name, err)
	}
	return nil
}

func (t *timings) at(q float64) time.Duration {
	s := slices.Clone(t.d)
	slices.Sort(s)
	return s[int(math.Ceil(q*float64(len(s))))-1]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}

// bench measures each case with o.samples sequential calls on one
// connection, after a few unmeasured ones.
func bench(ctx context.Context, pool *pgxpool.Pool, url string, o benchOptions, stdout io.Writer) error {
	var counts [5]int64
	err := pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM opportunities), (SELECT count(*) FROM accounts),
(SELECT count(*) FROM contacts), (SELECT count(*) FROM leads), (SELECT count(*) FROM opportunity_lines)`).
		Scan(&counts[0], &counts[1], &counts[2], &counts[3], &counts[4])
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "data: %d opportunities (%d lines), %d accounts, %d contacts, %d leads\n",
		counts[0], counts[4], counts[1], counts[2], counts[3])
	c, stop, err := serve(ctx, url)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Fprintf(stdout, "load average before: %s\n", loadAverage())
	r := mrand.New(mrand.NewPCG(1, 2))
	var all []*timings
	if o.runs("get") {
		t, err := benchGet(ctx, c, pool, r, o.samples)
		if err != nil {
			return err
		}
		all = append(all, t)
	}
	if o.runs("list") {
		for _, filter := range []string{"", `owner = "rep01"`, `stage = "STAGE_NEGOTIATION"`} {
			ts, err := benchPages(c, filter, o.page, o.samples)
			if err != nil {
				return err
			}
			all = append(all, ts...)
		}
	}
	if o.runs("search") {
		ts, err := benchSearch(ctx, c, pool, r, o.samples)
		if err != nil {
			return err
		}
		all = append(all, ts...)
	}
	if o.runs("report") {
		t := &timings{name: "pipeline report"}
		n := max(o.samples/10, 10)
		for i := range n + 2 {
			if i == 2 {
				t.d = nil // warm-up
			}
			if err := t.time(func() error {
				_, err := c.reports.GetPipelineReport(c.ctx, &crmv1.GetPipelineReportRequest{})
				return err
			}); err != nil {
				return err
			}
		}
		all = append(all, t)
	}
	fmt.Fprintf(stdout, "load average after: %s\n\n", loadAverage())
	fmt.Fprintln(stdout, "| case | calls | p50 | p90 | p99 | max |")
	fmt.Fprintln(stdout, "|---|---|---|---|---|---|")
	for _, t := range all {
		fmt.Fprintf(stdout, "| %s | %d | %s | %s | %s | %s |\n", t.name, len(t.d), ms(t.at(0.5)), ms(t.at(0.9)), ms(t.at(0.99)), ms(t.at(1)))
	}
	for _, t := range all {
		if len(t.what) == len(t.d) && len(t.d) > 0 {
			idx := make([]int, len(t.d))
			for i := range idx {
				idx[i] = i
			}
			slices.SortFunc(idx, func(a, b int) int { return -cmp.Compare(t.d[a], t.d[b]) })
			fmt.Fprintf(stdout, "\nslowest of %s:", t.name)
			for _, i := range idx[:min(5, len(idx))] {
				fmt.Fprintf(stdout, " %q %s;", t.what[i], ms(t.d[i]))
			}
			fmt.Fprintln(stdout)
		}
	}
	return nil
}

// benchGet reads opportunities picked at random.
func benchGet(ctx context.Context, c *client, pool *pgxpool.Pool, r *mrand.Rand, n int) (*timings, error) {
	rows, err := pool.Query(ctx, `SELECT id::text FROM opportunities TABLESAMPLE BERNOULLI (1) LIMIT 5000`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errors.New("no opportunities to get")
	}
	t := &timings{name: "GetOpportunity"}
	for i := range n + 20 {
		if i == 20 {
			t.d = nil
		}
		id := ids[r.IntN(len(ids))]
		if err := t.time(func() error {
			_, err := c.opps.GetOpportunity(c.ctx, &crmv1.GetOpportunityRequest{Id: id})
			return err
		}); err != nil {
			return nil, err
		}
	}
	return t, nil
}

// benchPages follows page tokens from page 1 to page target (50 a page)
// with filter, then calls page 1 and page target alternately n times
// each, so both see the same machine.
func benchPages(c *client, filter string, target, n int) ([]*timings, error) {
	const size = 50
	label := "ListOpportunities"
	if filter != "" {
		label += " " + filter
	}
	walk := &timings{name: fmt.Sprintf("%s, pages 2-%d in a walk", label, target)}
	page := func(token string) (string, error) {
		resp, err := c.opps.ListOpportunities(c.ctx, &crmv1.ListOpportunitiesRequest{PageSize: size, PageToken: token, Filter: filter})
		if err != nil {
			return "", err
		}
		if len(resp.Opportunities) != size {
			return "", fmt.Errorf("page of %d opportunities", len(resp.Opportunities))
		}
		return resp.NextPageToken, nil
	}
	token, err := page("")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	for p := 2; p < target; p++ {
		if err := walk.time(func() error { token, err = page(token); return err }); err != nil {
			return nil, err
		}
		if token == "" {
			return nil, fmt.Errorf("%s: only %d pages", label, p)
		}
	}
	last := token // the token of page target
	if err := walk.time(func() error { _, err := page(last); return err }); err != nil {
		return nil, err
	}
	first := &timings{name: label + ", page 1"}
	thousandth := &timings{name: fmt.Sprintf("%s, page %d", label, target)}
	for i := range n + 10 {
		if i == 10 {
			first.d, thousandth.d = nil, nil
		}
		if err := first.time(func() error { _, err := page(""); return err }); err != nil {
			return nil, err
		}
		if err := thousandth.time(func() error { _, err := page(last); return err }); err != nil {
			return nil, err
		}
	}
	return []*timings{first, thousandth, walk}, nil
}

// benchSearch searches for the first 2 to 6 characters of names and
// emails of accounts, contacts and leads, as a person typing them would.
// The records are a scattered sample (by a hash of the id) that is the
// same on every run over the same data, and so are the prefixes drawn
// from them when the run's other measurements are the same.
func benchSearch(ctx context.Context, c *client, pool *pgxpool.Pool, r *mrand.Rand, n int) ([]*timings, error) {
	rows, err := pool.Query(ctx, `(SELECT name FROM accounts ORDER BY md5(id::text) LIMIT 1000)
UNION ALL (SELECT name FROM contacts ORDER BY md5(id::text) LIMIT 1000)
UNION ALL (SELECT email FROM contacts ORDER BY md5(id::text) LIMIT 1000)
UNION ALL (SELECT name FROM leads ORDER BY md5(id::text) LIMIT 1000)
UNION ALL (SELECT email FROM leads ORDER BY md5(id::text) LIMIT 1000)`)
	if err != nil {
		return nil, err
	}
	var texts []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		if len(s) >= 6 {
			texts = append(texts, s)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(texts) == 0 {
		return nil, errors.New("no names to search for")
	}
	short := &timings{name: "Search, 2-3 character prefix"}
	long := &timings{name: "Search, 4-6 character prefix"}
	for i := range n + 20 {
		if i == 20 {
			short.d, long.d, short.what, long.what = nil, nil, nil, nil
		}
		k := 2 + r.IntN(5)
		q := string([]rune(texts[r.IntN(len(texts))])[:k])
		t := long
		if k <= 3 {
			t = short
		}
		t.what = append(t.what, q)
		if err := t.time(func() error {
			resp, err := c.search.Search(c.ctx, &crmv1.SearchRequest{Query: q, PageSize: 20})
			if err == nil && len(resp.Results) == 0 {
				err = fmt.Errorf("nothing found for %q", q)
			}
			return err
		}); err != nil {
			return nil, err
		}
	}
	return []*timings{short, long}, nil
}
