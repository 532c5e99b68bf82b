package postgres

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/bridge/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// NewTestPool returns a pool on a fresh migrated bridge database.
func newTestPool(t *testing.T) *pgxpool.Pool {
	t.Helper()
	url := pgtest.NewDB(t, "bridge", func(ctx context.Context, url string) error {
		pool, err := pg.Connect(ctx, pg.Config{URL: url})
		if err != nil {
			return err
		}
		defer pool.Close()
		return pg.Migrate(ctx, pool, migrations.FS)
	})
	pool, err := pg.Connect(context.Background(), pg.Config{URL: url, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

func TestCheckpoints(t *testing.T) {
	t.Parallel()
	s := New(newTestPool(t))
	ctx := context.Background()
	if c, err := s.Checkpoint(ctx, "crm"); err != nil || c != "" {
		t.Fatalf("fresh checkpoint = %q, %v", c, err)
	}
	for _, c := range []string{"a", "b"} {
		if err := s.SaveCheckpoint(ctx, "crm", c); err != nil {
			t.Fatal(err)
		}
	}
	if c, _ := s.Checkpoint(ctx, "crm"); c != "b" {
		t.Errorf("checkpoint = %q, want b", c)
	}
	if c, _ := s.Checkpoint(ctx, "erp"); c != "" {
		t.Errorf("erp checkpoint = %q, want empty", c)
	}
}

func TestLinks(t *testing.T) {
	t.Parallel()
	s := New(newTestPool(t))
	ctx := context.Background()
	if _, ok, _ := s.CustomerFor(ctx, "acc"); ok {
		t.Fatal("link before linking")
	}
	for range 2 { // linking is idempotent
		if err := s.LinkCustomer(ctx, "acc", "cust"); err != nil {
			t.Fatal(err)
		}
	}
	if id, ok, err := s.CustomerFor(ctx, "acc"); err != nil || !ok || id != "cust" {
		t.Errorf("CustomerFor = %q, %v, %v", id, ok, err)
	}
	if err := s.LinkOrder(ctx, "opp", "order", "SO-1"); err != nil {
		t.Fatal(err)
	}
}

func TestFailures(t *testing.T) {
	t.Parallel()
	s := New(newTestPool(t))
	ctx := context.Background()
	f := Failure{Feed: "crm", Cursor: "c", EventID: "e1", EventType: "opportunity.won", EventKey: "o1", Event: []byte{1}, Error: "bad", Attempts: 1}
	for range 2 { // the same event recorded twice is one failure
		if err := s.RecordFailure(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.Failures(ctx, 0, 10)
	if err != nil || len(got) != 1 || got[0].Attempts != 2 || got[0].State != StateFailed {
		t.Fatalf("Failures = %+v, %v", got, err)
	}
	waiting := f
	waiting.EventID, waiting.State = "e2", StateWaiting
	if err := s.RecordFailure(ctx, waiting); err != nil {
		t.Fatal(err)
	}
	keys, err := s.ParkedKeys(ctx)
	if err != nil || len(keys) != 1 || keys[0] != (FeedKey{"crm", "o1"}) {
		t.Fatalf("ParkedKeys = %v, %v", keys, err)
	}
	if due, _ := s.DueKeys(ctx, time.Now(), 10); len(due) != 0 {
		t.Fatalf("due keys with no retry time = %v", due)
	}
	if err := s.MarkFailed(ctx, got[0].ID, "again", 3, time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if due, _ := s.DueKeys(ctx, time.Now(), 10); len(due) != 1 {
		t.Fatalf("due keys = %v, want the failed one", due)
	}
	held, err := s.KeyFailures(ctx, "crm", "o1")
	if err != nil || len(held) != 2 || held[1].State != StateWaiting {
		t.Fatalf("KeyFailures = %+v, %v", held, err)
	}
	if err := s.DeleteFailure(ctx, held[0].ID); err != nil {
		t.Fatal(err)
	}
	if f, ok, _ := s.Failure(ctx, held[0].ID); ok {
		t.Fatalf("deleted failure still there: %+v", f)
	}
	// The failed head gone, the event waiting behind it heads the key,
	// failed and due at once, so that the leader applies it whoever
	// released the key and whatever happens next.
	if rest, _ := s.KeyFailures(ctx, "crm", "o1"); len(rest) != 1 || rest[0].State != StateFailed {
		t.Fatalf("after the head went: %+v", rest)
	}
	if due, _ := s.DueKeys(ctx, time.Now().Add(time.Second), 10); len(due) != 1 || due[0] != (FeedKey{"crm", "o1"}) {
		t.Fatalf("due keys = %v, want the key whose waiting event now heads it", due)
	}
}

func TestLeaseIsExclusive(t *testing.T) {
	t.Parallel()
	s := New(newTestPool(t))
	ctx := context.Background()
	first, err := s.TryAcquireLease(ctx)
	if err != nil || first == nil {
		t.Fatalf("first lease = %v, %v", first, err)
	}
	if err := first.Check(ctx); err != nil {
		t.Fatalf("held lease check: %v", err)
	}
	second, err := s.TryAcquireLease(ctx)
	if err != nil || second != nil {
		t.Fatalf("second lease while the first is held = %v, %v", second, err)
	}
	first.Release(ctx)
	second, err = s.TryAcquireLease(ctx)
	if err != nil || second == nil {
		t.Fatalf("lease after release = %v, %v", second, err)
	}
	second.Release(ctx)
}

// Demand versions grow whatever the clocks of the replicas that send say:
// a replica whose clock is behind the last version still gets a later one.
func TestNextDemandVersion(t *testing.T) {
	t.Parallel()
	s := New(newTestPool(t))
	ctx := context.Background()
	var got []int64
	for _, now := range []int64{1000, 2000, 1500, 2000, 5000} {
		v, err := s.NextDemandVersion(ctx, now)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if fmt.Sprint(got) != "[1000 2000 2001 2002 5000]" {
		t.Errorf("versions for clocks 1000 2000 1500 2000 5000 = %v, want [1000 2000 2001 2002 5000]", got)
	}
}

func TestDecisionTasks(t *testing.T) {
	t.Parallel()
	s := New(newTestPool(t))
	ctx := context.Background()
	if _, ok, err := s.DecisionTask(ctx, "opp", "order"); err != nil || ok {
		t.Fatalf("task before recording: %v, %v", ok, err)
	}
	for range 2 { // recording is idempotent
		if err := s.RecordDecisionTask(ctx, "opp", "order", "SO-1", "task-1"); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RecordDecisionTask(ctx, "opp", "order-2", "SO-2", "task-9"); err != nil {
		t.Fatal(err)
	}
	if id, ok, err := s.DecisionTask(ctx, "opp", "order"); err != nil || !ok || id != "task-1" {
		t.Fatalf("DecisionTask = %q, %v, %v", id, ok, err)
	}
	// A later task of the order replaces the first; forgetting the first
	// then keeps it.
	if err := s.RecordDecisionTask(ctx, "opp", "order", "SO-1", "task-2"); err != nil {
		t.Fatal(err)
	}
	if err := s.ForgetDecisionTask(ctx, "opp", "order", "task-1"); err != nil {
		t.Fatal(err)
	}
	if id, _, _ := s.DecisionTask(ctx, "opp", "order"); id != "task-2" {
		t.Fatalf("DecisionTask = %q, want task-2", id)
	}
	if err := s.ForgetDecisionTask(ctx, "opp", "order", "task-2"); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := s.DecisionTask(ctx, "opp", "order"); ok {
		t.Fatal("task still recorded after it was forgotten")
	}
	if id, _, _ := s.DecisionTask(ctx, "opp", "order-2"); id != "task-9" {
		t.Fatalf("the other order's task = %q, want task-9", id)
	}
}
