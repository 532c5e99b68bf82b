package flow

import (
	"context"
	"errors"
	"testing"
	"time"
)

// An order's write-back goes out once per version: a claim for a version
// written or being written waits for that write and then stands down,
// unless the write failed; a newer version never waits.
func TestRevisionsClaim(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	var r revisions
	claimed := func(id string, version int64) (chan func(bool), chan error) {
		fc, ec := make(chan func(bool), 1), make(chan error, 1)
		go func() {
			f, err := r.claim(ctx, id, version)
			fc <- f
			ec <- err
		}()
		return fc, ec
	}
	settled := func(fc chan func(bool)) (func(bool), bool) {
		select {
		case f := <-fc:
			return f, true
		case <-time.After(50 * time.Millisecond):
			return nil, false
		}
	}

	// The flow that placed the order writes version 2; the order's own
	// events (versions 1 and 2) arrive meanwhile and wait.
	write2, err := r.claim(ctx, "o1", 2)
	if err != nil || write2 == nil {
		t.Fatalf("first claim: %v, %v", write2 != nil, err)
	}
	old, _ := claimed("o1", 1)
	same, _ := claimed("o1", 2)
	if _, ok := settled(old); ok {
		t.Fatal("a claim of an older version did not wait for the write in flight")
	}
	newer, err := r.claim(ctx, "o1", 3)
	if err != nil || newer == nil {
		t.Fatal("a claim of a newer version waited or was refused")
	}
	write2(true)
	for _, fc := range []chan func(bool){old, same} {
		if f, ok := settled(fc); !ok || f != nil {
			t.Fatalf("after the write succeeded: settled %v, writes again %v", ok, f != nil)
		}
	}
	newer(true)
	if f, _ := r.claim(ctx, "o1", 3); f != nil {
		t.Fatal("a written version is claimed again")
	}

	// A failed write lets the waiting claim write.
	write, _ := r.claim(ctx, "o2", 5)
	waiting, _ := claimed("o2", 5)
	write(false)
	f, ok := settled(waiting)
	if !ok || f == nil {
		t.Fatalf("after the write failed: settled %v, writes %v", ok, f != nil)
	}
	f(true)

	// forget lets a written version go out again.
	r.forget("o2")
	if f, _ := r.claim(ctx, "o2", 5); f == nil {
		t.Fatal("a forgotten version is not written again")
	} else {
		f(true)
	}

	// A waiting claim ends with its context.
	write, _ = r.claim(ctx, "o3", 1)
	cctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := r.claim(cctx, "o3", 1)
		errc <- err
	}()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("claim with a cancelled context: %v", err)
	}
	write(true)
}
