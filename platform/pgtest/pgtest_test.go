package pgtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// templateName returns a template name no earlier run of a test in this
// process used (templates are built once per process, and -count reruns
// tests in the same process).
var runs atomic.Int32

func templateName(base string) string { return fmt.Sprint(base, "_", runs.Add(1)) }

func connect(t *testing.T, u string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

func dbName(t *testing.T, u string) string {
	t.Helper()
	p, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(p.Path, "/")
}

func databaseExists(t *testing.T, name string) bool {
	t.Helper()
	conn := connect(t, pgtest.URL())
	var n int
	if err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM pg_database WHERE datname = $1", name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestURL(t *testing.T) {
	t.Parallel()
	conn := connect(t, pgtest.URL())
	var super bool
	if err := conn.QueryRow(context.Background(),
		"SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&super); err != nil {
		t.Fatal(err)
	}
	if !super {
		t.Error("URL() does not connect as a superuser")
	}
}

func TestNewDBParallel(t *testing.T) {
	t.Parallel()
	var setups atomic.Int32
	setup := func(ctx context.Context, u string) error {
		setups.Add(1)
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, `CREATE TABLE items (name text PRIMARY KEY); INSERT INTO items VALUES ('seed')`)
		return err
	}

	var mu sync.Mutex
	var names []string
	tmpl := templateName("selftest")
	t.Run("group", func(t *testing.T) {
		for i := range 8 {
			t.Run(fmt.Sprint(i), func(t *testing.T) {
				t.Parallel()
				u := pgtest.NewDB(t, tmpl, setup)
				mu.Lock()
				names = append(names, dbName(t, u))
				mu.Unlock()

				conn := connect(t, u)
				ctx := context.Background()
				var n int
				if err := conn.QueryRow(ctx, "SELECT count(*) FROM items").Scan(&n); err != nil {
					t.Fatal(err)
				}
				if n != 1 {
					t.Errorf("fresh database has %d rows, want the 1 seeded by setup", n)
				}
				if _, err := conn.Exec(ctx, "INSERT INTO items VALUES ($1)", fmt.Sprint("row", i)); err != nil {
					t.Fatal(err)
				}
			})
		}
	})

	if got := setups.Load(); got != 1 {
		t.Errorf("setup ran %d times, want 1", got)
	}
	seen := map[string]bool{}
	for _, n := range names {
		if seen[n] {
			t.Errorf("database %s handed out twice", n)
		}
		seen[n] = true
		if databaseExists(t, n) {
			t.Errorf("database %s still exists after its test ended", n)
		}
	}
}

// fatalTB records Fatalf instead of failing the real test.
type fatalTB struct {
	testing.TB
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

func TestNewDBSetupErrorIsSticky(t *testing.T) {
	t.Parallel()
	var calls atomic.Int32
	setup := func(ctx context.Context, u string) error {
		calls.Add(1)
		return errors.New("migration exploded")
	}
	tmpl := templateName("broken")
	for range 2 {
		tb := &fatalTB{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			pgtest.NewDB(tb, tmpl, setup)
		}()
		<-done
		if !strings.Contains(tb.msg, "migration exploded") {
			t.Errorf("NewDB failure = %q, want the setup error", tb.msg)
		}
	}
	if got := calls.Load(); got != 1 {
		t.Errorf("failing setup ran %d times, want 1", got)
	}
}

func TestCreateDatabase(t *testing.T) {
	t.Parallel()
	var name string
	t.Run("use", func(t *testing.T) {
		u := pgtest.CreateDatabase(t, "Some Name/with-odd chars")
		name = dbName(t, u)
		conn := connect(t, u)
		var n int
		if err := conn.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != 0 {
			t.Errorf("new database has %d tables, want 0", n)
		}
	})
	if databaseExists(t, name) {
		t.Errorf("database %s still exists after its test ended", name)
	}
}

func TestStartCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a second server")
	}
	t.Parallel()
	// Not t.TempDir: when running as root the server user must be able to
	// reach the directory, and t.TempDir's parent is private to root.
	dir, err := os.MkdirTemp("", "pgtest-selftest-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)

	c, err := pgtest.StartCluster(dir)
	if err != nil {
		t.Fatal(err)
	}
	stopped := false
	defer func() {
		if !stopped {
			c.Stop()
		}
	}()
	if c.URL() == pgtest.URL() {
		t.Fatal("second cluster has the same URL as the first")
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, c.URL())
	if err != nil {
		t.Fatal(err)
	}
	var fsync string
	if err := conn.QueryRow(ctx, "SHOW fsync").Scan(&fsync); err != nil {
		t.Fatal(err)
	}
	if fsync != "off" {
		t.Errorf("fsync = %s, want off", fsync)
	}
	conn.Close(ctx)

	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped = true
	if err := c.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(cctx, c.URL()); err == nil {
		conn.Close(ctx)
		t.Error("server still accepts connections after Stop")
	}
}
