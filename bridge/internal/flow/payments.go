package flow

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	grpcstatus "google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Payment status flows from the ERP's invoices and payments to the CRM:
// an account shows its open and overdue balance and whether it pays, an
// opportunity shows whether its order's invoices are paid. Both are
// recomputed from the ERP's current state whenever an invoice or a
// customer balance changes, so events of different invoices may apply in
// any order; the write-back's source version keeps the newest state.

// applyBalance copies a customer's receivables and credit in one
// currency to its CRM account, with the event's version for that currency:
// the CRM keeps every currency's balance and derives the account's status
// from all of them (credit plays no part).
func (e *Engine) applyBalance(ctx context.Context, b *erpv1.CustomerBalance, version int64) error {
	if b == nil {
		return &permanentError{"balance event without a balance"}
	}
	cust, err := e.erp.Customers.GetCustomer(ctx, &erpv1.GetCustomerRequest{Id: b.GetCustomerId()})
	if err != nil {
		return fmt.Errorf("read customer %s: %w", b.GetCustomerId(), err)
	}
	if !isCRMID(cust.GetCrmAccountId()) {
		return nil // a customer entered in the ERP, not from the CRM
	}
	if version == 0 {
		version = b.GetVersion()
	}
	_, err = e.crm.Sync.SetAccountPaymentStatus(ctx, &crmv1.SetAccountPaymentStatusRequest{
		AccountId: cust.GetCrmAccountId(),
		Balances:  []*crmv1.AccountBalanceUpdate{balanceUpdate(b, version)},
	})
	if grpcstatus.Code(err) == codes.NotFound {
		return nil // no such account (any more)
	}
	if err != nil {
		return fmt.Errorf("write balance of account %s: %w", cust.GetCrmAccountId(), err)
	}
	return nil
}

// balanceUpdate is the CRM form of a customer's balance in one currency,
// with its credit (the customer's payments not applied to an invoice).
func balanceUpdate(b *erpv1.CustomerBalance, version int64) *crmv1.AccountBalanceUpdate {
	return &crmv1.AccountBalanceUpdate{
		CurrencyCode:   b.GetCurrencyCode(),
		OpenBalance:    b.GetOpenBalance(),
		OverdueBalance: b.GetOverdueBalance(),
		Credit:         b.GetCredit(),
		SourceVersion:  version,
	}
}

// accountPaymentStatus sums a balance in one currency up: overdue when
// anything is past due, open while anything is owed, paid otherwise (a
// balance exists only once something was invoiced or paid).
func accountPaymentStatus(b *erpv1.CustomerBalance) crmv1.PaymentStatus {
	positive := func(m interface{ GetAmount() string }) bool {
		d, err := money.ParseDecimal(m.GetAmount())
		return err == nil && d.IsPositive()
	}
	switch {
	case b.GetOverdueBalance() != nil && positive(b.GetOverdueBalance()):
		return crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE
	case b.GetOpenBalance() != nil && positive(b.GetOpenBalance()):
		return crmv1.PaymentStatus_PAYMENT_STATUS_OPEN
	default:
		return crmv1.PaymentStatus_PAYMENT_STATUS_PAID
	}
}

// customerPaymentStatus sums up a customer's balances in every currency:
// the worst of them (overdue, then open, then paid); unspecified for none.
func customerPaymentStatus(bs []*erpv1.CustomerBalance) crmv1.PaymentStatus {
	worst := crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED
	for _, b := range bs {
		switch s := accountPaymentStatus(b); {
		case s == crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE:
			return s
		case s == crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, worst == crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED:
			worst = s
		}
	}
	return worst
}

// applyInvoice recomputes the payment status of the opportunity behind an
// invoice's order.
func (e *Engine) applyInvoice(ctx context.Context, inv *erpv1.Invoice) error {
	if inv == nil {
		return &permanentError{"invoice event without an invoice"}
	}
	return e.writePaymentStatus(ctx, inv.GetSalesOrderId())
}

// writePaymentStatus recomputes the payment status of the opportunity
// behind an order from the order and all of its invoices.
func (e *Engine) writePaymentStatus(ctx context.Context, orderID string) error {
	order, invoices, err := e.orderWithInvoices(ctx, orderID)
	if err != nil {
		return err
	}
	opportunityID, ok := dealOf(order)
	if !ok {
		return nil // an order entered in the ERP, not from a deal
	}
	status, version := orderPaymentStatus(order, invoices)
	if version == 0 {
		return nil
	}
	_, err = e.crm.Sync.SetOpportunityPaymentStatus(ctx, &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: opportunityID, PaymentStatus: status, SourceVersion: version,
	})
	if grpcstatus.Code(err) == codes.NotFound {
		return nil // no such opportunity (any more)
	}
	if err != nil {
		return fmt.Errorf("write payment status of opportunity %s: %w", opportunityID, err)
	}
	return nil
}

// maxOrderReads bounds how often orderWithInvoices reads an order that
// keeps changing while its invoices are listed.
const maxOrderReads = 5

// orderWithInvoices reads an order and every invoice of it as they were at
// one moment: the order is read before and after the invoices, and again
// while it changed in between. (The invoices of a page are read in one
// statement.) A status computed from an order older than its invoices
// could carry their newer version and stick.
func (e *Engine) orderWithInvoices(ctx context.Context, orderID string) (*erpv1.SalesOrder, []*erpv1.Invoice, error) {
	order, err := e.erp.SalesOrders.GetSalesOrder(ctx, &erpv1.GetSalesOrderRequest{Id: orderID})
	if err != nil {
		return nil, nil, fmt.Errorf("read order %s: %w", orderID, err)
	}
	for range maxOrderReads {
		invoices, err := e.orderInvoices(ctx, order)
		if err != nil {
			return nil, nil, err
		}
		after, err := e.erp.SalesOrders.GetSalesOrder(ctx, &erpv1.GetSalesOrderRequest{Id: orderID})
		if err != nil {
			return nil, nil, fmt.Errorf("read order %s: %w", orderID, err)
		}
		if after.GetRevision() == order.GetRevision() {
			return after, invoices, nil
		}
		order = after
	}
	return nil, nil, fmt.Errorf("order %s kept changing while its invoices were read", order.GetNumber())
}

// orderInvoices lists every invoice of an order.
func (e *Engine) orderInvoices(ctx context.Context, order *erpv1.SalesOrder) ([]*erpv1.Invoice, error) {
	var invoices []*erpv1.Invoice
	token := ""
	for {
		resp, err := e.erp.Invoices.ListInvoices(ctx, &erpv1.ListInvoicesRequest{
			PageSize: 1000, PageToken: token, Filter: fmt.Sprintf("sales_order_id = %q", order.GetId()),
		})
		if err != nil {
			return nil, fmt.Errorf("list invoices of order %s: %w", order.GetNumber(), err)
		}
		invoices = append(invoices, resp.GetInvoices()...)
		if token = resp.GetNextPageToken(); token == "" {
			return invoices, nil
		}
	}
}

// orderPaymentStatus sums up an order and its invoices: not invoiced while
// no invoice is live (not void), overdue while one is overdue, paid when
// the order is invoiced in full and every live invoice is paid or
// credited, at least one paid (the ERP order is PAID then, or, for a
// whole-order customer invoiced before shipping, becomes PAID with its
// last shipment), credited when the order is invoiced in full and every
// live invoice is credited (cancelled by credit notes, nothing paid: the
// ERP order stays INVOICED), partially paid while something but not
// everything is paid (all invoices paid or credited while part of the
// order is not invoiced yet included), open otherwise (invoices credited
// and none paid while part of the order is not invoiced yet included).
// An invoice status this release does not know (a newer ERP's) counts as
// live and neither paid nor credited. The version is 0 for an order
// without invoices; see paymentVersion otherwise.
func orderPaymentStatus(order *erpv1.SalesOrder, invoices []*erpv1.Invoice) (crmv1.PaymentStatus, int64) {
	if len(invoices) == 0 {
		return crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED, 0
	}
	version := paymentVersion(order, invoices)
	var live, paid, credited, partly, overdue int
	for _, inv := range invoices {
		switch inv.GetStatus() {
		case erpv1.InvoiceStatus_INVOICE_STATUS_VOID:
			continue
		case erpv1.InvoiceStatus_INVOICE_STATUS_PAID:
			if creditedOnly(inv) {
				credited++
			} else {
				paid++
			}
		case erpv1.InvoiceStatus_INVOICE_STATUS_CREDITED:
			credited++
		case erpv1.InvoiceStatus_INVOICE_STATUS_PARTIALLY_PAID:
			partly++
		case erpv1.InvoiceStatus_INVOICE_STATUS_OVERDUE:
			overdue++
		}
		live++
	}
	switch {
	case live == 0:
		return crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED, version
	case overdue > 0:
		return crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE, version
	case paid+credited == live && invoicedInFull(order):
		if paid == 0 {
			return crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED, version
		}
		return crmv1.PaymentStatus_PAYMENT_STATUS_PAID, version
	case paid > 0 || partly > 0:
		return crmv1.PaymentStatus_PAYMENT_STATUS_PARTIALLY_PAID, version
	default:
		return crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, version
	}
}

// creditedOnly reports whether a PAID invoice was in fact cancelled by
// credit: nothing paid, something credited. An ERP from before
// INVOICE_STATUS_CREDITED shows such an invoice PAID; this one shows it
// CREDITED (and a PAID invoice always has something paid, unless its
// total is zero, which nothing credits).
func creditedOnly(inv *erpv1.Invoice) bool {
	amount := func(m interface{ GetAmount() string }) (decimal.Decimal, bool) {
		if m == nil {
			return decimal.Zero, false
		}
		d, err := money.ParseDecimal(m.GetAmount())
		return d, err == nil
	}
	paid, okPaid := amount(inv.GetPaidAmount())
	credited, okCredited := amount(inv.GetCreditedAmount())
	return okPaid && okCredited && paid.IsZero() && credited.IsPositive()
}

// paymentVersionBase lifts payment versions above the update times, in
// microseconds, that earlier releases sent as versions, so the first
// status written after an upgrade supersedes them.
const paymentVersionBase = 1 << 60

// paymentVersion is the source version of an order's payment status: the
// order's revision plus its invoices', above paymentVersionBase. Every
// change of the order or of one of its invoices raises one of those
// revisions, and none ever falls or goes away (an invoice is voided, not
// deleted), so the sum grows with each change in the order the changes
// commit. Update times would not: a transaction takes its time when it
// begins, so a change that begins earlier but commits later would carry an
// older time than the state it follows, and its status would be ignored.
func paymentVersion(order *erpv1.SalesOrder, invoices []*erpv1.Invoice) int64 {
	v := paymentVersionBase + order.GetRevision()
	for _, inv := range invoices {
		v += inv.GetRevision()
	}
	return v
}

// invoicedInFull reports whether every line of an order is invoiced in
// full (a PAID order is).
func invoicedInFull(o *erpv1.SalesOrder) bool {
	if o.GetStatus() == erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PAID {
		return true
	}
	if len(o.GetLines()) == 0 {
		return false
	}
	for _, l := range o.GetLines() {
		ordered, err := money.ParseDecimal(l.GetQuantity())
		if err != nil {
			return false
		}
		invoiced, err := money.ParseDecimal(l.GetInvoicedQuantity())
		if err != nil || invoiced.LessThan(ordered) {
			return false
		}
	}
	return true
}

// invoicedAny reports whether some of an order is invoiced.
func invoicedAny(o *erpv1.SalesOrder) bool {
	for _, l := range o.GetLines() {
		if d, err := money.ParseDecimal(l.GetInvoicedQuantity()); err == nil && d.IsPositive() {
			return true
		}
	}
	return false
}
