package flow

import (
	"context"
	"fmt"

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
