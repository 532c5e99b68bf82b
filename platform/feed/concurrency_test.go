package feed_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/feed"
)

// The writer side of the scenario: many concurrent transactions, each
// appending a few events and then holding the transaction open for a random
// while before committing (so transactions that took later ids often commit
// first), some of them rolling back instead.
const (
	writers        = 16
	txsPerWriter   = 15
	maxHold        = 50 * time.Millisecond
	rollbackChance = 0.2
	followerPage   = 7 // small, so pages end inside transactions
)

// follower reads the feed incrementally, remembering where it stopped.
type follower interface {
	// next returns the event ids that are new since the previous call.
	next(ctx context.Context) ([]string, error)
}

// feedFollower follows with feed.Reader.List from its last cursor.
type feedFollower struct {
	r      *feed.Reader
	after  feed.Cursor
	events []feed.Event
}

func (f *feedFollower) next(ctx context.Context) ([]string, error) {
	batch, err := f.r.List(ctx, f.after, followerPage)
	if err != nil || len(batch) == 0 {
		return nil, err
	}
	f.after = batch[len(batch)-1].Cursor
	f.events = append(f.events, batch...)
	ids := make([]string, len(batch))
	for i, e := range batch {
		ids[i] = e.ID
	}
	return ids, nil
}

// naiveFollower is the classic trap: it pages by the bigserial id alone.
type naiveFollower struct {
	pool  *pgxpool.Pool
	after int64
}

func (f *naiveFollower) next(ctx context.Context) ([]string, error) {
	rows, _ := f.pool.Query(ctx,
		"SELECT id, event_id::text FROM outbox_events WHERE id > $1 ORDER BY id LIMIT $2", f.after, followerPage)
	var ids []string
	var id int64
	var eventID string
	_, err := pgx.ForEachRow(rows, []any{&id, &eventID}, func() error {
		f.after = id
		ids = append(ids, eventID)
		return nil
	})
	return ids, err
}

type scenarioResult struct {
	seen       []string        // event ids in the order the follower saw them
	committed  map[string]bool // ids of events whose transaction committed
	rolledBack map[string]bool // ids of events whose transaction rolled back
}

// runScenario runs the writers while f follows the feed, then lets f drain:
// it stops once f has seen as many distinct events as were committed, or
// once f has found nothing new for quiet.
func runScenario(t *testing.T, pool *pgxpool.Pool, f follower, quiet time.Duration) scenarioResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res := scenarioResult{committed: map[string]bool{}, rolledBack: map[string]bool{}}
	var mu sync.Mutex

	var wg sync.WaitGroup
	for range writers {
		wg.Go(func() {
			for range txsPerWriter {
				events := make([]feed.NewEvent, 1+rand.IntN(3))
				for i := range events {
					events[i] = feed.NewEvent{
						ID: uuid.NewString(), Type: "test.happened", Key: "k", Payload: []byte(`{}`),
					}
				}
				hold := rand.N(maxHold)
				rollback := rand.Float64() < rollbackChance

				tx, err := pool.Begin(ctx)
				if err != nil {
					t.Errorf("begin: %v", err)
					return
				}
				if err := feed.Append(ctx, tx, events...); err != nil {
					t.Errorf("append: %v", err)
					tx.Rollback(ctx)
					return
				}
				time.Sleep(hold)
				outcome := res.committed
				if rollback {
					err = tx.Rollback(ctx)
					outcome = res.rolledBack
				} else {
					err = tx.Commit(ctx)
				}
				if err != nil {
					t.Errorf("end transaction: %v", err)
					return
				}
				mu.Lock()
				for _, e := range events {
					outcome[e.ID] = true
				}
				mu.Unlock()
			}
		})
	}
	writersDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(writersDone)
	}()

	distinct := map[string]bool{}
	done := false
	lastProgress := time.Now()
	for {
		ids, err := f.next(ctx)
		if err != nil {
			t.Fatalf("follow: %v", err)
		}
		res.seen = append(res.seen, ids...)
		for _, id := range ids {
			distinct[id] = true
		}
		if len(ids) > 0 {
			lastProgress = time.Now()
			continue
		}
		if !done {
			select {
			case <-writersDone:
				done = true
				lastProgress = time.Now()
			default:
			}
		}
		if done {
			mu.Lock()
			all := len(distinct) >= len(res.committed)
			mu.Unlock()
			if all || time.Since(lastProgress) > quiet {
				break
			}
		}
		time.Sleep(time.Millisecond)
	}
	if t.Failed() {
		t.FailNow()
	}
	return res
}

// THE feed test: concurrent writers with transactions held open and rolled
// back, a reader following with List. Every committed event must be seen
// exactly once, no rolled-back event ever, in the order a fresh read gives,
// and resuming from any cursor must give exactly the rest.
func TestFeedNeverSkipsUnderConcurrentWriters(t *testing.T) {
	pool := newDB(t, writers+4)
	r := feed.NewReader(pool)
	f := &feedFollower{r: r}
	res := runScenario(t, pool, f, 5*time.Second)

	if len(res.committed) == 0 || len(res.rolledBack) == 0 {
		t.Fatalf("scenario degenerate: %d committed, %d rolled back", len(res.committed), len(res.rolledBack))
	}
	// A last look after draining: nothing further may turn up.
	if more, err := f.next(context.Background()); err != nil || len(more) != 0 {
		t.Errorf("after draining the follower found %d more events (%v)", len(more), err)
	}

	seenOnce := map[string]bool{}
	for _, id := range res.seen {
		if seenOnce[id] {
			t.Errorf("event %s seen twice", id)
		}
		seenOnce[id] = true
		if res.rolledBack[id] {
			t.Errorf("event %s of a rolled-back transaction seen", id)
		} else if !res.committed[id] {
			t.Errorf("event %s seen but never written", id)
		}
	}
	missed := 0
	for id := range res.committed {
		if !seenOnce[id] {
			missed++
		}
	}
	if missed > 0 {
		t.Errorf("follower missed %d of %d committed events", missed, len(res.committed))
	}

	// The order seen is the feed's one stable order.
	reread := listAll(t, r, feed.Cursor{}, 50)
	if len(reread) != len(res.seen) {
		t.Fatalf("re-read has %d events, follower saw %d", len(reread), len(res.seen))
	}
	for i, e := range reread {
		if e.ID != res.seen[i] {
			t.Fatalf("position %d: re-read has %s, follower saw %s", i, e.ID, res.seen[i])
		}
		if f.events[i].Cursor != e.Cursor {
			t.Fatalf("position %d: cursor %+v on re-read, %+v when followed", i, e.Cursor, f.events[i].Cursor)
		}
		if i > 0 && reread[i-1].Cursor.Compare(e.Cursor) >= 0 {
			t.Fatalf("position %d: cursor %+v not after %+v", i, e.Cursor, reread[i-1].Cursor)
		}
	}

	// Resuming from a cursor in the middle (parsed back from its token, as
	// a client would) gives exactly the suffix.
	for _, k := range []int{1, len(reread) / 3, len(reread) / 2, len(reread) - 1} {
		c, err := feed.ParseCursor(reread[k-1].Cursor.String())
		if err != nil {
			t.Fatal(err)
		}
		rest := listAll(t, r, c, 13)
		if len(rest) != len(reread)-k {
			t.Fatalf("resume after %d: %d events, want %d", k, len(rest), len(reread)-k)
		}
		for i, e := range rest {
			if e.ID != reread[k+i].ID {
				t.Fatalf("resume after %d: position %d is %s, want %s", k, i, e.ID, reread[k+i].ID)
			}
		}
	}
	t.Logf("%d committed events (%d rolled back) followed without loss", len(res.committed), len(res.rolledBack))
}

// The same scenario with a reader that pages by id alone must lose events;
// this shows the scenario really exercises the trap the feed avoids.
func TestNaiveIDReaderMissesEvents(t *testing.T) {
	const rounds = 5
	for round := 1; round <= rounds; round++ {
		pool := newDB(t, writers+4)
		res := runScenario(t, pool, &naiveFollower{pool: pool}, 300*time.Millisecond)
		seen := map[string]bool{}
		for _, id := range res.seen {
			seen[id] = true
		}
		missed := 0
		for id := range res.committed {
			if !seen[id] {
				missed++
			}
		}
		if missed > 0 {
			t.Logf("round %d: the naive reader missed %d of %d committed events", round, missed, len(res.committed))
			return
		}
	}
	t.Fatalf("the naive reader missed nothing in %d rounds: the scenario no longer provokes late commits", rounds)
}
