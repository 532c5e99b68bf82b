// Command crm-loadgen generates a CRM data set by COPY and measures the
// CRM's read paths on it through the gRPC API (the 1,000,000 opportunity
// benchmark of BENCHMARKS.md):
//
//	crm-loadgen load  [-database-url URL | -data-dir DIR] [-opportunities N ...]
//	crm-loadgen bench [-database-url URL | -data-dir DIR] [-opportunities N ...] [-samples N]
//
// load applies the migrations and adds a generated data set to the
// database (SKUs LOAD-nnnnn must not exist yet). bench does the same when
// the database holds no opportunities yet, then serves the CRM API
// in-process on a local TCP port and prints the latency of get, list,
// search and report calls. Without -database-url (or $DATABASE_URL) both keep
// a PostgreSQL cluster in -data-dir between runs, start it from the system's
// server binaries, and stop it when done, so the data is generated once.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pglocal"
)

func main() { boot.MainCLI("crm-loadgen", run) }

// options are the flags both subcommands share.
type options struct {
	spec    postgres.BulkSpec
	url     string
	dataDir string
	port    int
	keep    bool
}

func (o *options) register(fs *flag.FlagSet) {
	fs.IntVar(&o.spec.Accounts, "accounts", 200000, "accounts to generate")
	fs.IntVar(&o.spec.Contacts, "contacts", 400000, "contacts to generate")
	fs.IntVar(&o.spec.Leads, "leads", 200000, "leads to generate")
	fs.IntVar(&o.spec.Opportunities, "opportunities", 1000000, "opportunities to generate")
	fs.IntVar(&o.spec.LinesPerOpportunity, "lines", 3, "mean lines per opportunity")
	fs.IntVar(&o.spec.Products, "products", 500, "products to generate")
	fs.IntVar(&o.spec.Owners, "owners", 20, "sales reps owning the records")
	fs.Uint64Var(&o.spec.Seed, "seed", 1, "random seed")
	fs.StringVar(&o.url, "database-url", os.Getenv("DATABASE_URL"), "database URL, default $DATABASE_URL (instead of -data-dir)")
	fs.StringVar(&o.dataDir, "data-dir", ".data/crm-bench", "directory of the PostgreSQL cluster kept between runs (without -database-url)")
	fs.IntVar(&o.port, "port", 55480, "port of the cluster in -data-dir")
	fs.BoolVar(&o.keep, "keep-running", false, "leave the cluster in -data-dir running at exit")
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	cmd := "load"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	fs := flag.NewFlagSet("crm-loadgen "+cmd, flag.ContinueOnError)
	var o options
	o.register(fs)
	var b benchOptions
	if cmd == "bench" {
		b.register(fs)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	switch cmd {
	case "load", "bench":
	default:
		return fmt.Errorf("unknown command %q (want load or bench)", cmd)
	}
	url := o.url
	if url == "" {
		c, err := pglocal.Start(ctx, o.dataDir, o.port, clusterSettings...)
		if err != nil {
			return err
		}
		if !o.keep {
			defer func() {
				if err := c.Stop(); err != nil {
					fmt.Fprintln(stdout, err)
				}
			}()
		}
		if url, err = c.EnsureDatabase(ctx, "crm"); err != nil {
			return err
		}
	}
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 4})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		return err
	}
	if cmd == "load" {
		return load(ctx, pool, o.spec, stdout)
	}
	var have int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM opportunities`).Scan(&have); err != nil {
		return err
	}
	if have == 0 {
		if err := load(ctx, pool, o.spec, stdout); err != nil {
			return err
		}
	}
	return bench(ctx, pool, url, b, stdout)
}

func load(ctx context.Context, pool *pgxpool.Pool, spec postgres.BulkSpec, stdout io.Writer) error {
	spec.Now = time.Now()
	start := time.Now()
	err := postgres.New(pool).BulkLoad(ctx, spec, func(table string, rows int64) {
		fmt.Fprintf(stdout, "%-18s %10d rows  %s\n", table, rows, time.Since(start).Round(time.Millisecond))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "loaded in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}
