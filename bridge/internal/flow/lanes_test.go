package flow

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

type recorder struct {
	mu       sync.Mutex
	applied  map[string][]string // key -> cursors in applied order
	finished []uint64
	skipped  int
}

func (r *recorder) apply(_ context.Context, ev *crmv1.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.applied[ev.GetKey()] = append(r.applied[ev.GetKey()], ev.GetCursor())
	return nil
}

func (r *recorder) finish(seq uint64, applied bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.finished = append(r.finished, seq)
	if !applied {
		r.skipped++
	}
}

// Events of one key apply in feed order; a queued later event of the same
// key and type supersedes an earlier one; every event finishes once.
func TestLanesKeepOrderPerKey(t *testing.T) {
	t.Parallel()
	r := &recorder{applied: map[string][]string{}}
	l := newLanes(4, 1000, r.apply, r.finish)
	ctx := context.Background()
	var want int
	for i := range 200 {
		key := fmt.Sprintf("k%d", i%7)
		typ := fmt.Sprintf("t%d", i%3) // three types per key, so most events are kept
		if !l.push(ctx, &crmv1.Event{Key: key, Type: typ, Cursor: fmt.Sprintf("%04d", i)}, uint64(i)) {
			t.Fatal("push refused")
		}
		want++
	}
	done := make(chan struct{})
	go func() { l.run(ctx); close(done) }()
	l.close()
	<-done

	if len(r.finished) != want {
		t.Fatalf("%d events finished, want %d", len(r.finished), want)
	}
	for key, cursors := range r.applied {
		if !slices.IsSorted(cursors) {
			t.Errorf("key %s applied out of feed order: %v", key, cursors)
		}
	}
	if r.skipped == 0 {
		t.Error("no event was coalesced although later ones of the same key and type were queued")
	}
}

// A key whose events block does not hold up the other keys.
func TestLanesBlockedKeyDoesNotStopOthers(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var mu sync.Mutex
	var appliedOthers int
	apply := func(ctx context.Context, ev *crmv1.Event) error {
		if ev.GetKey() == "poison" {
			select {
			case <-release:
			case <-ctx.Done():
				return ctx.Err()
			}
			return nil
		}
		mu.Lock()
		appliedOthers++
		mu.Unlock()
		return nil
	}
	l := newLanes(8, 16, apply, func(uint64, bool) {})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go l.run(ctx)
	l.push(ctx, &crmv1.Event{Key: "poison", Type: "t"}, 0)
	others := 0
	for i := range 100 {
		key := fmt.Sprintf("other-%d", i)
		if l.lane(key) == l.lane("poison") {
			continue // shares the blocked lane
		}
		l.push(ctx, &crmv1.Event{Key: key, Type: "t"}, uint64(i+1))
		others++
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := appliedOthers
		mu.Unlock()
		if n == others {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d other keys applied while one key was blocked", n, others)
		}
		time.Sleep(5 * time.Millisecond)
	}
	close(release)
}
