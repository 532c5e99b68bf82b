// Command crm-loadgen fills a CRM database with generated accounts and
// opportunities with lines, by COPY, for benchmarks (the 1,000,000
// opportunity runs):
//
//	DATABASE_URL=postgres://... crm-loadgen -accounts 100000 -opportunities 1000000 -lines 3
//
// It applies the migrations first and adds to what is there (SKUs
// LOAD-nnnnn must not exist yet).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/pg"
)

func main() { boot.Main("crm-loadgen", run) }

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("crm-loadgen", flag.ContinueOnError)
	var spec postgres.BulkSpec
	fs.IntVar(&spec.Accounts, "accounts", 1000, "accounts to insert")
	fs.IntVar(&spec.Opportunities, "opportunities", 10000, "opportunities to insert")
	fs.IntVar(&spec.LinesPerOpportunity, "lines", 3, "lines per opportunity")
	fs.IntVar(&spec.Products, "products", 200, "products to insert")
	fs.Uint64Var(&spec.Seed, "seed", 1, "random seed")
	url := fs.String("database-url", envOr("DATABASE_URL", "postgres://postgres@127.0.0.1:55432/crm?sslmode=disable"), "database URL")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pool, err := pg.Connect(ctx, pg.Config{URL: *url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		return err
	}
	spec.Now = time.Now()
	start := time.Now()
	err = postgres.New(pool).BulkLoad(ctx, spec, func(table string, rows int64) {
		fmt.Fprintf(stdout, "%-18s %10d rows  %s\n", table, rows, time.Since(start).Round(time.Millisecond))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "done in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
