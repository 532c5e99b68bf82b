package feed_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/feed"
)

// watcher runs Watch in the background and collects what it is sent.
type watcher struct {
	cancel context.CancelFunc
	done   chan error
	mu     sync.Mutex
	events []feed.Event
	got    chan struct{} // signalled after each batch

	stopOnce sync.Once
}

func startWatch(t *testing.T, r *feed.Reader, after feed.Cursor) *watcher {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &watcher{cancel: cancel, done: make(chan error, 1), got: make(chan struct{}, 1)}
	go func() {
		w.done <- r.Watch(ctx, after, func(batch []feed.Event) error {
			w.mu.Lock()
			w.events = append(w.events, batch...)
			w.mu.Unlock()
			select {
			case w.got <- struct{}{}:
			default:
			}
			return nil
		})
	}()
	t.Cleanup(func() { w.stop(t) })
	return w
}

// stop cancels the watch and checks it ended with the context's error. It
// may be called more than once.
func (w *watcher) stop(t *testing.T) {
	w.stopOnce.Do(func() {
		w.cancel()
		select {
		case err := <-w.done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Watch returned %v, want context.Canceled", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Watch did not return after its context ended")
		}
	})
}

// waitFor waits until the watcher holds n events, or fails after timeout.
func (w *watcher) waitFor(t *testing.T, n int, timeout time.Duration) []feed.Event {
	t.Helper()
	deadline := time.After(timeout)
	for {
		w.mu.Lock()
		events := append([]feed.Event(nil), w.events...)
		w.mu.Unlock()
		if len(events) >= n {
			return events
		}
		select {
		case <-w.got:
		case <-deadline:
			t.Fatalf("watcher has %d events after %s, want %d", len(events), timeout, n)
		}
	}
}

// listeners counts the connections listening for the feed in pool's database.
func listeners(t *testing.T, pool *pgxpool.Pool) []int {
	t.Helper()
	rows, err := pool.Query(context.Background(), `
		SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND query = 'LISTEN `+feed.Channel+`'
		ORDER BY pid`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var pids []int
	for rows.Next() {
		var pid int
		if err := rows.Scan(&pid); err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return pids
}

// waitListeners waits until exactly n listener connections exist.
func waitListeners(t *testing.T, pool *pgxpool.Pool, n int) []int {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := listeners(t, pool)
		if len(pids) == n {
			return pids
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d listener connections, want %d", len(pids), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A watcher is woken by the notification of a commit: with the fallback
// poll switched off, an event appended after the watch started arrives well
// within a second.
func TestWatchWakesOnNotify(t *testing.T) {
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	feed.SetFallback(r, time.Hour)

	w := startWatch(t, r, feed.Cursor{})
	waitListeners(t, pool, 1)
	time.Sleep(50 * time.Millisecond) // let the watcher reach its wait

	for i := range 3 {
		start := time.Now()
		appendCommitted(t, pool, ev("t", fmt.Sprint(i), `{}`))
		events := w.waitFor(t, i+1, time.Second)
		if k := events[i].Key; k != fmt.Sprint(i) {
			t.Fatalf("event %d has key %s", i, k)
		}
		t.Logf("event %d delivered after %v", i, time.Since(start))
	}
}

// Watch starts after the given cursor, sends the backlog in feed order and
// in batches, then continues with new events.
func TestWatchResumesFromCursor(t *testing.T) {
	pool := newDB(t, 4)
	r := feed.NewReader(pool)

	backlog := make([]feed.NewEvent, 1200) // more than one batch
	for i := range backlog {
		backlog[i] = ev("t", fmt.Sprint(i), `{}`)
	}
	appendCommitted(t, pool, backlog...)
	all := waitFeed(t, r, feed.Cursor{}, len(backlog))
	if len(all) != len(backlog) {
		t.Fatalf("feed has %d events, want %d", len(all), len(backlog))
	}

	const from = 99 // resume after the 100th event
	w := startWatch(t, r, all[from].Cursor)
	got := w.waitFor(t, len(all)-from-1, 5*time.Second)
	for i, e := range got {
		if want := all[from+1+i]; e.ID != want.ID {
			t.Fatalf("position %d: got %s, want %s", i, e.Key, want.Key)
		}
	}

	appendCommitted(t, pool, ev("t", "new", `{}`))
	got = w.waitFor(t, len(all)-from, 2*time.Second)
	if len(got) != len(all)-from || got[len(got)-1].Key != "new" {
		t.Fatalf("after the backlog: %d events, last %q", len(got), got[len(got)-1].Key)
	}
}

// Events can become readable without a notification: here an event commits
// (and notifies) while an older transaction without events is still open,
// so it is held back; when that transaction ends nothing is notified, and
// the fallback tick must pick the event up.
func TestWatchFallbackTick(t *testing.T) {
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	ctx := context.Background()

	older, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback(ctx)
	if _, err := older.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}

	w := startWatch(t, r, feed.Cursor{})
	appendCommitted(t, pool, ev("t", "held", `{}`))
	time.Sleep(300 * time.Millisecond)
	w.mu.Lock()
	early := len(w.events)
	w.mu.Unlock()
	if early != 0 {
		t.Fatalf("watcher got %d events while an older transaction was open", early)
	}
	if err := older.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	w.waitFor(t, 1, time.Second)
}

// All watchers of a Reader share one LISTEN connection, which goes away with
// the last watcher.
func TestWatchersShareOneListener(t *testing.T) {
	pool := newDB(t, 8)
	r := feed.NewReader(pool)
	feed.SetFallback(r, time.Hour)

	var ws []*watcher
	for range 5 {
		ws = append(ws, startWatch(t, r, feed.Cursor{}))
	}
	waitListeners(t, pool, 1)
	time.Sleep(100 * time.Millisecond)
	if n := len(listeners(t, pool)); n != 1 {
		t.Fatalf("%d listener connections for 5 watchers, want 1", n)
	}
	appendCommitted(t, pool, ev("t", "x", `{}`))
	for _, w := range ws {
		w.waitFor(t, 1, time.Second)
	}
	for _, w := range ws {
		w.stop(t)
	}
	waitListeners(t, pool, 0)

	// A new watcher brings the listener back.
	w := startWatch(t, r, feed.Cursor{})
	waitListeners(t, pool, 1)
	appendCommitted(t, pool, ev("t", "y", `{}`))
	w.waitFor(t, 2, time.Second)
}

// When the listener connection dies, the notifier reconnects and watchers
// are woken by notifications again.
func TestWatchListenerReconnects(t *testing.T) {
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	feed.SetFallback(r, time.Hour)
	ctx := context.Background()

	w := startWatch(t, r, feed.Cursor{})
	old := waitListeners(t, pool, 1)
	if _, err := pool.Exec(ctx, "SELECT pg_terminate_backend($1)", old[0]); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids := listeners(t, pool)
		if len(pids) == 1 && pids[0] != old[0] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new listener connection; listeners %v, old %d", pids, old[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond)
	appendCommitted(t, pool, ev("t", "after-reconnect", `{}`))
	w.waitFor(t, 1, time.Second)
}

// Watch stops with send's error.
func TestWatchReturnsSendError(t *testing.T) {
	t.Parallel()
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	appendCommitted(t, pool, ev("t", "x", `{}`))

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	stopErr := errors.New("client went away")
	err := r.Watch(ctx, feed.Cursor{}, func([]feed.Event) error { return stopErr })
	if !errors.Is(err, stopErr) {
		t.Fatalf("Watch = %v, want send's error", err)
	}

	short, cancelShort := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancelShort()
	err = r.Watch(short, waitFeed(t, r, feed.Cursor{}, 1)[0].Cursor, func([]feed.Event) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Watch = %v, want context.DeadlineExceeded", err)
	}
}

// An event held back by an older transaction (which sends no notification
// when it ends) reaches the watcher soon after that transaction ends, long
// before any fallback tick: with the tick switched off it must still come.
func TestWatchPicksUpHeldEventWithoutTick(t *testing.T) {
	pool := newDB(t, 4)
	r := feed.NewReader(pool)
	feed.SetFallback(r, time.Hour)
	ctx := context.Background()

	older, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer older.Rollback(ctx)
	if _, err := older.Exec(ctx, "SELECT pg_current_xact_id()"); err != nil {
		t.Fatal(err)
	}
	w := startWatch(t, r, feed.Cursor{})
	waitListeners(t, pool, 1)
	appendCommitted(t, pool, ev("t", "held", `{}`))
	time.Sleep(100 * time.Millisecond)
	if err := older.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	w.waitFor(t, 1, 2*time.Second)
	t.Logf("held event delivered %v after the older transaction ended", time.Since(start))
}
