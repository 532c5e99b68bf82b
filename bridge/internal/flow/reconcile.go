package flow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
// with orders but no customer link. Every repair is one of the flows'
// idempotent commands.

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

// verified runs a repair and, when it returned no error, checks that the
// CRM now agrees (still reports whether it does not).
func verified(repairErr error, still func() (bool, error)) error {
	if repairErr != nil {
		return repairErr
	}
	differs, err := still()
	switch {
	case err != nil:
		return err
	case differs:
		return errKept
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
	err := errors.Join(e.reconcileOrders(ctx, r), e.reconcileBalances(ctx, r), e.reconcileCatalog(ctx, r))
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

func (e *Engine) reconcileOrders(ctx context.Context, r *Report) error {
	orders := map[string]*erpv1.SalesOrder{}
	token := ""
	for {
		resp, err := e.erp.SalesOrders.ListSalesOrders(ctx, &erpv1.ListSalesOrdersRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list ERP orders: %w", err)
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

	accountsWithOrders := map[string]bool{}
	token = ""
	for {
		resp, err := e.crm.Opportunities.ListOpportunities(ctx, &crmv1.ListOpportunitiesRequest{
			PageSize: reconcilePage, PageToken: token, Filter: "stage = STAGE_CLOSED_WON",
		})
		if err != nil {
			return fmt.Errorf("list won opportunities: %w", err)
		}
		for _, opp := range resp.GetOpportunities() {
			accountsWithOrders[opp.GetAccountId()] = true
			r.check(CheckWonHasOrder).Checked++
			o, ok := orders[opp.GetId()]
			if !ok {
				r.drift(CheckWonHasOrder, opp.GetId(), "won opportunity without an ERP order", e.placeOrder(ctx, opp))
				continue
			}
			r.check(CheckOrderShown).Checked++
			if opp.GetOrder().GetNumber() != o.GetNumber() || opp.GetOrder().GetStatus() != fulfillment(o) {
				what := fmt.Sprintf("opportunity shows order %q %s, ERP has %s %s", opp.GetOrder().GetNumber(),
					opp.GetOrder().GetStatus(), o.GetNumber(), fulfillment(o))
				r.drift(CheckOrderShown, opp.GetId(), what, verified(e.forceOrderBack(ctx, o), func() (bool, error) {
					now, err := e.crm.Opportunities.GetOpportunity(ctx, &crmv1.GetOpportunityRequest{Id: opp.GetId()})
					return err == nil && (now.GetOrder().GetNumber() != o.GetNumber() || now.GetOrder().GetStatus() != fulfillment(o)), err
				}))
			}
			if err := e.reconcilePayment(ctx, r, opp, o); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	for accountID := range accountsWithOrders {
		r.check(CheckAccountCustomer).Checked++
		acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
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
	got := opp.GetPaymentStatus()
	if got == crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED {
		got = crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED
	}
	if got == want || version == 0 {
		return nil
	}
	now, err := e.crm.Sync.SetOpportunityPaymentStatus(ctx, &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: opp.GetId(), PaymentStatus: want, SourceVersion: version,
	})
	r.drift(CheckPaymentStatus, opp.GetId(), fmt.Sprintf("opportunity shows %s, the order and its invoices say %s", got, want),
		verified(err, func() (bool, error) { return now.GetPaymentStatus() != want, nil }))
	return nil
}

// reconcileBalances compares every CRM account's balances, in every
// currency, and its payment status with its ERP customer's, and writes
// the balances of the currencies that differ, each with the ERP's version.
func (e *Engine) reconcileBalances(ctx context.Context, r *Report) error {
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
			if err := e.reconcileBalance(ctx, r, c); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return nil
		}
	}
}

// reconcileBalance compares one customer's balances with its account's.
func (e *Engine) reconcileBalance(ctx context.Context, r *Report, c *erpv1.Customer) error {
	list, err := e.erp.Customers.ListCustomerBalances(ctx, &erpv1.ListCustomerBalancesRequest{CustomerId: c.GetId()})
	if err != nil {
		return fmt.Errorf("read balances of customer %s: %w", c.GetId(), err)
	}
	acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: c.GetCrmAccountId()})
	if status.Code(err) == codes.NotFound {
		return nil // the account is gone; nothing to show it on
	}
	if err != nil {
		return fmt.Errorf("read account %s: %w", c.GetCrmAccountId(), err)
	}
	r.check(CheckAccountBalance).Checked++
	erp := list.GetBalances()
	// A currency the account shows and the ERP does not list (no sync
	// writes one) is compared with what the ERP has in it: nothing.
	for _, shown := range acc.GetBalances() {
		if !slices.ContainsFunc(erp, func(b *erpv1.CustomerBalance) bool { return b.GetCurrencyCode() == shown.GetCurrencyCode() }) {
			b, err := e.erp.Customers.GetCustomerBalance(ctx, &erpv1.GetCustomerBalanceRequest{
				CustomerId: c.GetId(), CurrencyCode: shown.GetCurrencyCode(),
			})
			if err != nil {
				return fmt.Errorf("read balance of customer %s in %s: %w", c.GetId(), shown.GetCurrencyCode(), err)
			}
			erp = append(erp, b)
		}
	}
	differ := differentBalances(acc, erp)
	if len(differ) == 0 && acc.GetPaymentStatus() == customerPaymentStatus(erp) {
		return nil // the same in every currency (or never invoiced, and shown so)
	}
	req := &crmv1.SetAccountPaymentStatusRequest{AccountId: acc.GetId()}
	unversioned := false
	for _, b := range differ {
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
		return len(differentBalances(now, erp)) > 0 || now.GetPaymentStatus() != customerPaymentStatus(erp), nil
	}))
	return nil
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
			r.check(CheckItemInCatalog).Checked++
			p, ok := products[item.GetSku()]
			if !ok || !sameProduct(p, item) {
				version, _ := strconv.ParseInt(item.GetEtag(), 10, 64)
				r.drift(CheckItemInCatalog, item.GetSku(), "ERP item missing or different in the CRM catalog",
					verified(e.upsertProduct(ctx, item, version), func() (bool, error) {
						now, err := e.crm.Products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: item.GetSku()})
						return err == nil && !sameProduct(now, item), err
					}))
			}
			a, err := e.erp.Items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: item.GetSku()})
			if err != nil {
				return fmt.Errorf("read availability of %s: %w", item.GetSku(), err)
			}
			r.check(CheckAvailability).Checked++
			if !ok || !sameAvailability(p, a) {
				what := fmt.Sprintf("CRM shows %q available, promised %q; ERP has %s, next receipt %q",
					p.GetAvailableQuantity(), p.GetPromiseDate(), a.GetAvailable(), a.GetNextReceiptDate())
				r.drift(CheckAvailability, item.GetSku(), what, verified(e.setAvailability(ctx, a, a.GetVersion()), func() (bool, error) {
					now, err := e.crm.Products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: item.GetSku()})
					return err == nil && !sameAvailability(now, a), err
				}))
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}
	return nil
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
