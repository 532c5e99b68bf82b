package flow

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// applyCRM makes the effect of a CRM event on the ERP.
func (e *Engine) applyCRM(ctx context.Context, ev *crmv1.Event) error {
	switch ev.GetType() {
	case "account.created", "account.updated":
		_, err := e.syncAccount(ctx, ev.GetAccount(), ev.GetVersion())
		return err
	case "opportunity.won":
		return e.placeOrder(ctx, ev.GetOpportunity())
	case "opportunity.lost", "opportunity.reopened":
		return e.withdrawOrder(ctx, ev.GetOpportunity())
	}
	return nil
}

// syncAccount upserts the ERP customer of an account (keyed by the CRM
// account id, stale versions ignored by the ERP) and links both sides.
func (e *Engine) syncAccount(ctx context.Context, acc *crmv1.Account, version int64) (string, error) {
	if acc == nil {
		return "", &permanentError{"account event without an account"}
	}
	cust, err := e.erp.Customers.SyncCustomer(ctx, &erpv1.SyncCustomerRequest{
		CrmAccountId:  acc.GetId(),
		Name:          acc.GetName(),
		CurrencyCode:  e.opts.DefaultCurrency,
		SourceVersion: version,
	})
	if err != nil {
		return "", fmt.Errorf("sync customer of account %s: %w", acc.GetId(), err)
	}
	if err := e.store.LinkCustomer(ctx, acc.GetId(), cust.GetId()); err != nil {
		e.customers.Delete(acc.GetId())
		return "", err
	}
	e.customers.Store(acc.GetId(), cust.GetId())
	if acc.GetErpCustomerId() != cust.GetId() {
		if _, err := e.crm.Sync.LinkAccount(ctx, &crmv1.LinkAccountRequest{
			AccountId: acc.GetId(), ErpCustomerId: cust.GetId(),
		}); err != nil && status.Code(err) != codes.NotFound {
			return "", fmt.Errorf("link account %s: %w", acc.GetId(), err)
		}
	}
	return cust.GetId(), nil
}

// customerOf returns the ERP customer of an account, creating it when the
// account's own event has not been applied yet.
func (e *Engine) customerOf(ctx context.Context, accountID string) (string, error) {
	if id, ok := e.customers.Load(accountID); ok {
		return id.(string), nil
	}
	if id, ok, err := e.store.CustomerFor(ctx, accountID); err != nil || ok {
		if ok {
			e.customers.Store(accountID, id)
		}
		return id, err
	}
	acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
	if err != nil {
		return "", fmt.Errorf("read account %s: %w", accountID, err)
	}
	// Version 0 never overwrites what a later account event wrote.
	return e.syncAccount(ctx, acc, 0)
}

// An opportunity can be won, lost (its order cancelled) and won again, and
// each win needs its own ERP order while external_ref stays unique. The
// n-th order of an opportunity has external_ref "<id>" for n = 1 and
// "<id>/n" after that; the active order is the newest one not cancelled.
const maxOrdersPerOpportunity = 100

func orderRef(opportunityID string, n int) string {
	if n <= 1 {
		return opportunityID
	}
	return fmt.Sprintf("%s/%d", opportunityID, n)
}

// parseOrderRef splits an external_ref into the opportunity id and n.
func parseOrderRef(ref string) (string, int) {
	if i := strings.LastIndexByte(ref, '/'); i > 0 {
		if n, err := strconv.Atoi(ref[i+1:]); err == nil && n > 1 {
			return ref[:i], n
		}
	}
	return ref, 1
}

// dealOf returns the opportunity behind an order; ok is false for an order
// entered in the ERP, with no external_ref or one that names no
// opportunity (CRM ids are UUIDs).
func dealOf(o *erpv1.SalesOrder) (opportunityID string, ok bool) {
	if o.GetExternalRef() == "" {
		return "", false
	}
	id, _ := parseOrderRef(o.GetExternalRef())
	return id, isCRMID(id)
}

// isCRMID reports whether id can name a CRM record. A reference the ERP
// holds that cannot, typed in the ERP, is not the bridge's to write back.
func isCRMID(id string) bool {
	_, ok := ids.Canonical(id)
	return ok
}

// orderVersion orders write-backs across the orders of one opportunity:
// any revision of a later order is newer than every revision of an
// earlier one.
func orderVersion(o *erpv1.SalesOrder) int64 {
	_, n := parseOrderRef(o.GetExternalRef())
	return int64(n)<<32 | o.GetRevision()&(1<<32-1)
}

func cancelled(o *erpv1.SalesOrder) bool {
	return o.GetStatus() == erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CANCELLED
}

// placeOrder turns a won opportunity into a confirmed ERP sales order (one
// call creates and confirms it) and writes the order back. Every step is
// idempotent: the order is keyed by its external_ref (creating it again
// returns it), confirming twice changes nothing, and the write-back
// carries the order version.
func (e *Engine) placeOrder(ctx context.Context, opp *crmv1.Opportunity) error {
	if opp == nil {
		return &permanentError{"opportunity event without an opportunity"}
	}
	customerID, err := e.customerOf(ctx, opp.GetAccountId())
	if err != nil {
		return err
	}
	var lines []*erpv1.SalesOrderLine
	for _, l := range opp.GetLines() {
		lines = append(lines, &erpv1.SalesOrderLine{
			Sku:             l.GetSku(),
			Quantity:        l.GetQuantity(),
			UnitPrice:       l.GetUnitPrice(),
			DiscountPercent: l.GetDiscountPercent(),
		})
	}
	var created *erpv1.SalesOrder
	for n := 1; ; n++ {
		if n > maxOrdersPerOpportunity {
			return &permanentError{fmt.Sprintf("opportunity %s has %d cancelled orders", opp.GetId(), maxOrdersPerOpportunity)}
		}
		ref := orderRef(opp.GetId(), n)
		created, err = e.erp.SalesOrders.CreateSalesOrder(ctx, &erpv1.CreateSalesOrderRequest{
			SalesOrder: &erpv1.SalesOrder{ExternalRef: ref, CustomerId: customerID, CurrencyCode: opp.GetCurrencyCode(), Lines: lines},
			RequestId:  "won-" + ref,
			Confirm:    true,
		})
		if err != nil {
			return fmt.Errorf("create order for opportunity %s: %w", opp.GetId(), err)
		}
		if !cancelled(created) {
			break // the active order: new, or made by an earlier attempt
		}
	}
	// Created and confirmed in one call; an order left a draft (created
	// without confirm before) is confirmed here.
	confirmed := created
	if created.GetStatus() == erpv1.SalesOrderStatus_SALES_ORDER_STATUS_DRAFT {
		confirmed, err = e.erp.SalesOrders.ConfirmSalesOrder(ctx, &erpv1.ConfirmSalesOrderRequest{
			Id: created.GetId(), RequestId: "confirm-" + created.GetId(),
		})
		if err != nil {
			return fmt.Errorf("confirm order %s: %w", created.GetNumber(), err)
		}
	}
	// The write-back first: it is what the salesperson waits for.
	if err := e.writeOrderBack(ctx, confirmed); err != nil {
		return err
	}
	return e.store.LinkOrder(ctx, opp.GetId(), confirmed.GetId(), confirmed.GetNumber())
}

// activeOrder finds the newest order of an opportunity that is not
// cancelled, or nil.
func (e *Engine) activeOrder(ctx context.Context, opportunityID string) (*erpv1.SalesOrder, error) {
	var active *erpv1.SalesOrder
	for n := 1; n <= maxOrdersPerOpportunity; n++ {
		resp, err := e.erp.SalesOrders.ListSalesOrders(ctx, &erpv1.ListSalesOrdersRequest{
			PageSize: 1, Filter: fmt.Sprintf("external_ref = %q", orderRef(opportunityID, n)),
		})
		if err != nil {
			return nil, fmt.Errorf("find orders of opportunity %s: %w", opportunityID, err)
		}
		if len(resp.GetSalesOrders()) == 0 {
			break
		}
		if o := resp.GetSalesOrders()[0]; !cancelled(o) {
			active = o
		}
	}
	return active, nil
}

// withdrawOrder cancels the order of a won deal that was lost or reopened.
// An order that has started shipping is not cancelled: that is for a
// person to decide (see needDecision).
func (e *Engine) withdrawOrder(ctx context.Context, opp *crmv1.Opportunity) error {
	if opp == nil {
		return &permanentError{"opportunity event without an opportunity"}
	}
	o, err := e.activeOrder(ctx, opp.GetId())
	if err != nil {
		return err
	}
	if o == nil {
		// Never won, or cancelled already: by a person, maybe, deciding
		// on an order that had started shipping.
		if n := opp.GetOrder().GetNumber(); n != "" {
			return e.settleDecision(ctx, opp.GetId(), opp.GetOrder().GetId(), n, "the order was cancelled")
		}
		return nil
	}
	// The deal's lines no longer show the order's fulfilment (see
	// rewonOrder in the CRM): if the deal is won again to keep the order,
	// its current revision must be written back again.
	e.written.forget(o.GetId())
	switch o.GetStatus() {
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_DRAFT,
		erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED,
		erpv1.SalesOrderStatus_SALES_ORDER_STATUS_ON_CREDIT_HOLD:
	default:
		return e.needDecision(ctx, opp, o)
	}
	done, err := e.erp.SalesOrders.CancelSalesOrder(ctx, &erpv1.CancelSalesOrderRequest{
		Id: o.GetId(), RequestId: "withdraw-" + o.GetId(), Reason: "opportunity " + strings.TrimPrefix(opp.GetStage().String(), "STAGE_"),
	})
	if err != nil {
		return fmt.Errorf("cancel order %s: %w", o.GetNumber(), err)
	}
	return e.writeOrderBack(ctx, done)
}

// needDecision handles a lost or reopened deal whose order has started
// shipping. A deal won again by now keeps its order, and there is nothing
// to decide. Otherwise the deal's owner gets a task in the CRM, on the
// opportunity, saying what happened and what the choices are (take the
// goods back and cancel the order in the ERP, or keep the order and win
// the deal again), and the event is held as a failure: its retries notice
// when either choice was made, and an operator may discard it.
//
// The task is raised once per order: its id is recorded in the bridge's
// database in the step that creates it, and while it is open, retries and
// later versions of the deal find it by that id (see openDecisionTask),
// whatever a person made of its subject, and raise no other. The create is
// keyed by the order and the version of the deal (its request_id), so a
// retry after a crash between creating the task and recording it gets the
// same task back from the CRM and records it then. A task closed or
// deleted without a decision is raised again at the deal's next version.
func (e *Engine) needDecision(ctx context.Context, opp *crmv1.Opportunity, o *erpv1.SalesOrder) error {
	now, err := e.crm.Opportunities.GetOpportunity(ctx, &crmv1.GetOpportunityRequest{Id: opp.GetId()})
	switch {
	case err == nil && now.GetStage() == crmv1.Stage_STAGE_CLOSED_WON:
		return e.settleDecision(ctx, opp.GetId(), o.GetId(), o.GetNumber(), "the deal was won again and keeps the order")
	case status.Code(err) == codes.NotFound:
		now = opp // deleted: the order still needs a decision
	case err != nil:
		return fmt.Errorf("read opportunity %s: %w", opp.GetId(), err)
	}
	state := strings.ToLower(strings.TrimPrefix(o.GetStatus().String(), "SALES_ORDER_STATUS_"))
	stage := "lost"
	if opp.GetStage() != crmv1.Stage_STAGE_CLOSED_LOST {
		stage = "reopened"
	}
	open, ferr := e.openDecisionTask(ctx, opp.GetId(), o.GetId(), o.GetNumber())
	if ferr != nil {
		return ferr
	}
	if open == nil {
		task := &crmv1.Activity{
			Type:    crmv1.ActivityType_ACTIVITY_TYPE_TASK,
			Subject: fmt.Sprintf("%s %s, but the deal was %s", decisionSubject(o.GetNumber()), state, stage),
			Description: fmt.Sprintf("The deal %q was %s after its ERP order %s had started shipping (the order is %s), "+
				"so the order was not cancelled. Either take the goods back and cancel the order in the ERP, "+
				"or keep the order and win the deal again. Until then the integration holds the change; "+
				"an operator can also discard it in the bridge console.", now.GetName(), stage, o.GetNumber(), state),
			OpportunityId: opp.GetId(),
			Owner:         now.GetOwner(),
		}
		if status.Code(err) == codes.NotFound {
			task.OpportunityId, task.AccountId = "", opp.GetAccountId()
		}
		created, terr := e.crm.Activities.CreateActivity(ctx, &crmv1.CreateActivityRequest{
			Activity: task, RequestId: fmt.Sprintf("decide-%s-%s", o.GetId(), opp.GetEtag()),
		})
		switch {
		case status.Code(terr) == codes.NotFound:
			// The account is gone too.
		case terr != nil:
			return fmt.Errorf("raise a task for order %s of opportunity %s: %w", o.GetNumber(), opp.GetId(), terr)
		default:
			if err := e.store.RecordDecisionTask(ctx, opp.GetId(), o.GetId(), o.GetNumber(), created.GetId()); err != nil {
				return err
			}
			open = created
		}
	}
	raised := ""
	if open != nil {
		raised = "; a task was raised in the CRM"
		if open.GetOwner() != "" {
			raised += " for " + open.GetOwner()
		}
	}
	return &permanentError{fmt.Sprintf("order %s of opportunity %s is %s and cannot be cancelled automatically; a person must decide%s",
		o.GetNumber(), opp.GetId(), state, raised)}
}

// decisionSubject starts the subject of the task needDecision raises.
func decisionSubject(number string) string { return "Decide on order " + number + ":" }

// openDecisionTask returns the open task raised for a person to decide on
// order orderID (number) of an opportunity, or nil. That is the task
// recorded for the order, read by its id whatever its subject says now;
// failing that (no task recorded, as for one raised before tasks were
// recorded, or the recorded one closed or deleted), the first open task on
// the opportunity whose subject starts with decisionSubject, which is
// recorded then.
func (e *Engine) openDecisionTask(ctx context.Context, opportunityID, orderID, number string) (*crmv1.Activity, error) {
	_, t, err := e.recordedDecisionTask(ctx, opportunityID, orderID)
	if err != nil || t != nil {
		return t, err
	}
	found, err := e.decisionTasksBySubject(ctx, opportunityID, number)
	if err != nil || len(found) == 0 {
		return nil, err
	}
	if err := e.store.RecordDecisionTask(ctx, opportunityID, orderID, number, found[0].GetId()); err != nil {
		return nil, err
	}
	return found[0], nil
}

// recordedDecisionTask returns the id of the task recorded for a person to
// decide on order orderID of an opportunity ("" for none), and the task
// unless it is done or deleted.
func (e *Engine) recordedDecisionTask(ctx context.Context, opportunityID, orderID string) (string, *crmv1.Activity, error) {
	if orderID == "" {
		return "", nil, nil
	}
	id, ok, err := e.store.DecisionTask(ctx, opportunityID, orderID)
	if err != nil || !ok {
		return "", nil, err
	}
	t, err := e.crm.Activities.GetActivity(ctx, &crmv1.GetActivityRequest{Id: id})
	switch {
	case status.Code(err) == codes.NotFound:
		return id, nil, nil
	case err != nil:
		return id, nil, fmt.Errorf("read task %s: %w", id, err)
	case t.GetDone():
		return id, nil, nil
	}
	return id, t, nil
}

// decisionTasksBySubject returns the open tasks on an opportunity whose
// subject starts with decisionSubject(number): how the tasks raised before
// their ids were recorded are found. It reads every page of the
// opportunity's open tasks: a busy deal has more than one.
func (e *Engine) decisionTasksBySubject(ctx context.Context, opportunityID, number string) ([]*crmv1.Activity, error) {
	var out []*crmv1.Activity
	for token := ""; ; {
		resp, err := e.crm.Activities.ListActivities(ctx, &crmv1.ListActivitiesRequest{
			PageSize: 100, PageToken: token,
			Filter: fmt.Sprintf("opportunity_id = %q AND type = \"task\" AND done = false", opportunityID),
		})
		if err != nil {
			return nil, fmt.Errorf("find the tasks on opportunity %s: %w", opportunityID, err)
		}
		for _, t := range resp.GetActivities() {
			if strings.HasPrefix(t.GetSubject(), decisionSubject(number)) {
				out = append(out, t)
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			return out, nil
		}
	}
}

// settleDecision marks done the open tasks raised for a person to decide
// on order orderID (number) of an opportunity, saying how the decision was
// made: the task recorded for the order, whatever its subject says now,
// and any open task on the opportunity whose subject starts with
// decisionSubject (those raised before tasks were recorded). The record
// goes once they are done.
func (e *Engine) settleDecision(ctx context.Context, opportunityID, orderID, number, how string) error {
	var tasks []*crmv1.Activity
	id, recorded, err := e.recordedDecisionTask(ctx, opportunityID, orderID)
	if err != nil {
		return err
	}
	if recorded != nil {
		tasks = append(tasks, recorded)
	}
	found, err := e.decisionTasksBySubject(ctx, opportunityID, number)
	if err != nil {
		return err
	}
	for _, t := range found {
		if t.GetId() != id {
			tasks = append(tasks, t)
		}
	}
	for _, t := range tasks {
		_, err := e.crm.Activities.UpdateActivity(ctx, &crmv1.UpdateActivityRequest{
			Activity: &crmv1.Activity{
				Id: t.GetId(), Etag: t.GetEtag(), Done: true,
				Description: t.GetDescription() + "\n\nSettled: " + how + ".",
			},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done", "description"}},
		})
		if err != nil && status.Code(err) != codes.NotFound {
			return fmt.Errorf("mark task %s done: %w", t.GetId(), err)
		}
	}
	if id != "" {
		return e.store.ForgetDecisionTask(ctx, opportunityID, orderID, id)
	}
	return nil
}

// writeOrderBack shows an order's number, status and lines on its
// opportunity, with what the order reserved, backordered and shipped of
// each line (see orderBack). A version this replica wrote already, or is
// writing, is not sent again (CRM would ignore it anyway): the order's own
// events usually arrive from the ERP while the write of the flow that
// placed it is still on its way.
func (e *Engine) writeOrderBack(ctx context.Context, o *erpv1.SalesOrder) error {
	done, err := e.written.claim(ctx, o.GetId(), orderVersion(o))
	if err != nil || done == nil {
		return err
	}
	req := orderBack(o)
	_, err = e.crm.Sync.SetOpportunityOrder(ctx, req)
	done(err == nil)
	if err != nil {
		return fmt.Errorf("write order %s back to opportunity %s: %w", o.GetNumber(), req.GetOpportunityId(), err)
	}
	return nil
}

// orderBack is the write that shows an order on its opportunity, as the
// flows and the reconciliation send it.
func orderBack(o *erpv1.SalesOrder) *crmv1.SetOpportunityOrderRequest {
	opportunityID, _ := parseOrderRef(o.GetExternalRef())
	req := &crmv1.SetOpportunityOrderRequest{
		OpportunityId: opportunityID,
		OrderId:       o.GetId(),
		OrderNumber:   o.GetNumber(),
		Status:        fulfillment(o),
		SourceVersion: orderVersion(o),
	}
	// The lines of a live order go along: an order amended in ERP changes
	// the won deal's lines and amount (the CRM changes nothing when they
	// are the deal's own), and their fulfilment, which changes with every
	// reservation and shipment, is what the deal's lines show of the
	// order (no change of the deal). A cancelled order's lines say
	// nothing, and the deal's lines show no fulfilment then.
	if !cancelled(o) {
		for _, l := range o.GetLines() {
			req.Lines = append(req.Lines, &crmv1.OpportunityLine{
				Sku: l.GetSku(), Quantity: l.GetQuantity(), UnitPrice: l.GetUnitPrice(), DiscountPercent: l.GetDiscountPercent(),
				ReservedQuantity: l.GetReservedQuantity(), BackorderedQuantity: l.GetBackorderedQuantity(), ShippedQuantity: l.GetShippedQuantity(),
			})
		}
	}
	return req
}

// revisions remembers the newest version written per order, bounded in
// size (forgetting only costs a repeated, ignored write), and the write in
// flight, if any.
type revisions struct {
	mu sync.Mutex
	m  map[string]*revision
}

type revision struct {
	written int64
	// writing is the version in flight; done is closed when its write ends.
	writing int64
	done    chan struct{}
}

const maxRemembered = 100_000

// claim decides whether the caller writes version of order id. It returns
// a nil func when that version or a newer one is written already. While a
// write of that version or a newer one is in flight it waits for it, and
// decides again once it ended (the caller writes if it failed). Otherwise
// the caller writes, and calls the returned func with the outcome.
func (r *revisions) claim(ctx context.Context, id string, version int64) (func(ok bool), error) {
	for {
		r.mu.Lock()
		if r.m == nil || len(r.m) >= maxRemembered {
			r.m = map[string]*revision{}
		}
		rev := r.m[id]
		if rev == nil {
			rev = &revision{}
			r.m[id] = rev
		}
		if version <= rev.written {
			r.mu.Unlock()
			return nil, nil
		}
		if rev.done != nil && version <= rev.writing {
			wait := rev.done
			r.mu.Unlock()
			select {
			case <-wait:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		// No write in flight, or an older one: this one goes too (CRM keeps
		// the newest whatever order they land in).
		done := make(chan struct{})
		if rev.done == nil || version > rev.writing {
			rev.writing, rev.done = version, done
		}
		r.mu.Unlock()
		return func(ok bool) {
			r.mu.Lock()
			defer r.mu.Unlock()
			if ok && version > rev.written {
				rev.written = version
			}
			if rev.done == done {
				rev.writing, rev.done = 0, nil
			}
			close(done)
		}, nil
	}
}

// forget drops what is known of order id, so that its next write goes
// out; a write in flight ends as it would.
func (r *revisions) forget(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if rev := r.m[id]; rev != nil {
		rev.written = 0
	}
}

// fulfillment maps an ERP order status onto what CRM shows.
func fulfillment(o *erpv1.SalesOrder) crmv1.FulfillmentStatus {
	switch o.GetStatus() {
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_DRAFT:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_DRAFT
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED:
		if o.GetBackordered() {
			return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_BACKORDERED
		}
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_ON_CREDIT_HOLD:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_ON_CREDIT_HOLD
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PARTIALLY_SHIPPED:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PARTIALLY_SHIPPED
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_INVOICED
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PAID:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PAID
	case erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CANCELLED:
		return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CANCELLED
	}
	return crmv1.FulfillmentStatus_FULFILLMENT_STATUS_UNSPECIFIED
}

// applyERP makes the effect of an ERP event on the CRM.
func (e *Engine) applyERP(ctx context.Context, ev *erpv1.Event) error {
	switch ev.GetType() {
	case "item.created", "item.updated":
		return e.upsertProduct(ctx, ev.GetItem(), ev.GetVersion())
	case "stock.changed":
		return e.setAvailability(ctx, ev.GetStockLevel(), ev.GetVersion())
	case "invoice.issued", "invoice.updated", "invoice.overdue", "invoice.voided":
		return e.applyInvoice(ctx, ev.GetInvoice())
	case "customer.balance_changed":
		return e.applyBalance(ctx, ev.GetCustomerBalance(), ev.GetVersion())
	case "sales_order.created", "sales_order.confirmed", "sales_order.cancelled", "sales_order.updated",
		"sales_order.shipped", "sales_order.invoiced", "sales_order.paid", "sales_order.amended",
		"sales_order.credit_hold", "sales_order.released":
		o := ev.GetSalesOrder()
		if _, ok := dealOf(o); !ok {
			return nil // an order entered in the ERP, not from a deal
		}
		err := e.writeOrderBack(ctx, o)
		if status.Code(err) == codes.NotFound {
			return nil // no such opportunity (any more)
		}
		if err != nil {
			return err
		}
		// An amendment may order more than the invoices cover (a paid deal
		// is then partly paid) or bring the order down to what they cover;
		// no invoice event follows.
		if ev.GetType() == "sales_order.amended" && invoicedAny(o) {
			return e.writePaymentStatus(ctx, o.GetId())
		}
		return nil
	}
	return nil
}

func (e *Engine) upsertProduct(ctx context.Context, item *erpv1.Item, version int64) error {
	if item == nil {
		return &permanentError{"item event without an item"}
	}
	_, err := e.crm.Sync.UpsertProducts(ctx, &crmv1.UpsertProductsRequest{Products: []*crmv1.ProductUpsert{productUpsert(item, version)}})
	if err != nil {
		return fmt.Errorf("upsert product %s: %w", item.GetSku(), err)
	}
	return nil
}

// productUpsert is the CRM form of an ERP item, with the item's word on
// whole quantities (the ERP owns the rule; the CRM holds deal lines to
// the flag it is sent). An item that does not say (an event written
// before the ERP published the flag) sends none, and the CRM keeps the
// product's: false would clear a flag the CRM holds rightly.
func productUpsert(item *erpv1.Item, version int64) *crmv1.ProductUpsert {
	up := &crmv1.ProductUpsert{
		Sku:           item.GetSku(),
		Name:          item.GetName(),
		ListPrice:     item.GetListPrice(),
		UnitOfMeasure: item.GetUnitOfMeasure(),
		SourceVersion: version,
	}
	if item.WholeQuantities != nil {
		up.WholeQuantities = proto.Bool(item.GetWholeQuantities())
	}
	return up
}

// setAvailability copies a stock level to CRM.
func (e *Engine) setAvailability(ctx context.Context, a *erpv1.Availability, version int64) error {
	if a == nil {
		return &permanentError{"stock event without a stock level"}
	}
	req := &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{e.availabilityUpdate(a, version)}}
	if err := e.writeAvailability(ctx, req); err != nil {
		return fmt.Errorf("set availability of %s: %w", a.GetSku(), err)
	}
	return nil
}

// promiseDate is the earliest date one more unit than is available now
// can be promised: by the ERP's promise schedule, the date of its first
// dated entry whose quantity exceeds what is available now (the undated
// first entry, zero without one), empty when none does (what is incoming
// is promised to backorders already). Without a schedule (an ERP from
// before schedules), or with a malformed one (a quantity that does not
// parse, an undated entry after the first), it is the ERP's next receipt,
// empty when none is expected.
//
// The date goes to the CRM whatever is available: the CRM promises today
// while some is, and this date for what is not. A date fixed here as
// "today" would be yesterday's tomorrow, as the stock level may not
// change again for days.
func promiseDate(a *erpv1.Availability) string {
	schedule := a.GetPromiseSchedule()
	if len(schedule) == 0 {
		return a.GetNextReceiptDate()
	}
	// Every entry parses, or the schedule is not used at all.
	quantities := make([]decimal.Decimal, len(schedule))
	for i, step := range schedule {
		q, err := money.ParseDecimal(step.GetQuantity())
		if err != nil || i > 0 && step.GetDate() == "" {
			return a.GetNextReceiptDate()
		}
		quantities[i] = q
	}
	now := decimal.Zero
	if schedule[0].GetDate() == "" {
		now = quantities[0]
	}
	for i, step := range schedule {
		if step.GetDate() != "" && quantities[i].GreaterThan(now) {
			return step.GetDate()
		}
	}
	return ""
}
