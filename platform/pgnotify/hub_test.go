package pgnotify_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pgnotify"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const channel = "test_changes"

// newHub returns a pool on a fresh database and a Hub on it.
func newHub(t *testing.T) (*pgxpool.Pool, *pgnotify.Hub) {
	t.Helper()
	u := pgtest.CreateDatabase(t, "pgnotify")
	pool, err := pgxpool.New(context.Background(), u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	h := pgnotify.NewHub(func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	}, channel)
	t.Cleanup(h.Close)
	return pool, h
}

func notify(t *testing.T, pool *pgxpool.Pool, payloads ...string) {
	t.Helper()
	tx, err := pool.Begin(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	for _, p := range payloads {
		if _, err := tx.Exec(context.Background(), "SELECT pg_notify($1, $2)", channel, p); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// wait returns the next signal's version, failing after 5 s.
func wait(t *testing.T, s *pgnotify.Subscription) int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	v, err := s.Wait(ctx)
	if err != nil {
		t.Fatalf("wait: %v", err)
	}
	return v
}

func quiet(t *testing.T, s *pgnotify.Subscription) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if v, err := s.Wait(ctx); err == nil {
		t.Fatalf("unexpected signal, version %d", v)
	}
}

// listeners returns the backends listening in the pool's database.
func listeners(t *testing.T, pool *pgxpool.Pool) int {
	t.Helper()
	var n int
	err := pool.QueryRow(context.Background(), `
		SELECT count(*) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+channel+`'`).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func waitListeners(t *testing.T, pool *pgxpool.Pool, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for listeners(t, pool) != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d listening connections, want %d", listeners(t, pool), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// started subscribes to key and takes the signal every subscriber gets
// when the Hub starts listening.
func started(t *testing.T, pool *pgxpool.Pool, h *pgnotify.Hub, key string) *pgnotify.Subscription {
	t.Helper()
	s := h.Subscribe(key)
	t.Cleanup(s.Close)
	waitListeners(t, pool, 1)
	if v := wait(t, s); v != -1 {
		t.Fatalf("first signal has version %d, want -1 (unknown: listening started)", v)
	}
	return s
}

func TestHubSignalsSubscribersOfTheKey(t *testing.T) {
	t.Parallel()
	pool, h := newHub(t)
	a := started(t, pool, h, "a")
	a2, b := h.Subscribe("a"), h.Subscribe("b")
	defer a2.Close()
	defer b.Close()

	notify(t, pool, pgnotify.Payload("a", 3))
	if v := wait(t, a); v != 3 {
		t.Fatalf("a got version %d, want 3", v)
	}
	if v := wait(t, a2); v != 3 {
		t.Fatalf("second subscriber of a got version %d, want 3", v)
	}
	quiet(t, b)

	// Several changes before the subscriber looks: one signal, the highest
	// version.
	// The Hub hands out notifications in order, so once b has its signal
	// every subscriber of a has had both of a's.
	notify(t, pool, pgnotify.Payload("a", 5))
	notify(t, pool, pgnotify.Payload("a", 4), pgnotify.Payload("b", 1))
	if v := wait(t, b); v != 1 {
		t.Fatalf("b got version %d, want 1", v)
	}
	if v := wait(t, a); v != 5 {
		t.Fatalf("a got version %d, want 5", v)
	}
	quiet(t, a)

	// Without a version (or with a bad one) the version is unknown.
	notify(t, pool, "a")
	if v := wait(t, a); v != -1 {
		t.Fatalf("a got version %d, want -1", v)
	}
	notify(t, pool, "a x")
	if v := wait(t, a); v != -1 {
		t.Fatalf("a got version %d, want -1", v)
	}
	// a may have its signal before a2 has: wait until the Hub is past it.
	notify(t, pool, pgnotify.Payload("b", 2))
	if v := wait(t, b); v != 2 {
		t.Fatalf("b got version %d, want 2", v)
	}
	// a2 did not look meanwhile: it has seen versions 3, then 5, then
	// unknown ones: unknown.
	if v := wait(t, a2); v != -1 {
		t.Fatalf("a2 got version %d, want -1", v)
	}

	// A closed subscription gets nothing.
	a.Close()
	a.Close()
	notify(t, pool, pgnotify.Payload("a", 9))
	if v := wait(t, a2); v != 9 {
		t.Fatalf("a2 got version %d, want 9", v)
	}
	quiet(t, a)
}

// When the connection drops, the Hub reconnects and signals everyone, as
// changes in between were not heard.
func TestHubReconnects(t *testing.T) {
	t.Parallel()
	pool, h := newHub(t)
	a := started(t, pool, h, "a")
	if _, err := pool.Exec(context.Background(), `
		SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+channel+`'`); err != nil {
		t.Fatal(err)
	}
	if v := wait(t, a); v != -1 {
		t.Fatalf("after the reconnect a got version %d, want -1", v)
	}
	waitListeners(t, pool, 1)
	notify(t, pool, pgnotify.Payload("a", 2))
	if v := wait(t, a); v != 2 {
		t.Fatalf("a got version %d, want 2", v)
	}
}

// The connection stays while there are subscribers and for the linger time
// after the last left; then it goes, and the next subscriber brings it back.
func TestHubLingers(t *testing.T) {
	t.Parallel()
	pool, h := newHub(t)
	pgnotify.SetLinger(h, 300*time.Millisecond)
	a := started(t, pool, h, "a")
	a.Close()
	b := h.Subscribe("b") // within the linger time: same connection, no restart
	quiet(t, b)
	b.Close()
	if n := listeners(t, pool); n != 1 {
		t.Fatalf("%d listening connections right after the last subscriber left, want 1", n)
	}
	waitListeners(t, pool, 0)
	started(t, pool, h, "c")
}

// After Close the Hub does not listen again.
func TestHubClose(t *testing.T) {
	t.Parallel()
	pool, h := newHub(t)
	started(t, pool, h, "a")
	h.Close()
	waitListeners(t, pool, 0)
	s := h.Subscribe("b")
	defer s.Close()
	time.Sleep(100 * time.Millisecond)
	if n := listeners(t, pool); n != 0 {
		t.Fatalf("%d listening connections after Close", n)
	}
}
