package flow

import "sync"

// progress tracks events handed to lanes in feed order and finished in any
// order, and knows the last cursor before which every event is finished:
// the checkpoint that is safe to save. After a crash the feed resumes
// there, replaying events that finished out of order, which the flows
// apply idempotently.
type progress struct {
	mu      sync.Mutex
	base    uint64 // sequence number of pending[0]
	pending []slot
	done    string // cursor of the last event of the finished prefix
	changed bool
}

type slot struct {
	cursor   string
	finished bool
}

func newProgress(cursor string) *progress { return &progress{done: cursor} }

// add registers the next event in feed order and returns its number.
func (p *progress) add(cursor string) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending = append(p.pending, slot{cursor: cursor})
	return p.base + uint64(len(p.pending)) - 1
}

// finish marks an event finished and advances the finished prefix.
func (p *progress) finish(seq uint64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.pending[seq-p.base].finished = true
	n := 0
	for n < len(p.pending) && p.pending[n].finished {
		n++
	}
	if n == 0 {
		return
	}
	p.done = p.pending[n-1].cursor
	p.changed = true
	p.pending = p.pending[n:]
	p.base += uint64(n)
}

// checkpoint returns the cursor safe to save and whether it moved since the
// last call.
func (p *progress) checkpoint() (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	changed := p.changed
	p.changed = false
	return p.done, changed
}

// inFlight is the number of events handed out and not finished.
func (p *progress) inFlight() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.pending)
}
