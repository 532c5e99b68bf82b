package servicecase

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/errs"
)

func TestSLAAndBreach(t *testing.T) {
	for p, want := range map[Priority]time.Duration{PriorityUrgent: 4 * time.Hour, PriorityHigh: 8 * time.Hour,
		PriorityNormal: 24 * time.Hour, PriorityLow: 72 * time.Hour} {
		if got := SLA(p); got != want {
			t.Errorf("SLA(%s) = %v, want %v", p, got, want)
		}
	}
	due := time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		status Status
		now    time.Time
		want   bool
	}{
		{StatusNew, due.Add(-time.Second), false},
		{StatusNew, due, false},
		{StatusInProgress, due.Add(time.Second), true},
		{StatusWaitingOnCustomer, due.Add(time.Hour), true},
		{StatusResolved, due.Add(time.Hour), false},
		{StatusClosed, due.Add(time.Hour), false},
	} {
		if got := (Case{Status: tc.status, SLADueTime: due}).Breached(tc.now); got != tc.want {
			t.Errorf("%s at %v: breached %v, want %v", tc.status, tc.now, got, tc.want)
		}
	}
}

// The SLA clock stops while a case waits on the customer: the wait moves
// the due time on when it ends, a priority change counts the earlier
// waits, and a waiting case is breached only if it was when the wait
// began.
func TestSLAPausesWhileWaitingOnCustomer(t *testing.T) {
	created := time.Date(2030, 1, 1, 8, 0, 0, 0, time.UTC)
	c := Case{Status: StatusNew, Priority: PriorityNormal, CreateTime: created, SLADueTime: created.Add(24 * time.Hour)}
	at := func(h int) time.Time { return created.Add(time.Duration(h) * time.Hour) }
	move := func(s Status, now time.Time) {
		was := c.Status
		c.Status = s
		c.pauseSLA(was, c.ResolveTime, now)
		if s.Done() {
			c.ResolveTime = now
		}
	}
	move(StatusWaitingOnCustomer, at(20))
	if !c.SLAPausedAt.Equal(at(20)) || !c.SLADueTime.Equal(at(24)) {
		t.Fatalf("waiting: paused at %v, due %v", c.SLAPausedAt, c.SLADueTime)
	}
	if c.Breached(at(30)) {
		t.Error("breached at 30 h while waiting since 20 h, due at 24 h")
	}
	move(StatusWaitingOnCustomer, at(25)) // still waiting: nothing moves
	move(StatusInProgress, at(30))
	if !c.SLAPausedAt.IsZero() || !c.SLADueTime.Equal(at(34)) || c.SLAPausedFor != 10*time.Hour {
		t.Fatalf("after a 10 h wait: paused at %v, due %v, paused for %v", c.SLAPausedAt, c.SLADueTime, c.SLAPausedFor)
	}
	if c.Breached(at(33)) || !c.Breached(at(35)) {
		t.Error("breach not at the moved due time")
	}
	move(StatusWaitingOnCustomer, at(40)) // waits after its due time: stays breached
	if !c.Breached(at(41)) {
		t.Error("a case that waits after its due time is no longer breached")
	}
	if !c.SLAPausedSince().Equal(at(40)) {
		t.Errorf("waiting since 40 h: paused since %v", c.SLAPausedSince())
	}
	// Resolving ends the wait (the due time moves on by it) and pauses the
	// clock from the resolution.
	move(StatusResolved, at(50))
	if !c.SLAPausedAt.IsZero() || c.SLAPausedFor != 20*time.Hour || !c.SLADueTime.Equal(at(44)) {
		t.Errorf("resolved from waiting: paused at %v, paused for %v, due %v", c.SLAPausedAt, c.SLAPausedFor, c.SLADueTime)
	}
	if !c.SLAPausedSince().Equal(at(50)) {
		t.Errorf("resolved at 50 h: paused since %v", c.SLAPausedSince())
	}
	// Reopened, the case resumes its clock where resolving stopped it: 6 h
	// overdue when resolved, 6 h overdue when reopened.
	move(StatusInProgress, at(60))
	if !c.SLADueTime.Equal(at(54)) || c.SLAPausedFor != 30*time.Hour || !c.Breached(at(60)) || !c.SLAPausedSince().IsZero() {
		t.Errorf("reopened after 10 h resolved: due %v, paused for %v, paused since %v", c.SLADueTime, c.SLAPausedFor, c.SLAPausedSince())
	}
	// Reopened into a wait: the resolved time counts, and the wait begins.
	move(StatusResolved, at(61))
	move(StatusWaitingOnCustomer, at(63))
	if !c.SLADueTime.Equal(at(56)) || !c.SLAPausedAt.Equal(at(63)) || !c.SLAPausedSince().Equal(at(63)) {
		t.Errorf("reopened into a wait: due %v, paused at %v", c.SLADueTime, c.SLAPausedAt)
	}
	// A closed case's clock is stopped for good, not paused.
	move(StatusResolved, at(64))
	move(StatusClosed, at(70))
	if !c.SLAPausedSince().IsZero() {
		t.Errorf("closed: paused since %v", c.SLAPausedSince())
	}
}

// A text search is split into words at spaces; one that the trigram index
// cannot serve, or too long, is a violation of query.
func TestParseText(t *testing.T) {
	for _, tc := range []struct {
		text string
		want []string
		bad  bool
	}{
		{"", nil, false},
		{"   ", nil, false},
		{" printer\tjam\n", []string{"printer", "jam"}, false},
		{"Ärg", []string{"Ärg"}, false},
		{"printer to", nil, true},
		{"ab", nil, true},
		{"one two three four five six seven eight nine ten", []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"}, false},
		{"one two three four five six seven eight nine ten eleven", nil, true},
		{strings.Repeat("x", MaxSearch), []string{strings.Repeat("x", MaxSearch)}, false},
		{strings.Repeat("x", MaxSearch+1), nil, true},
		{"jam\x00med", nil, true},
		{"jam\xffmed", nil, true},
	} {
		var v errs.Violations
		got := parseText(&v, tc.text)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: words %q, want %q", tc.text, got, tc.want)
		}
		err := v.Err()
		if tc.bad != (err != nil) {
			t.Errorf("%q: error %v, want one: %v", tc.text, err, tc.bad)
		}
		var e *errs.Error
		if err != nil && (!errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != "query") {
			t.Errorf("%q: %v is not a violation of query", tc.text, err)
		}
	}
}
