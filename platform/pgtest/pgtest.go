// Package pgtest runs tests against a real, throwaway PostgreSQL server.
//
// A test package hands its TestMain to Main:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
//
// Main uses the server named by $PGTEST_URL when it is set (a superuser URL of
// a server that exists only for tests, for example one started by the
// Makefile); otherwise it creates a cluster in a temporary directory with
// initdb, starts it with settings tuned for speed over durability, runs the
// tests and removes the cluster again.
//
// The server binaries are taken from $PGTEST_BINDIR, else from the directory
// of "postgres" on PATH, else from the newest /usr/lib/postgresql/*/bin. When
// the tests run as root, the server runs as the "postgres" system user.
//
// Tests then get their own database: NewDB clones a template database that is
// built once per process (typically by running the service's migrations), and
// CreateDatabase makes an empty one. Both are dropped when the test ends, and
// both are safe to call from parallel tests.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// process-wide state, set up by Main.
var (
	mu        sync.Mutex
	serverURL string
	admin     *pgxpool.Pool
	templates = map[string]*templateDB{}

	// procID makes database names unique between processes that share one
	// server, as test binaries of several packages do under PGTEST_URL.
	procID  = randomID()
	counter atomic.Int64
)

type templateDB struct {
	once sync.Once
	name string // database name on the server
	err  error
}

// Main starts (or connects to) the test server, runs the tests and tears the
// server down. It returns the exit code for os.Exit. If no server can be
// provided it reports why on stderr and returns a failing code.
func Main(m *testing.M) int {
	if u := os.Getenv("PGTEST_URL"); u != "" {
		if err := setServer(u); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		code := m.Run()
		dropTemplates()
		closeAdmin()
		return code
	}

	sweepStaleDirs()
	dir, unlock, err := lockedTempDir()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		unlock()
		os.RemoveAll(dir)
	}()
	c, err := StartCluster(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = c.Stop() }()
	if err := setServer(c.URL()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	code := m.Run()
	closeAdmin()
	return code
}

// URL returns the superuser URL of the server Main provides. It panics when
// called without Main having set a server up.
func URL() string {
	mu.Lock()
	defer mu.Unlock()
	if serverURL == "" {
		panic("pgtest: no server; call pgtest.Main from TestMain")
	}
	return serverURL
}

// NewDB returns the URL of a new database cloned from the template database
// called template. The template is built the first time a test of this
// process asks for it: an empty database is created and setup is called with
// its URL, for example to apply migrations. setup must close its connections
// before returning. Later calls (also from parallel tests) reuse the built
// template; if setup failed, they fail the same way. All callers naming one
// template must pass an equivalent setup.
//
// The new database is dropped when the test and its subtests have finished.
func NewDB(t testing.TB, template string, setup func(ctx context.Context, url string) error) string {
	t.Helper()
	tmpl, err := buildTemplate(template, setup)
	if err != nil {
		t.Fatalf("pgtest: template %q: %v", template, err)
	}
	return createDB(t, template, tmpl)
}

// CreateDatabase returns the URL of a new, empty database whose name is
// derived from name. It is dropped when the test has finished.
func CreateDatabase(t testing.TB, name string) string {
	t.Helper()
	return createDB(t, name, "template0")
}

func createDB(t testing.TB, base, template string) string {
	t.Helper()
	pool, err := adminPool()
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	name := uniqueName("t", base)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE "+ident(template)); err != nil {
		t.Fatalf("pgtest: create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := dropDatabase(ctx, pool, name); err != nil {
			t.Errorf("pgtest: %v", err)
		}
	})
	u, err := databaseURL(name)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	return u
}

func buildTemplate(template string, setup func(ctx context.Context, url string) error) (string, error) {
	mu.Lock()
	tdb, ok := templates[template]
	if !ok {
		tdb = &templateDB{name: uniqueName("tmpl", template)}
		templates[template] = tdb
	}
	mu.Unlock()

	tdb.once.Do(func() {
		tdb.err = createTemplate(tdb.name, setup)
	})
	return tdb.name, tdb.err
}

func createTemplate(name string, setup func(ctx context.Context, url string) error) error {
	pool, err := adminPool()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := pool.Exec(ctx, "CREATE DATABASE "+ident(name)+" TEMPLATE template0"); err != nil {
		return fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := databaseURL(name)
	if err != nil {
		return err
	}
	if setup != nil {
		if err := setup(ctx, u); err != nil {
			_ = dropDatabase(ctx, pool, name)
			return fmt.Errorf("setup: %w", err)
		}
	}
	// CREATE DATABASE ... TEMPLATE fails while anyone is connected to the
	// template: close the door and push out connections setup left behind.
	if _, err := pool.Exec(ctx, "ALTER DATABASE "+ident(name)+" ALLOW_CONNECTIONS false"); err != nil {
		return fmt.Errorf("seal template %s: %w", name, err)
	}
	if _, err := pool.Exec(ctx,
		"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
		name); err != nil {
		return fmt.Errorf("seal template %s: %w", name, err)
	}
	return nil
}

func dropDatabase(ctx context.Context, pool *pgxpool.Pool, name string) error {
	if _, err := pool.Exec(ctx, "DROP DATABASE IF EXISTS "+ident(name)+" WITH (FORCE)"); err != nil {
		return fmt.Errorf("drop database %s: %w", name, err)
	}
	return nil
}

// dropTemplates removes the templates this process built, which matters on a
// shared server that outlives the process.
func dropTemplates() {
	mu.Lock()
	var names []string
	for _, tdb := range templates {
		names = append(names, tdb.name)
	}
	mu.Unlock()
	if len(names) == 0 {
		return
	}
	pool, err := adminPool()
	if err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, n := range names {
		if err := dropDatabase(ctx, pool, n); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest:", err)
		}
	}
}

func setServer(u string) error {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") {
		return fmt.Errorf("pgtest: server URL must be a postgres:// URL, got %q", redact(u))
	}
	mu.Lock()
	defer mu.Unlock()
	serverURL = u
	return nil
}

func adminPool() (*pgxpool.Pool, error) {
	u := URL()
	mu.Lock()
	defer mu.Unlock()
	if admin != nil {
		return admin, nil
	}
	cfg, err := pgxpool.ParseConfig(u)
	if err != nil {
		return nil, fmt.Errorf("parse server URL: %w", err)
	}
	cfg.MaxConns = 4
	// Utility statements with generated names: nothing to gain from
	// preparing and caching them.
	cfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeSimpleProtocol
	p, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		return nil, fmt.Errorf("connect to server: %w", err)
	}
	admin = p
	return admin, nil
}

func closeAdmin() {
	mu.Lock()
	defer mu.Unlock()
	if admin != nil {
		admin.Close()
		admin = nil
	}
}

// databaseURL is the server URL pointed at database name.
func databaseURL(name string) (string, error) {
	u, err := url.Parse(URL())
	if err != nil {
		return "", fmt.Errorf("parse server URL: %w", err)
	}
	u.Path = "/" + name
	u.RawPath = ""
	return u.String(), nil
}

// uniqueName builds a database name from prefix and base that no other test
// of any process sharing the server uses, within PostgreSQL's 63 bytes.
func uniqueName(prefix, base string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(base) {
		if b.Len() >= 30 {
			break
		}
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return fmt.Sprintf("%s_%s_%s_%d", prefix, b.String(), procID, counter.Add(1))
}

func ident(name string) string {
	return pgx.Identifier{name}.Sanitize()
}

func randomID() string {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

func redact(u string) string {
	if p, err := url.Parse(u); err == nil {
		return p.Redacted()
	}
	return "(unparsable)"
}

// Temporary cluster directories are named with this prefix and hold a lock
// file that their process keeps locked while it runs.
const (
	dirPrefix = "pgtest-"
	lockName  = ".pgtest.lock"
)

// lockedTempDir creates the cluster directory and locks it for the life of
// the process (the kernel releases the lock when the process dies).
func lockedTempDir() (dir string, unlock func(), err error) {
	dir, err = os.MkdirTemp("", dirPrefix)
	if err != nil {
		return "", nil, fmt.Errorf("pgtest: temp dir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	if err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("pgtest: lock temp dir: %w", err)
	}
	return dir, func() { f.Close() }, nil
}

// sweepStaleDirs removes cluster directories left behind by test processes
// that died without cleaning up (a panic or a kill skips Main's clean-up; the
// server itself is stopped by the parent-death signal).
func sweepStaleDirs() {
	matches, _ := filepath.Glob(filepath.Join(os.TempDir(), dirPrefix+"*"))
	for _, dir := range matches {
		info, err := os.Stat(dir)
		if err != nil || !info.IsDir() || time.Since(info.ModTime()) < time.Minute {
			continue // young directories may still be being set up
		}
		f, err := os.Open(filepath.Join(dir, lockName))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				os.RemoveAll(dir)
			}
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			os.RemoveAll(dir)
		}
		f.Close()
	}
}
