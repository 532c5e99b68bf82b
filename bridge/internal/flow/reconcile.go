package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Reconciliation compares both sides through their APIs and repairs the
// drift that lost or failed deliveries could leave: a won opportunity with
// no ERP order, an order not shown on its opportunity, an item missing
// from the CRM catalog, availability that differs from stock, an account
// with orders but no customer link, a customer whose name is not its
// account's. Every repair is one of the flows' idempotent commands.
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
	CheckItemInCatalog   = "item_in_catalog"
	CheckAvailability    = "availability_matches_stock"
	CheckAccountCustomer = "account_has_customer"
	CheckPaymentStatus   = "payment_status_matches_invoices"
	CheckAccountBalance  = "account_balance_matches_invoices"
	reconcilePage        = 1000
	maxRepairsListed     = 1000
)

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
}

// Repair is one fix, or a failed attempt at one.
type Repair struct {
	Check  string `json:"check"`
	Key    string `json:"key"`
	Detail string `json:"detail"`
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
	detail := what + ": repaired"
	if repairErr != nil {
		detail = what + ": repair failed: " + repairErr.Error()
	} else {
		c.Repaired++
	}
	if len(r.Repairs) < maxRepairsListed {
		r.Repairs = append(r.Repairs, Repair{Check: check, Key: key, Detail: detail})
	}
}

// changed counts a record that agreed when read again.
func (r *Report) changed(check string) { r.check(check).Changed++ }

// unrepaired records drift the pass leaves to a person, and why.
func (r *Report) unrepaired(check, key, what, why string) {
	r.check(check).Drifted++
	if len(r.Repairs) < maxRepairsListed {
		r.Repairs = append(r.Repairs, Repair{Check: check, Key: key, Detail: what + ": left for a person: " + why})
	}
}

// errKept is the outcome of a repair the CRM took without error but did
// not apply: its copy claims a newer source version than the ERP has,
// which no sync wrote. Writing over it could undo a newer delivery racing
// the pass, so a person decides.
var errKept = errors.New("the CRM kept its copy, which claims a newer version than the ERP's; correct it at the source")

// errStatusWithoutBalance is the outcome for an account whose payment
// status disagrees with balances that agree: no balance of the ERP's is
// newer than the CRM's, so no write can correct it.
var errStatusWithoutBalance = errors.New("the account's payment status does not follow from its balances, and the ERP has no newer balance to write")

// errBalanceNeverReported is the outcome for an account that shows a
// balance in a currency of which the ERP never reported one: no version
// of the ERP's can replace a copy that came from elsewhere.
var errBalanceNeverReported = errors.New("the ERP never reported a balance for this customer in that currency, so no version of its can correct the CRM's copy; correct it at the source")

// errCustomerKept is the outcome of a customer's name the ERP did not
// take from its account: the customer claims to mirror a newer version of
// the account than the CRM has.
var errCustomerKept = errors.New("the ERP kept its customer's name, which claims a newer account version than the CRM's; correct it at the source")

// withoutItem is why a CRM product no ERP item has is left for a person:
// the ERP owns items, but the CRM has no call that removes a product.
const withoutItem = "the ERP, which owns items, has none with this SKU, and the bridge has no way to remove a CRM product; " +
	"create the item in the ERP, or take the product out of the CRM catalog"

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
	for _, name := range []string{CheckWonHasOrder, CheckOrderShown, CheckPaymentStatus, CheckAccountCustomer, CheckAccountBalance,
		CheckItemInCatalog, CheckAvailability} {
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
		e.log.Error("store reconciliation", "id", r.ID, "err", err)
	}
	e.log.Info("reconciliation", "id", r.ID, "trigger", r.Trigger, "took", r.End.Sub(r.Start), "repairs", len(r.Repairs), "err", r.Error)
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

// reconcileOrders compares every won opportunity with its active ERP
// order, and returns the accounts of the won opportunities.
func (e *Engine) reconcileOrders(ctx context.Context, r *Report) (map[string]bool, error) {
	orders := map[string]*erpv1.SalesOrder{}
	accounts := map[string]bool{}
	token := ""
	for {
		resp, err := e.erp.SalesOrders.ListSalesOrders(ctx, &erpv1.ListSalesOrdersRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return accounts, fmt.Errorf("list ERP orders: %w", err)
		}
		for _, o := range resp.GetSalesOrders() {
			id, ok := dealOf(o)
			if !ok || cancelled(o) {
				continue
			}
			// The active order of an opportunity is its newest not cancelled.
			if prev, ok := orders[id]; !ok || orderVersion(o) > orderVersion(prev) {
				orders[id] = o
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	token = ""
	for {
		resp, err := e.crm.Opportunities.ListOpportunities(ctx, &crmv1.ListOpportunitiesRequest{
			PageSize: reconcilePage, PageToken: token, Filter: "stage = STAGE_CLOSED_WON",
		})
		if err != nil {
			return accounts, fmt.Errorf("list won opportunities: %w", err)
		}
		for _, opp := range resp.GetOpportunities() {
			accounts[opp.GetAccountId()] = true
			if err := e.reconcileDeal(ctx, r, opp, orders[opp.GetId()]); err != nil {
				return accounts, err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return accounts, nil
		}
	}
}

// reconcileDeal compares a won opportunity with its active order, both as
// the pass listed them (o is nil when no order was listed), and what
// differs once more with both read afresh.
func (e *Engine) reconcileDeal(ctx context.Context, r *Report, opp *crmv1.Opportunity, o *erpv1.SalesOrder) error {
	r.check(CheckWonHasOrder).Checked++
	if o == nil {
		now, active, err := e.dealNow(ctx, opp.GetId())
		if err != nil {
			return err
		}
		switch {
		case !isWon(now):
			r.changed(CheckWonHasOrder) // lost, reopened or deleted since it was listed
			return nil
		case active == nil:
			r.drift(CheckWonHasOrder, opp.GetId(), "won opportunity without an ERP order", e.placeOrder(ctx, now))
			return nil
		}
		r.changed(CheckWonHasOrder) // its order was placed after the orders were listed
		opp, o = now, active
	}

	r.check(CheckOrderShown).Checked++
	if !showsOrder(opp, o) {
		now, active, err := e.dealNow(ctx, opp.GetId())
		if err != nil {
			return err
		}
		if !isWon(now) || active == nil {
			r.changed(CheckOrderShown) // no longer a won deal with an order
			return nil
		}
		opp, o = now, active
		if showsOrder(opp, o) {
			r.changed(CheckOrderShown)
		} else {
			what := fmt.Sprintf("opportunity shows order %q %s, ERP has %s %s", opp.GetOrder().GetNumber(),
				opp.GetOrder().GetStatus(), o.GetNumber(), fulfillment(o))
			r.drift(CheckOrderShown, opp.GetId(), what, verified(e.forceOrderBack(ctx, o), func() (bool, error) {
				now, active, err := e.dealNow(ctx, opp.GetId())
				return err == nil && isWon(now) && active != nil && !showsOrder(now, active), err
			}))
		}
	}
	return e.reconcilePayment(ctx, r, opp, o)
}

// dealNow reads an opportunity (nil when it is gone) and then its active
// order (nil when it has none).
func (e *Engine) dealNow(ctx context.Context, opportunityID string) (*crmv1.Opportunity, *erpv1.SalesOrder, error) {
	opp, err := e.crm.Opportunities.GetOpportunity(ctx, &crmv1.GetOpportunityRequest{Id: opportunityID})
	if status.Code(err) == codes.NotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read opportunity %s: %w", opportunityID, err)
	}
	o, err := e.activeOrder(ctx, opportunityID)
	return opp, o, err
}

func isWon(opp *crmv1.Opportunity) bool {
	return opp != nil && opp.GetStage() == crmv1.Stage_STAGE_CLOSED_WON
}

// showsOrder reports whether an opportunity shows an order's number and
// status.
func showsOrder(opp *crmv1.Opportunity, o *erpv1.SalesOrder) bool {
	return opp.GetOrder().GetNumber() == o.GetNumber() && opp.GetOrder().GetStatus() == fulfillment(o)
}

// reconcilePayment compares an opportunity's payment status with its
// order and the order's invoices, read afresh: the order listed at the
// start of the pass may be older than its invoices are now.
func (e *Engine) reconcilePayment(ctx context.Context, r *Report, opp *crmv1.Opportunity, listed *erpv1.SalesOrder) error {
	o, invoices, err := e.orderWithInvoices(ctx, listed.GetId())
	if err != nil {
		return err
	}
	r.check(CheckPaymentStatus).Checked++
	want, version := orderPaymentStatus(o, invoices)
	if version == 0 || shownPayment(opp) == want {
		return nil
	}
	// The opportunity may have been listed minutes ago.
	opp, want, version, err = e.paymentNow(ctx, opp.GetId(), listed.GetId())
	if err != nil {
		return err
	}
	if opp == nil || version == 0 || shownPayment(opp) == want {
		r.changed(CheckPaymentStatus)
		return nil
	}
	got := shownPayment(opp)
	now, err := e.crm.Sync.SetOpportunityPaymentStatus(ctx, &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: opp.GetId(), PaymentStatus: want, SourceVersion: version,
	})
	r.drift(CheckPaymentStatus, opp.GetId(), fmt.Sprintf("opportunity shows %s, the order and its invoices say %s", got, want),
		verified(err, func() (bool, error) {
			if shownPayment(now) == want {
				return false, nil
			}
			opp, want, _, err := e.paymentNow(ctx, opp.GetId(), listed.GetId())
			return err == nil && opp != nil && shownPayment(opp) != want, err
		}))
	return nil
}

// paymentNow reads an opportunity (nil when it is gone) and then the
// payment status and its version that its order and the order's invoices
// give.
func (e *Engine) paymentNow(ctx context.Context, opportunityID, orderID string) (*crmv1.Opportunity, crmv1.PaymentStatus, int64, error) {
	opp, err := e.crm.Opportunities.GetOpportunity(ctx, &crmv1.GetOpportunityRequest{Id: opportunityID})
	if status.Code(err) == codes.NotFound {
		return nil, 0, 0, nil
	}
	if err != nil {
		return nil, 0, 0, fmt.Errorf("read opportunity %s: %w", opportunityID, err)
	}
	o, invoices, err := e.orderWithInvoices(ctx, orderID)
	if err != nil {
		return nil, 0, 0, err
	}
	want, version := orderPaymentStatus(o, invoices)
	return opp, want, version, nil
}

// shownPayment is the payment status an opportunity shows; one never
// written is not invoiced.
func shownPayment(opp *crmv1.Opportunity) crmv1.PaymentStatus {
	if s := opp.GetPaymentStatus(); s != crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED {
		return s
	}
	return crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED
}

// reconcileCustomers compares every ERP customer that mirrors a CRM
// account with it: its name, and its balances in every currency. Then it
// checks that the accounts of won deals not met that way are linked to a
// customer.
func (e *Engine) reconcileCustomers(ctx context.Context, r *Report, accounts map[string]bool) error {
	token := ""
	for {
		resp, err := e.erp.Customers.ListCustomers(ctx, &erpv1.ListCustomersRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list ERP customers: %w", err)
		}
		for _, c := range resp.GetCustomers() {
			if !isCRMID(c.GetCrmAccountId()) {
				continue
			}
			acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: c.GetCrmAccountId()})
			if status.Code(err) == codes.NotFound {
				continue // the account is gone; nothing to compare with
			}
			if err != nil {
				return fmt.Errorf("read account %s: %w", c.GetCrmAccountId(), err)
			}
			if acc.GetErpCustomerId() != "" {
				delete(accounts, acc.GetId())
			}
			if err := e.reconcileCustomerName(ctx, r, c, acc); err != nil {
				return err
			}
			if err := e.reconcileBalance(ctx, r, c, acc); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	for _, accountID := range slices.Sorted(maps.Keys(accounts)) {
		r.check(CheckAccountCustomer).Checked++
		acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
		if status.Code(err) == codes.NotFound {
			r.changed(CheckAccountCustomer) // deleted during the pass
			continue
		}
		if err != nil {
			return fmt.Errorf("read account %s: %w", accountID, err)
		}
		if acc.GetErpCustomerId() == "" {
			_, err := e.syncAccount(ctx, acc, 0)
			r.drift(CheckAccountCustomer, accountID, "account with orders but no ERP customer link", err)
		}
	}
	return nil
}

// reconcileCustomerName compares a customer's name with its account's:
// the CRM owns it, and a customer renamed in the ERP gets its account's
// name back.
func (e *Engine) reconcileCustomerName(ctx context.Context, r *Report, c *erpv1.Customer, acc *crmv1.Account) error {
	r.check(CheckAccountCustomer).Checked++
	if c.GetName() == acc.GetName() {
		return nil
	}
	acc, c, err := e.customerNow(ctx, acc.GetId(), c.GetId())
	if err != nil {
		return err
	}
	if acc == nil || c == nil || c.GetName() == acc.GetName() {
		r.changed(CheckAccountCustomer)
		return nil
	}
	what := fmt.Sprintf("ERP customer %s is named %q, its account %q", c.GetId(), c.GetName(), acc.GetName())
	version, _ := strconv.ParseInt(acc.GetEtag(), 10, 64)
	_, err = e.syncAccount(ctx, acc, version)
	r.drift(CheckAccountCustomer, acc.GetId(), what, verifiedOr(errCustomerKept, err, func() (bool, error) {
		acc, c, err := e.customerNow(ctx, acc.GetId(), c.GetId())
		return err == nil && acc != nil && c != nil && c.GetName() != acc.GetName(), err
	}))
	return nil
}

// customerNow reads an account and then a customer, each nil when gone.
func (e *Engine) customerNow(ctx context.Context, accountID, customerID string) (*crmv1.Account, *erpv1.Customer, error) {
	acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
	if status.Code(err) == codes.NotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read account %s: %w", accountID, err)
	}
	c, err := e.erp.Customers.GetCustomer(ctx, &erpv1.GetCustomerRequest{Id: customerID})
	if status.Code(err) == codes.NotFound {
		return acc, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read customer %s: %w", customerID, err)
	}
	return acc, c, nil
}

// reconcileBalance compares an account's balances, in every currency, and
// its payment status with its ERP customer's, and writes the balances of
// the currencies that differ, each with the ERP's version.
func (e *Engine) reconcileBalance(ctx context.Context, r *Report, c *erpv1.Customer, acc *crmv1.Account) error {
	r.check(CheckAccountBalance).Checked++
	erp, err := e.balancesOf(ctx, c, acc)
	if err != nil {
		return err
	}
	if sameBalances(acc, erp) {
		return nil // the same in every currency (or never invoiced, and shown so)
	}
	acc, err = e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: acc.GetId()})
	if status.Code(err) == codes.NotFound {
		r.changed(CheckAccountBalance)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read account %s: %w", c.GetCrmAccountId(), err)
	}
	if erp, err = e.balancesOf(ctx, c, acc); err != nil {
		return err
	}
	if sameBalances(acc, erp) {
		r.changed(CheckAccountBalance)
		return nil
	}
	req := &crmv1.SetAccountPaymentStatusRequest{AccountId: acc.GetId()}
	unversioned := false
	for _, b := range differentBalances(acc, erp) {
		if b.GetVersion() <= 0 {
			unversioned = true
			continue
		}
		req.Balances = append(req.Balances, balanceUpdate(b, b.GetVersion()))
	}
	what := fmt.Sprintf("account shows %s; the ERP has %s", shownBalances(acc), erpBalances(erp))
	if unversioned {
		r.drift(CheckAccountBalance, acc.GetId(), what, errBalanceNeverReported)
		if len(req.GetBalances()) == 0 {
			return nil
		}
	}
	if len(req.GetBalances()) == 0 {
		// Every currency agrees but the status does not (one written
		// without balances): only a newer balance makes the CRM derive it
		// again, and the ERP has none.
		r.drift(CheckAccountBalance, acc.GetId(), what, errStatusWithoutBalance)
		return nil
	}
	now, err := e.crm.Sync.SetAccountPaymentStatus(ctx, req)
	r.drift(CheckAccountBalance, acc.GetId(), what, verified(err, func() (bool, error) {
		if sameBalances(now, erp) {
			return false, nil
		}
		erp, err := e.balancesOf(ctx, c, now)
		return err == nil && !sameBalances(now, erp), err
	}))
	return nil
}

// balancesOf reads a customer's balances: those the ERP lists, and those
// of the currencies an account shows and the ERP does not list (no sync
// writes one), which are compared with what the ERP has in them: nothing.
func (e *Engine) balancesOf(ctx context.Context, c *erpv1.Customer, acc *crmv1.Account) ([]*erpv1.CustomerBalance, error) {
	list, err := e.erp.Customers.ListCustomerBalances(ctx, &erpv1.ListCustomerBalancesRequest{CustomerId: c.GetId()})
	if err != nil {
		return nil, fmt.Errorf("read balances of customer %s: %w", c.GetId(), err)
	}
	erp := list.GetBalances()
	for _, shown := range acc.GetBalances() {
		if !slices.ContainsFunc(erp, func(b *erpv1.CustomerBalance) bool { return b.GetCurrencyCode() == shown.GetCurrencyCode() }) {
			b, err := e.erp.Customers.GetCustomerBalance(ctx, &erpv1.GetCustomerBalanceRequest{
				CustomerId: c.GetId(), CurrencyCode: shown.GetCurrencyCode(),
			})
			if err != nil {
				return nil, fmt.Errorf("read balance of customer %s in %s: %w", c.GetId(), shown.GetCurrencyCode(), err)
			}
			erp = append(erp, b)
		}
	}
	return erp, nil
}

// sameBalances reports whether an account shows a customer's balances in
// every currency, and the payment status they give.
func sameBalances(acc *crmv1.Account, erp []*erpv1.CustomerBalance) bool {
	return len(differentBalances(acc, erp)) == 0 && acc.GetPaymentStatus() == customerPaymentStatus(erp)
}

// differentBalances returns the ERP balances an account does not show as
// they are (a currency missing, or other amounts).
func differentBalances(acc *crmv1.Account, erp []*erpv1.CustomerBalance) []*erpv1.CustomerBalance {
	var out []*erpv1.CustomerBalance
	for _, b := range erp {
		i := slices.IndexFunc(acc.GetBalances(), func(s *crmv1.AccountBalance) bool { return s.GetCurrencyCode() == b.GetCurrencyCode() })
		if i < 0 {
			out = append(out, b)
			continue
		}
		shown := acc.GetBalances()[i]
		if !sameQuantity(shown.GetOpenBalance().GetAmount(), b.GetOpenBalance().GetAmount()) ||
			!sameQuantity(shown.GetOverdueBalance().GetAmount(), b.GetOverdueBalance().GetAmount()) {
			out = append(out, b)
		}
	}
	return out
}

// shownBalances and erpBalances describe balances for a report:
// "OVERDUE: EUR open 22.48 overdue 22.48, USD open 0.00 overdue 0.00".
func shownBalances(acc *crmv1.Account) string {
	var parts []string
	for _, b := range acc.GetBalances() {
		parts = append(parts, fmt.Sprintf("%s open %s overdue %s", b.GetCurrencyCode(), b.GetOpenBalance().GetAmount(), b.GetOverdueBalance().GetAmount()))
	}
	return describeBalances(acc.GetPaymentStatus(), parts)
}

func erpBalances(bs []*erpv1.CustomerBalance) string {
	var parts []string
	for _, b := range bs {
		parts = append(parts, fmt.Sprintf("%s open %s overdue %s", b.GetCurrencyCode(), b.GetOpenBalance().GetAmount(), b.GetOverdueBalance().GetAmount()))
	}
	return describeBalances(customerPaymentStatus(bs), parts)
}

func describeBalances(s crmv1.PaymentStatus, parts []string) string {
	if len(parts) == 0 {
		parts = []string{"no balance"}
	}
	return strings.TrimPrefix(s.String(), "PAYMENT_STATUS_") + ": " + strings.Join(parts, ", ")
}

// forceOrderBack writes an order back even when this replica believes it
// did already.
func (e *Engine) forceOrderBack(ctx context.Context, o *erpv1.SalesOrder) error {
	e.written.forget(o.GetId())
	return e.writeOrderBack(ctx, o)
}

// reconcileCatalog compares every ERP item with its CRM product, its name,
// price and availability, and every CRM product with its ERP item.
func (e *Engine) reconcileCatalog(ctx context.Context, r *Report) error {
	products := map[string]*crmv1.Product{}
	token := ""
	for {
		resp, err := e.crm.Products.ListProducts(ctx, &crmv1.ListProductsRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list CRM products: %w", err)
		}
		for _, p := range resp.GetProducts() {
			products[p.GetSku()] = p
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	token = ""
	for {
		resp, err := e.erp.Items.ListItems(ctx, &erpv1.ListItemsRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list ERP items: %w", err)
		}
		for _, item := range resp.GetItems() {
			p, ok := products[item.GetSku()]
			delete(products, item.GetSku())
			if err := e.reconcileItem(ctx, r, item, p, ok); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	// What is left are products no listed item has.
	for _, sku := range slices.Sorted(maps.Keys(products)) {
		r.check(CheckItemInCatalog).Checked++
		p, item, err := e.productNow(ctx, sku)
		if err != nil {
			return err
		}
		if p == nil || item != nil {
			r.changed(CheckItemInCatalog) // removed, or its item created, since
			continue
		}
		r.unrepaired(CheckItemInCatalog, sku, fmt.Sprintf("CRM product %q without an ERP item", p.GetName()), withoutItem)
	}
	return nil
}

// reconcileItem compares an ERP item with its CRM product (ok is false
// when none was listed), both as listed, and what differs once more with
// both read afresh.
func (e *Engine) reconcileItem(ctx context.Context, r *Report, item *erpv1.Item, p *crmv1.Product, ok bool) error {
	sku := item.GetSku()
	r.check(CheckItemInCatalog).Checked++
	if !ok || !sameProduct(p, item) {
		now, item, err := e.productNow(ctx, sku)
		switch {
		case err != nil:
			return err
		case item == nil || now != nil && sameProduct(now, item):
			r.changed(CheckItemInCatalog)
		default:
			version, _ := strconv.ParseInt(item.GetEtag(), 10, 64)
			r.drift(CheckItemInCatalog, sku, "ERP item missing or different in the CRM catalog",
				verified(e.upsertProduct(ctx, item, version), func() (bool, error) {
					now, item, err := e.productNow(ctx, sku)
					return err == nil && item != nil && (now == nil || !sameProduct(now, item)), err
				}))
		}
	}

	a, err := e.erp.Items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: sku})
	if err != nil {
		return fmt.Errorf("read availability of %s: %w", sku, err)
	}
	r.check(CheckAvailability).Checked++
	if ok && sameAvailability(p, a) {
		return nil
	}
	p, a, err = e.availabilityNow(ctx, sku)
	if err != nil {
		return err
	}
	if p != nil && sameAvailability(p, a) {
		r.changed(CheckAvailability)
		return nil
	}
	what := fmt.Sprintf("CRM shows %q available, promised %q; ERP has %s, next receipt %q",
		p.GetAvailableQuantity(), p.GetPromiseDate(), a.GetAvailable(), a.GetNextReceiptDate())
	r.drift(CheckAvailability, sku, what, verified(e.setAvailability(ctx, a, a.GetVersion()), func() (bool, error) {
		now, a, err := e.availabilityNow(ctx, sku)
		return err == nil && (now == nil || !sameAvailability(now, a)), err
	}))
	return nil
}

// productNow reads a CRM product and then its ERP item, each nil when
// there is none.
func (e *Engine) productNow(ctx context.Context, sku string) (*crmv1.Product, *erpv1.Item, error) {
	p, err := e.crm.Products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: sku})
	if status.Code(err) == codes.NotFound {
		p, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read product %s: %w", sku, err)
	}
	item, err := e.erp.Items.GetItem(ctx, &erpv1.GetItemRequest{Sku: sku})
	if status.Code(err) == codes.NotFound {
		return p, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read item %s: %w", sku, err)
	}
	return p, item, nil
}

// availabilityNow reads a CRM product (nil when there is none) and then
// its ERP item's availability.
func (e *Engine) availabilityNow(ctx context.Context, sku string) (*crmv1.Product, *erpv1.Availability, error) {
	p, err := e.crm.Products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: sku})
	if status.Code(err) == codes.NotFound {
		p, err = nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read product %s: %w", sku, err)
	}
	a, err := e.erp.Items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: sku})
	if err != nil {
		return nil, nil, fmt.Errorf("read availability of %s: %w", sku, err)
	}
	return p, a, nil
}

// sameProduct reports whether a CRM product shows an ERP item's name and
// list price.
func sameProduct(p *crmv1.Product, item *erpv1.Item) bool {
	return p.GetName() == item.GetName() && p.GetListPrice().GetCurrencyCode() == item.GetListPrice().GetCurrencyCode() &&
		sameQuantity(p.GetListPrice().GetAmount(), item.GetListPrice().GetAmount())
}

// sameAvailability reports whether a CRM product shows an ERP item's
// available quantity and, while none is available, its next receipt as
// the promise date (while some is, the CRM promises today).
func sameAvailability(p *crmv1.Product, a *erpv1.Availability) bool {
	if !sameQuantity(p.GetAvailableQuantity(), a.GetAvailable()) {
		return false
	}
	if available, err := money.ParseDecimal(a.GetAvailable()); err == nil && available.IsPositive() {
		return true
	}
	return p.GetPromiseDate() == promiseDate(a)
}

// sameQuantity compares decimal strings by value ("5" and "5.000").
func sameQuantity(a, b string) bool {
	x, errA := money.ParseDecimal(a)
	y, errB := money.ParseDecimal(b)
	return errA == nil && errB == nil && x.Equal(y)
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
