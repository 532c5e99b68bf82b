package flow

import "testing"

func TestProgressSavesOnlyTheFinishedPrefix(t *testing.T) {
	t.Parallel()
	p := newProgress("c0")
	a, b, c := p.add("c1"), p.add("c2"), p.add("c3")
	p.finish(b) // out of order: c1 is still running
	if cur, changed := p.checkpoint(); cur != "c0" || changed {
		t.Fatalf("checkpoint with c1 running = %q, %v; want c0, unchanged", cur, changed)
	}
	p.finish(a)
	if cur, changed := p.checkpoint(); cur != "c2" || !changed {
		t.Fatalf("checkpoint = %q, %v; want c2, changed", cur, changed)
	}
	if _, changed := p.checkpoint(); changed {
		t.Fatal("checkpoint changed twice for one advance")
	}
	p.finish(c)
	if cur, _ := p.checkpoint(); cur != "c3" || p.inFlight() != 0 {
		t.Fatalf("checkpoint = %q with %d in flight; want c3 and none", cur, p.inFlight())
	}
}
