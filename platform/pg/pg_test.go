package pg_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// schema is the migration set the tests' template database is built from.
var schema = fstest.MapFS{
	"0001_accounts.sql": {Data: []byte(`
CREATE TABLE accounts (
	id      bigint  PRIMARY KEY,
	name    text    NOT NULL CONSTRAINT accounts_name_key UNIQUE,
	balance numeric NOT NULL DEFAULT 0 CONSTRAINT accounts_balance_nonneg CHECK (balance >= 0)
);
---- create above / drop below ----
DROP TABLE accounts;
`)},
	"0002_entries.sql": {Data: []byte(`
CREATE TABLE entries (
	id         bigserial PRIMARY KEY,
	account_id bigint    NOT NULL CONSTRAINT entries_account_fk REFERENCES accounts (id),
	amount     numeric   NOT NULL
);
-- unique only at commit time, to make a commit fail
CREATE TABLE tickets (
	code text CONSTRAINT tickets_code_key UNIQUE DEFERRABLE INITIALLY DEFERRED
);
`)},
}

// newDB returns a pool on a fresh database migrated with schema.
func newDB(t *testing.T) *pgxpool.Pool {
	t.Helper()
	u := pgtest.NewDB(t, "pg", func(ctx context.Context, u string) error {
		pool, err := pg.Connect(ctx, pg.Config{URL: u, MaxConns: 2})
		if err != nil {
			return err
		}
		defer pool.Close()
		return pg.Migrate(ctx, pool, schema)
	})
	return connect(t, u)
}

func connect(t *testing.T, u string) *pgxpool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pg.Connect(ctx, pg.Config{URL: u, MaxConns: 8})
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestConnectDecimal(t *testing.T) {
	t.Parallel()
	pool := connect(t, pgtest.CreateDatabase(t, "decimal"))
	ctx := context.Background()

	in := decimal.RequireFromString("12345678901234567890.123456789")
	var out decimal.Decimal
	if err := pool.QueryRow(ctx, "SELECT $1::numeric", in).Scan(&out); err != nil {
		t.Fatal(err)
	}
	if !out.Equal(in) || out.String() != in.String() {
		t.Errorf("numeric round trip = %s, want %s", out, in)
	}

	var sum decimal.Decimal
	if err := pool.QueryRow(ctx, "SELECT 0.1::numeric + 0.2::numeric").Scan(&sum); err != nil {
		t.Fatal(err)
	}
	if want := decimal.RequireFromString("0.3"); !sum.Equal(want) {
		t.Errorf("0.1 + 0.2 = %s, want %s", sum, want)
	}

	ins := []decimal.Decimal{decimal.RequireFromString("1.10"), decimal.RequireFromString("-2.5")}
	var outs []decimal.Decimal
	if err := pool.QueryRow(ctx, "SELECT $1::numeric[]", ins).Scan(&outs); err != nil {
		t.Fatalf("numeric[]: %v", err)
	}
	if len(outs) != 2 || !outs[0].Equal(ins[0]) || !outs[1].Equal(ins[1]) {
		t.Errorf("numeric[] round trip = %v, want %v", outs, ins)
	}

	var null decimal.NullDecimal
	if err := pool.QueryRow(ctx, "SELECT NULL::numeric").Scan(&null); err != nil {
		t.Fatal(err)
	}
	if null.Valid {
		t.Errorf("NULL scanned as %v", null.Decimal)
	}
}

func TestConnectErrors(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	_, err := pg.Connect(ctx, pg.Config{URL: "postgres://u:s3cret@host:notaport/db"})
	if err == nil {
		t.Fatal("Connect with an invalid URL succeeded")
	}
	if strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error leaks the password: %v", err)
	}

	_, err = pg.Connect(ctx, pg.Config{URL: "postgres://postgres@127.0.0.1:1/none?connect_timeout=2"})
	if err == nil {
		t.Fatal("Connect to a closed port succeeded")
	}
	if !pg.IsUnavailable(err) {
		t.Errorf("a closed port is not transient: %v", err)
	}

	_, err = pg.Connect(ctx, pg.Config{URL: pgtest.URL(), MaxConns: 2, MinConns: 3})
	if err == nil {
		t.Fatal("Connect with MinConns > MaxConns succeeded")
	}

	// A server that takes the connection and never answers: bounded by
	// the connect timeout, not the caller's context.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, never answered
		}
	}()
	start := time.Now()
	_, err = pg.Connect(context.Background(), pg.Config{URL: "postgres://postgres@" + l.Addr().String() + "/none?sslmode=disable",
		ConnectTimeout: 300 * time.Millisecond})
	if err == nil || time.Since(start) > 5*time.Second {
		t.Fatalf("Connect to a silent server = %v after %s", err, time.Since(start))
	}
}

// A backend the server terminates (as on a restart) fails its query with
// an error callers should retry: UNAVAILABLE, not INTERNAL.
func TestTerminatedBackendIsUnavailable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "transient"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close) // after the connection acquire releases
	conn, pid := acquire(t, pool)
	if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", pid); err != nil {
		t.Fatal(err)
	}
	_, err = conn.Exec(ctx, "SELECT 1")
	if err == nil || !pg.IsUnavailable(err) {
		t.Errorf("query on a terminated backend = %v, want a transient error", err)
	}
}

// acquire takes a connection of pool for the rest of the test, and tells
// its backend's process id.
func acquire(t *testing.T, pool *pgxpool.Pool) (*pgxpool.Conn, int) {
	t.Helper()
	ctx := context.Background()
	conn, err := pool.Acquire(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(conn.Release)
	var pid int
	if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	return conn, pid
}

func TestIsUnavailable(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]bool{
		fmt.Errorf("acquire: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}): true,
		&pgconn.PgError{Code: "57P01"}: true, &pgconn.PgError{Code: "08006"}: true, &pgconn.PgError{Code: "53300"}: true,
		&pgconn.PgError{Code: "23505"}: false, &pgconn.PgError{Code: "22P02"}: false,
		fmt.Errorf("decode: %w", io.ErrUnexpectedEOF): false, // truncated data is no outage
		errors.New("boom"):                            false,
	} {
		if got := pg.IsUnavailable(err); got != want {
			t.Errorf("IsUnavailable(%v) = %v, want %v", err, got, want)
		}
	}
}

// A query whose caller goes away is cancelled on the server, and the
// pooled connection stays open for the next caller, whether the query ends
// on its own first or runs on until the server cancels it.
func TestCancelledQueryKeepsConnection(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()
	conn, pid := acquire(t, pool)
	for _, sleep := range []string{"0.02", "30"} {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		start := time.Now()
		_, err := conn.Exec(cctx, "SELECT pg_sleep("+sleep+")")
		cancel()
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("pg_sleep(%s) cancelled after 5ms returned after %s", sleep, took)
		}
		if conn.Conn().IsClosed() {
			t.Fatalf("pg_sleep(%s) cancelled after 5ms (err %v) closed the connection", sleep, err)
		}
		var again int
		if err := conn.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&again); err != nil || again != pid {
			t.Fatalf("after pg_sleep(%s) was cancelled: backend %d, %v; want %d", sleep, again, err, pid)
		}
	}
}

// A transaction whose caller goes away before it ends is rolled back on
// the same connection, which the pool keeps.
func TestCancelledTransactionKeepsConnection(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()
	backend := func() int {
		var pid int
		if err := pool.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatal(err)
		}
		return pid
	}
	pool.Reset() // one connection from here on: the one backend reports
	first := backend()
	if n := pool.Stat().TotalConns(); n != 1 {
		t.Fatalf("%d connections, want 1", n)
	}
	cancelled := func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }
	runs := map[string]func(context.Context, context.CancelFunc) error{
		"InTx": func(ctx context.Context, cancel context.CancelFunc) error {
			return pg.InTx(ctx, pool, func(tx pgx.Tx) error {
				if _, err := tx.Exec(ctx, "SELECT 1"); err != nil {
					return err
				}
				cancel()
				return ctx.Err()
			})
		},
		"InTxBatchCommit": func(ctx context.Context, cancel context.CancelFunc) error {
			return pg.InTxBatchCommit(ctx, pool, func(b *pgx.Batch) { b.Queue("SELECT 1") }, func() (*pgx.Batch, error) {
				cancel()
				return nil, ctx.Err()
			})
		},
	}
	for name, run := range runs {
		ctx, cancel := cancelled()
		if err := run(ctx, cancel); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: %v, want context.Canceled", name, err)
		}
		if n := pool.Stat().TotalConns(); n != 1 {
			t.Fatalf("%s: %d connections after the cancelled transaction, want 1", name, n)
		}
		if pid := backend(); pid != first {
			t.Errorf("%s: backend %d after the cancelled transaction, want %d (the connection was replaced)", name, pid, first)
		}
	}
}
