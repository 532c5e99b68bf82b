package flow

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/errs"
)

// Reconciliation compares both sides through their APIs and repairs the
// drift that lost or failed deliveries could leave: a won opportunity with
// no ERP order, an order not shown on its opportunity, lines that do not
// show what their order reserved, backordered and shipped, an item missing
// from the CRM catalog, availability (with its promise schedule) that
// differs from stock, an account with orders but no customer link, a
// customer whose name is not its account's. Every repair is one of the
// flows' idempotent commands.
//
// A pass reads each side in bulk, page by page, and may take minutes, in
// which records go on changing and their changes are delivered. So a
// record that differs in what the pass read is read again, both sides
// afresh (the copy after its source, so that a copy is never newer than
// the source it is compared with unless it claims what the source never
// said), and only what still differs is drift. What agrees when read again
// is counted as changed during the pass.

// Check names.
const (
	CheckWonHasOrder     = "won_opportunity_has_order"
	CheckOrderShown      = "order_shown_on_opportunity"
	CheckLineFulfilment  = "line_fulfilment_matches_order"
	CheckItemInCatalog   = "item_in_catalog"
	CheckAvailability    = "availability_matches_stock"
	CheckAccountCustomer = "account_has_customer"
	CheckPaymentStatus   = "payment_status_matches_invoices"
	CheckAccountBalance  = "account_balance_matches_invoices"
	reconcilePage        = 1000
)

// listedPerCheck bounds what a report lists of each check: at most this
// many repairs that worked, and apart from them as many entries of drift
// that is still there (a failed repair, or drift left for a person), so
// that neither a flood of one check's repairs hides another check's
// drift nor repairs that worked hide those that did not. A check counts
// what it does not list in Unlisted.
const listedPerCheck = 100

// Report is what a reconciliation pass found and did. A pass that has
// not ended yet has a zero End.
type Report struct {
	ID      int64         `json:"id"`
	Trigger string        `json:"trigger"`
	Start   time.Time     `json:"start"`
	End     time.Time     `json:"end"`
	Checks  []*CheckCount `json:"checks"`
	Repairs []Repair      `json:"repairs"`
	Error   string        `json:"error,omitempty"`
}

// Running reports whether the pass has not ended yet.
func (r Report) Running() bool { return r.End.IsZero() }

// CheckCount counts one rule.
type CheckCount struct {
	Name     string `json:"name"`
	Checked  int64  `json:"checked"`
	Drifted  int64  `json:"drifted"`
	Repaired int64  `json:"repaired"`
	// Changed counts records that differed as the pass first read them
	// and agreed when read again: they changed during the pass. They are
	// not drift.
	Changed int64 `json:"changed,omitempty"`
	// Unlisted counts drift the report does not list, beyond
	// listedPerCheck: every drift is listed or counted here (reports of
	// passes from before the bound per check have none).
	Unlisted int64 `json:"unlisted,omitempty"`

	// listed counts the check's entries in Repairs: repairs that worked,
	// and unresolved drift.
	listed, listedUnresolved int
}

// Repair is one fix, or a failed attempt at one, or drift left for a
// person.
type Repair struct {
	Check  string `json:"check"`
	Key    string `json:"key"`
	Detail string `json:"detail"`
	// Unresolved is drift that is still there: the repair failed, or the
	// pass left it for a person. A report lists a check's unresolved drift
	// before its repairs.
	Unresolved bool `json:"unresolved,omitempty"`
}

func (r *Report) check(name string) *CheckCount {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	c := &CheckCount{Name: name}
	r.Checks = append(r.Checks, c)
	return c
}

// drift records a difference and the outcome of its repair.
func (r *Report) drift(check, key, what string, repairErr error) {
	c := r.check(check)
	c.Drifted++
	if repairErr != nil {
		r.list(c, Repair{Check: check, Key: key, Detail: what + ": repair failed: " + repairErr.Error(), Unresolved: true})
		return
	}
	c.Repaired++
	r.list(c, Repair{Check: check, Key: key, Detail: what + ": repaired"})
}

// list lists an entry of check c, or counts it as unlisted when c lists
// listedPerCheck of its kind already.
func (r *Report) list(c *CheckCount, rep Repair) {
	n := &c.listed
	if rep.Unresolved {
		n = &c.listedUnresolved
	}
	if *n >= listedPerCheck {
		c.Unlisted++
		return
	}
	*n++
	r.Repairs = append(r.Repairs, rep)
}

// sortRepairs orders the listed entries by check, in the order of Checks,
// and each check's unresolved drift before its repairs, keeping the order
// of the pass within each.
func (r *Report) sortRepairs() {
	rank := make(map[string]int, len(r.Checks))
	for i, c := range r.Checks {
		rank[c.Name] = 2 * i
	}
	slices.SortStableFunc(r.Repairs, func(a, b Repair) int {
		return cmp.Compare(repairRank(rank, a), repairRank(rank, b))
	})
}

func repairRank(checks map[string]int, rep Repair) int {
	if rep.Unresolved {
		return checks[rep.Check]
	}
	return checks[rep.Check] + 1
}

// driftOrReset records a difference and the outcome of its versioned
// repair, unless the CRM kept its copy (errKept): then the outcome of
// reset, which replaces the copy on the condition that nothing wrote it
// since it was read and reports whether it sent that write.
func (r *Report) driftOrReset(check, key, what string, repairErr error, reset func() (bool, error)) {
	r.driftOrResetNoted(check, key, what, resetNote, repairErr, reset)
}

// driftOrResetNoted is driftOrReset with note as what the report adds to
// drift that a reset corrects, or tried to.
func (r *Report) driftOrResetNoted(check, key, what, note string, repairErr error, reset func() (bool, error)) {
	if errors.Is(repairErr, errKept) {
		sent, err := reset()
		if sent {
			what += note
		}
		repairErr = err
	}
	r.drift(check, key, what, repairErr)
}

// changed counts a record that agreed when read again.
func (r *Report) changed(check string) { r.check(check).Changed++ }

// unrepaired records drift the pass leaves to a person, and why.
func (r *Report) unrepaired(check, key, what, why string) {
	c := r.check(check)
	c.Drifted++
	r.list(c, Repair{Check: check, Key: key, Detail: what + ": left for a person: " + why, Unresolved: true})
}

// errKept is the outcome of a repair the CRM took without error but did
// not apply: its copy claims a newer source version than the ERP has,
// which no sync of the ERP's facts wrote (the ERP's database restored from
// a backup, or an integration caller's inflated version). A payment
// status, balances, a product's item fields and its availability, and the
// order shown on an opportunity are reset then, on the condition that
// nothing wrote them since they were read: a reset never undoes a newer
// delivery racing the pass. A person decides when a reset cannot settle
// the copy.
var errKept = errors.New("the CRM kept its copy, which claims a newer version than the ERP's; correct it at the source")

// resetNote is what a report adds to drift that a reset corrects, or
// tried to.
const resetNote = " (the CRM's copy claimed a version ahead of the ERP's; reset to the ERP's)"

// errResetRaced is the outcome of a reset of a CRM copy that was written
// between the pass's read and its reset.
var errResetRaced = errors.New("the CRM's copy was written while the pass corrected it; the next pass compares it again")

// resetError is the outcome of a reset write.
func resetError(err error) error {
	if status.Code(err) == codes.Aborted {
		return errResetRaced
	}
	if err != nil {
		return fmt.Errorf("reset the CRM's copy: %w", err)
	}
	return nil
}

// verified runs a repair and, when it returned no error, checks that the
// CRM now agrees (still reports whether it does not, reading the ERP again
// when it needs to: a newer change may have been delivered meanwhile).
func verified(repairErr error, still func() (bool, error)) error {
	return verifiedOr(errKept, repairErr, still)
}

// verifiedOr is verified with kept as the outcome of a repair the copy
// took without error but did not apply.
func verifiedOr(kept, repairErr error, still func() (bool, error)) error {
	if repairErr != nil {
		return repairErr
	}
	differs, err := still()
	switch {
	case err != nil:
		return err
	case differs:
		return kept
	}
	return nil
}

// ReconcileStore keeps reports.
type ReconcileStore interface {
	StartReconciliation(ctx context.Context, r postgres.Reconciliation) (int64, error)
	FinishReconciliation(ctx context.Context, r postgres.Reconciliation) error
	AbandonReconciliations(ctx context.Context, error string) (int64, error)
	Reconciliations(ctx context.Context, beforeID int64, limit int) ([]postgres.Reconciliation, error)
	Reconciliation(ctx context.Context, id int64) (postgres.Reconciliation, bool, error)
}

// ErrStandby is returned when a standby replica is asked to reconcile, or
// to retry or discard a held event: the leader holds the parked keys, and
// only it may release them.
var ErrStandby = errs.FailedPreconditionf("this bridge replica is a standby; ask the active one (GET /v1/status says which is leading)")

// abandoned is the error of a pass whose replica stopped before its end.
const abandoned = "the pass did not finish: the bridge replica running it stopped or lost the lease"

// StartReconcile starts a pass in the background and returns its report
// as it begins (Running). While a pass runs, another is not started: the
// running one is returned, so asking twice costs one pass. The pass runs
// until it ends or this replica's lease term does; its report is stored
// at the start and the end, readable by id meanwhile.
func (e *Engine) StartReconcile(ctx context.Context, trigger string) (Report, error) {
	e.reconcileMu.Lock()
	defer e.reconcileMu.Unlock()
	e.mu.Lock()
	term := e.term
	e.mu.Unlock()
	if term == nil {
		return Report{}, ErrStandby
	}
	if e.reconciling != nil {
		return *e.reconciling, nil
	}
	r := Report{Trigger: trigger, Start: e.opts.Now().UTC(), Checks: []*CheckCount{}, Repairs: []Repair{}}
	raw, err := json.Marshal(r)
	if err != nil {
		return Report{}, err
	}
	r.ID, err = e.store.StartReconciliation(ctx, postgres.Reconciliation{Trigger: trigger, StartedAt: r.Start, Report: raw})
	if err != nil {
		return Report{}, err
	}
	begun := r
	e.reconciling = &begun
	e.activity.add(Activity{Event: EventReconciliation, Key: strconv.FormatInt(r.ID, 10), Outcome: "started (" + trigger + ")"})
	e.passes.Go(func() {
		e.reconcile(term.ctx, &r)
		e.reconcileMu.Lock()
		e.reconciling = nil
		e.reconcileMu.Unlock()
	})
	return begun, nil
}

// reconcile runs the checks of a begun pass and stores its report.
func (e *Engine) reconcile(ctx context.Context, r *Report) {
	ctx = withRequestID(ctx, reconcileRequestID(r.ID))
	for _, name := range []string{CheckWonHasOrder, CheckOrderShown, CheckLineFulfilment, CheckPaymentStatus,
		CheckAccountCustomer, CheckAccountBalance, CheckItemInCatalog, CheckAvailability} {
		r.check(name)
	}
	accounts, errOrders := e.reconcileOrders(ctx, r)
	err := errors.Join(errOrders, e.reconcileCustomers(ctx, r, accounts), e.reconcileCatalog(ctx, r))
	if err != nil {
		r.Error = err.Error()
		if ctx.Err() != nil {
			r.Error = abandoned + " (" + r.Error + ")"
		}
	}
	r.sortRepairs()
	r.End = e.opts.Now().UTC()
	if !r.End.After(r.Start) {
		r.End = r.Start.Add(time.Microsecond)
	}
	e.activity.add(Activity{
		Event: EventReconciliation, Key: strconv.FormatInt(r.ID, 10), Outcome: fmt.Sprintf("ended, %d drifts listed", len(r.Repairs)),
		Error: r.Error, Took: r.End.Sub(r.Start),
	})
	raw, err := json.Marshal(r)
	if err == nil {
		err = e.store.FinishReconciliation(context.WithoutCancel(ctx), postgres.Reconciliation{
			ID: r.ID, Trigger: r.Trigger, StartedAt: r.Start, FinishedAt: r.End, Report: raw,
		})
	}
	if err != nil {
		e.log.ErrorContext(ctx, "store reconciliation", "id", r.ID, "err", err)
	}
	e.log.InfoContext(ctx, "reconciliation", "id", r.ID, "trigger", r.Trigger, "took", r.End.Sub(r.Start), "repairs", len(r.Repairs), "err", r.Error)
}

// LastReconciliation returns the newest pass's report, running or not.
func (e *Engine) LastReconciliation(ctx context.Context) (Report, bool, error) {
	recs, err := e.store.Reconciliations(ctx, 0, 1)
	if err != nil || len(recs) == 0 {
		return Report{}, false, err
	}
	r, err := StoredReport(recs[0])
	return r, err == nil, err
}

// StoredReport decodes a stored report.
func StoredReport(rec postgres.Reconciliation) (Report, error) {
	var r Report
	if err := json.Unmarshal(rec.Report, &r); err != nil {
		return Report{}, fmt.Errorf("decode reconciliation %d: %w", rec.ID, err)
	}
	r.ID, r.End = rec.ID, rec.FinishedAt
	return r, nil
}

// reconcilePeriodically runs a pass every interval while ctx lasts.
func (e *Engine) reconcilePeriodically(ctx context.Context) {
	if e.opts.ReconcileEvery <= 0 {
		return
	}
	t := time.NewTicker(e.opts.ReconcileEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := e.StartReconcile(ctx, "periodic"); err != nil && ctx.Err() == nil {
				e.log.Warn("periodic reconciliation", "err", err)
			}
		}
	}
}
