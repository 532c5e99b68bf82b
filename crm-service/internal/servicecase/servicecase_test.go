package servicecase

import (
	"testing"
	"time"
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
