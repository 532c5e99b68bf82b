package flow

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

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

	for _, v := range []orderView{orderShown, fulfilmentShown} {
		var err error
		if opp, o, err = e.reconcileShown(ctx, r, v, opp, o); err != nil || opp == nil {
			return err
		}
	}
	return e.reconcilePayment(ctx, r, opp, o)
}

// orderView is one thing a won opportunity shows of its active order, as
// a check of the pass compares it.
type orderView struct {
	check string
	// shows reports whether the opportunity shows it as the order has it.
	shows func(*crmv1.Opportunity, *erpv1.SalesOrder) bool
	// differs says what the opportunity shows and the order has.
	differs func(*crmv1.Opportunity, *erpv1.SalesOrder) string
}

var (
	orderShown = orderView{check: CheckOrderShown, shows: showsOrder, differs: func(opp *crmv1.Opportunity, o *erpv1.SalesOrder) string {
		return fmt.Sprintf("opportunity shows order %q %s, ERP has %s %s", opp.GetOrder().GetNumber(),
			opp.GetOrder().GetStatus(), o.GetNumber(), fulfillment(o))
	}}
	fulfilmentShown = orderView{check: CheckLineFulfilment, shows: showsFulfilment, differs: fulfilmentDrift}
)

// reconcileShown compares what a won opportunity shows of its active
// order, both as the pass listed them, and what differs once more with
// both read afresh. The order's write-back repairs it; when the CRM keeps
// its copy, whose revision is not older than the order's, a reset to the
// order does. It returns the deal and its order as read last, or a nil
// deal when it is no longer won with an order.
func (e *Engine) reconcileShown(ctx context.Context, r *Report, v orderView, opp *crmv1.Opportunity, o *erpv1.SalesOrder) (
	*crmv1.Opportunity, *erpv1.SalesOrder, error,
) {
	r.check(v.check).Checked++
	if v.shows(opp, o) {
		return opp, o, nil
	}
	id := opp.GetId()
	opp, o, err := e.wonDealNow(ctx, id)
	switch {
	case err != nil:
		return nil, nil, err
	case opp == nil || v.shows(opp, o):
		r.changed(v.check) // no longer a won deal with an order, or it shows it now
		return opp, o, nil
	}
	err = verified(e.forceOrderBack(ctx, o), func() (bool, error) {
		now, active, err := e.wonDealNow(ctx, id)
		return err == nil && now != nil && !v.shows(now, active), err
	})
	r.driftOrResetNoted(v.check, id, v.differs(opp, o), orderResetNote, err, func() (bool, error) { return e.resetOrder(ctx, id, v) })
	// The next check compares what the repair left.
	return e.wonDealNow(ctx, id)
}

// orderResetNote is what a report adds to an order's drift that a reset
// corrects, or tried to.
const orderResetNote = " (the CRM kept its copy, whose revision is not older than the ERP's; reset to the ERP's)"

// resetOrder corrects what a won opportunity shows of its order when the
// CRM kept its copy: it claims a revision ahead of the order's, or shows
// less than the revision it claims (the lines of a deal won before they
// showed fulfilment). Read afresh, the opportunity first, the copy is
// replaced with the order's write-back, provided nothing wrote the
// opportunity since it was read (a delivery racing the pass is never
// undone). It reports whether it sent the reset.
func (e *Engine) resetOrder(ctx context.Context, opportunityID string, v orderView) (bool, error) {
	opp, o, err := e.wonDealNow(ctx, opportunityID)
	if err != nil || opp == nil || v.shows(opp, o) {
		return false, err
	}
	req := orderBack(o)
	req.ResetEtag = opp.GetEtag()
	now, err := e.crm.Sync.SetOpportunityOrder(ctx, req)
	return true, verified(resetError(err), func() (bool, error) { return !v.shows(now, o), nil })
}

// wonDealNow is dealNow for a won deal with an order: a nil deal when it
// is not (any more).
func (e *Engine) wonDealNow(ctx context.Context, opportunityID string) (*crmv1.Opportunity, *erpv1.SalesOrder, error) {
	opp, o, err := e.dealNow(ctx, opportunityID)
	if err != nil || !isWon(opp) || o == nil {
		return nil, nil, err
	}
	return opp, o, nil
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

// showsFulfilment reports whether a won opportunity's lines show what its
// order reserved, backordered and shipped of each (see fulfilmentDrift).
func showsFulfilment(opp *crmv1.Opportunity, o *erpv1.SalesOrder) bool {
	return fulfilmentDrift(opp, o) == ""
}

// fulfilmentDrift says which lines of a won opportunity do not show what
// its order reserved, backordered and shipped of them, as the order's
// write-back reports it; "" when every line does. As in the CRM, the n-th
// line of a SKU shows the n-th order line of that SKU, and a line not on
// the order shows none.
func fulfilmentDrift(opp *crmv1.Opportunity, o *erpv1.SalesOrder) string {
	var order []*crmv1.OpportunityLine
	if !cancelled(o) {
		order = orderBack(o).GetLines()
	}
	var diffs []string
	for i, want := range fulfilmentOf(opp.GetLines(), order) {
		l := opp.GetLines()[i]
		if got := lineFulfilment(l); !got.equal(want) {
			diffs = append(diffs, fmt.Sprintf("line %d (%s) shows %s, the order %s", i+1, l.GetSku(), got, want))
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("opportunity's lines do not show what order %s reserved/backordered/shipped: %s", o.GetNumber(),
		strings.Join(diffs, "; "))
}

// fulfilmentOf returns what each of a deal's lines shows of its order's
// lines: the n-th line of a SKU the n-th order line of that SKU, none for
// a line not on the order.
func fulfilmentOf(lines, order []*crmv1.OpportunityLine) []shownFulfilment {
	out := make([]shownFulfilment, len(lines))
	seen := map[string]int{}
	for i, l := range lines {
		n := seen[l.GetSku()]
		seen[l.GetSku()]++
		for _, ol := range order {
			if ol.GetSku() != l.GetSku() {
				continue
			}
			if n == 0 {
				out[i] = lineFulfilment(ol)
				break
			}
			n--
		}
	}
	return out
}

// shownFulfilment is what a line shows, or its order line reports, of
// what the order reserved, backordered and shipped of it.
type shownFulfilment [3]string

func lineFulfilment(l *crmv1.OpportunityLine) shownFulfilment {
	return shownFulfilment{l.GetReservedQuantity(), l.GetBackorderedQuantity(), l.GetShippedQuantity()}
}

// none reports whether it says nothing: a line shows no fulfilment.
func (f shownFulfilment) none() bool { return f == shownFulfilment{} }

// equal compares quantities as numbers ("8" is "8.000"); an empty one of
// some is zero, as the CRM reads it, but none is not zero.
func (f shownFulfilment) equal(g shownFulfilment) bool {
	if f.none() || g.none() {
		return f.none() == g.none()
	}
	for i := range f {
		a, errA := quantity(f[i])
		b, errB := quantity(g[i])
		if errA != nil || errB != nil || !a.Equal(b) {
			return f[i] == g[i]
		}
	}
	return true
}

func (f shownFulfilment) String() string {
	if f.none() {
		return "none"
	}
	return strings.Join(f[:], "/")
}

// quantity reads a quantity of a line's fulfilment; empty is zero.
func quantity(s string) (decimal.Decimal, error) {
	if s == "" {
		return decimal.Zero, nil
	}
	return decimal.NewFromString(s)
}

// forceOrderBack writes an order back even when this replica believes it
// did already.
func (e *Engine) forceOrderBack(ctx context.Context, o *erpv1.SalesOrder) error {
	e.written.forget(o.GetId())
	return e.writeOrderBack(ctx, o)
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
	err = verified(err, func() (bool, error) {
		if shownPayment(now) == want {
			return false, nil
		}
		opp, want, _, err := e.paymentNow(ctx, opp.GetId(), listed.GetId())
		return err == nil && opp != nil && shownPayment(opp) != want, err
	})
	r.driftOrReset(CheckPaymentStatus, opp.GetId(), fmt.Sprintf("opportunity shows %s, the order and its invoices say %s", got, want), err,
		func() (bool, error) { return e.resetPayment(ctx, opp.GetId(), listed.GetId()) })
	return nil
}

// resetPayment corrects a payment status the CRM kept because it claims a
// version ahead of the ERP's, which no sync of the ERP's facts wrote:
// read afresh, the opportunity first, its status and version are replaced
// with the ERP's, provided nothing wrote the opportunity since it was
// read (a delivery racing the pass is never undone). It reports whether
// it sent the reset.
func (e *Engine) resetPayment(ctx context.Context, opportunityID, orderID string) (bool, error) {
	opp, want, version, err := e.paymentNow(ctx, opportunityID, orderID)
	if err != nil || opp == nil || version == 0 || shownPayment(opp) == want {
		return false, err
	}
	now, err := e.crm.Sync.SetOpportunityPaymentStatus(ctx, &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: opportunityID, PaymentStatus: want, SourceVersion: version, ResetEtag: opp.GetEtag(),
	})
	return true, verified(resetError(err), func() (bool, error) { return shownPayment(now) != want, nil })
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
