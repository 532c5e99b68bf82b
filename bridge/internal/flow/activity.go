package flow

import (
	"sync"
	"time"
)

// Activity is one thing this replica did: an event applied or failing, a
// held event retried or discarded, a reconciliation pass. The console
// lists the latest.
type Activity struct {
	Time time.Time
	// Feed is FeedCRM or FeedERP; empty for a reconciliation.
	Feed string
	// Event is the event type, or "reconciliation".
	Event string
	// Key is the event's key, or the reconciliation's id.
	Key string
	// Outcome says what happened, in a few words.
	Outcome string
	// Error is set when it failed.
	Error string
	// Took is how long applying took; 0 when not measured.
	Took time.Duration
}

// Activity outcomes.
const (
	OutcomeApplied   = "applied"
	OutcomeRetrying  = "failed; retrying"
	OutcomeParked    = "failed; key parked"
	OutcomeHeld      = "held behind its parked key"
	OutcomeRetried   = "held event applied"
	OutcomeStillHeld = "held event failed again"
	OutcomeDiscarded = "held event discarded"
	// OutcomeSuperseded: a later held event of the key made it moot.
	OutcomeSuperseded = "held event skipped, superseded"

	// EventReconciliation is the Event of a reconciliation pass.
	EventReconciliation = "reconciliation"
)

// activityKept is how many activities a replica remembers.
const activityKept = 100

// activityLog keeps the latest activities in a ring.
type activityLog struct {
	mu   sync.Mutex
	ring [activityKept]Activity
	next int
	full bool
	now  func() time.Time
}

func (l *activityLog) add(a Activity) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if a.Time.IsZero() {
		if l.now != nil {
			a.Time = l.now()
		} else {
			a.Time = time.Now()
		}
	}
	l.ring[l.next] = a
	l.next++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
}

// recent returns up to n activities, newest first.
func (l *activityLog) recent(n int) []Activity {
	l.mu.Lock()
	defer l.mu.Unlock()
	size := l.next
	if l.full {
		size = len(l.ring)
	}
	n = min(n, size)
	out := make([]Activity, 0, n)
	for i := range n {
		out = append(out, l.ring[(l.next-1-i+len(l.ring))%len(l.ring)])
	}
	return out
}

// Activity returns up to n of this replica's latest activities, newest
// first.
func (e *Engine) Activity(n int) []Activity { return e.activity.recent(n) }
