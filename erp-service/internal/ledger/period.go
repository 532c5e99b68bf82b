package ledger

import (
	"context"
	"time"

	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
)

// Actions on the closed period.
const (
	// ActionClose moves the closed-through day forward.
	ActionClose = "close"
	// ActionReopen moves it back (or clears it), with a reason.
	ActionReopen = "reopen"
)

// MaxReopenReasonLength bounds a reopen's reason, in bytes.
const MaxReopenReasonLength = 1000

// Period is how far the books are closed: no journal entry may be dated
// on or before ClosedThrough (the database refuses its lines), except a
// reversal, which is dated on the first open day instead.
type Period struct {
	// ClosedThrough is the last closed day (UTC midnight); zero when
	// nothing is closed.
	ClosedThrough time.Time
	// LastChange is the close or reopen that set it; its ID is empty when
	// there was none.
	LastChange PeriodChange
}

// FirstOpenDay is the first day entries may be dated on; zero when
// nothing is closed.
func (p Period) FirstOpenDay() time.Time {
	if p.ClosedThrough.IsZero() {
		return time.Time{}
	}
	return p.ClosedThrough.AddDate(0, 0, 1)
}

// PeriodChange is one close or reopen, kept for good.
type PeriodChange struct {
	ID     string
	Action string // ActionClose or ActionReopen
	// Through is the closed-through day it set (zero for a reopen of
	// everything), Previous the one before (zero for none).
	Through, Previous time.Time
	Reason            string // why a reopen was needed
	Actor             string
	Time              time.Time
}

// CheckClose reports whether the books, closed through current (zero for
// nothing), may be closed through through on day today: only forward, and
// only through a day that has begun (closing through today stops today's
// postings too).
func CheckClose(current, through, today time.Time) error {
	if through.After(today) {
		return errs.Invalid("through_date", "%s is after today (%s): only days that have begun can be closed", civil.FormatDate(through), civil.FormatDate(today))
	}
	if !current.IsZero() && !through.After(current) {
		return errs.FailedPreconditionf("the books are already closed through %s: a close only moves the closed period forward, to a day after it (an admin reopens with ReopenLedgerPeriod)",
			civil.FormatDate(current))
	}
	return nil
}

// CheckReopen reports whether the books, closed through current, may be
// reopened to be closed through through (zero: nothing closed): only
// backward.
func CheckReopen(current, through time.Time) error {
	if current.IsZero() {
		return errs.FailedPreconditionf("the books are not closed: there is no closed period to reopen")
	}
	if !through.Before(current) {
		return errs.FailedPreconditionf("the books are closed through %s: a reopen moves the closed period back, to a day before it (a close moves it forward)",
			civil.FormatDate(current))
	}
	return nil
}

// PeriodQuery selects a page of period changes, newest first.
type PeriodQuery struct {
	PageSize int
	After    string // id of the last change of the previous page
}

// PeriodStore keeps the closed period. Closing and reopening lock it
// against postings, which hold it while they post, so a posting dated in
// a period never commits after the close of that period.
type PeriodStore interface {
	GetPeriod(ctx context.Context) (Period, error)
	// ClosePeriod closes the books through through (CheckClose, against
	// the database's day), recording change id, or with requestID repeated
	// answers what that request did.
	ClosePeriod(ctx context.Context, through time.Time, id, requestID string) (Period, error)
	// ReopenPeriod moves the closed period back to through (zero: nothing
	// closed) for reason (CheckReopen).
	ReopenPeriod(ctx context.Context, through time.Time, reason, id, requestID string) (Period, error)
	// ListPeriodChanges pages through the closes and reopens, newest
	// first.
	ListPeriodChanges(ctx context.Context, q PeriodQuery) ([]PeriodChange, bool, error)
}
