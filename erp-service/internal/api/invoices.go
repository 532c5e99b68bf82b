package api

import (
	"context"
	"time"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Invoices serves erp.v1.InvoiceService.
type Invoices struct {
	erpv1.UnimplementedInvoiceServiceServer
	store   invoicing.Store
	credits invoicing.CreditStore
}

// parseDate reads an optional YYYY-MM-DD (the zero time when empty),
// from 1900 on: no date given is ever read as "none".
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	d, err := civil.ParseDate(s)
	if err != nil {
		return time.Time{}, errs.Invalid(field, "must be a date YYYY-MM-DD from 1900-01-01 on: %v", err)
	}
	return d, nil
}

// CreateInvoice invoices what has shipped of an order and is not invoiced.
func (h *Invoices) CreateInvoice(ctx context.Context, req *erpv1.CreateInvoiceRequest) (*erpv1.Invoice, error) {
	p := req.GetInvoice()
	var v errs.Violations
	if p.GetSalesOrderId() == "" {
		v.Add("invoice.sales_order_id", "is required")
	}
	issue, err := parseDate("invoice.issue_date", p.GetIssueDate())
	if merr := v.Merge("", err); merr != nil {
		return nil, merr
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	out, err := h.store.CreateInvoice(ctx, p.GetSalesOrderId(), issue, id, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("invoice", err)
	}
	return invoiceToProto(out), nil
}

// GetInvoice returns an invoice by id.
func (h *Invoices) GetInvoice(ctx context.Context, req *erpv1.GetInvoiceRequest) (*erpv1.Invoice, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.store.GetInvoice(ctx, id)
	if err != nil {
		return nil, err
	}
	return invoiceToProto(out), nil
}

// ListInvoices pages through invoices by id.
func (h *Invoices) ListInvoices(ctx context.Context, req *erpv1.ListInvoicesRequest) (*erpv1.ListInvoicesResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), invoicing.FilterFields...)
	if err != nil {
		return nil, err
	}
	if err := checkFilterValues(conds, map[string]filterValue{"issue_date": filterDate, "due_date": filterDate}); err != nil {
		return nil, err
	}
	if err := statusFilter(conds, "INVOICE_STATUS_", invoicing.Statuses, "an invoice"); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListInvoices(ctx, invoicing.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListInvoicesResponse{Invoices: make([]*erpv1.Invoice, len(list))}
	for i, inv := range list {
		resp.Invoices[i] = invoiceToProto(inv)
	}
	// Invoices of many lines end a page early (listing.Fit).
	if n := listing.Fit(resp.Invoices); n < len(list) {
		resp.Invoices, list, more = resp.Invoices[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// MaxVoidReasonLength bounds a void reason.
const MaxVoidReasonLength = 500

// VoidInvoice voids an unpaid invoice; voiding a void invoice changes
// nothing.
func (h *Invoices) VoidInvoice(ctx context.Context, req *erpv1.VoidInvoiceRequest) (*erpv1.Invoice, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	if len(req.GetReason()) > MaxVoidReasonLength {
		return nil, errs.Invalid("reason", "must be at most %d bytes", MaxVoidReasonLength)
	}
	out, err := h.store.VoidInvoice(ctx, id, tag, req.GetReason(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return invoiceToProto(out), nil
}

// MarkOverdueInvoices marks open invoices past due OVERDUE, as of a date
// that is not after today (today when none is given; the store decides
// both by the database's clock, which also dates the invoices).
func (h *Invoices) MarkOverdueInvoices(ctx context.Context, req *erpv1.MarkOverdueInvoicesRequest) (*erpv1.MarkOverdueInvoicesResponse, error) {
	asOf, err := parseDate("as_of_date", req.GetAsOfDate())
	if err != nil {
		return nil, err
	}
	ids, more, err := h.store.MarkOverdue(ctx, asOf)
	if err != nil {
		return nil, err
	}
	return &erpv1.MarkOverdueInvoicesResponse{InvoiceIds: ids, More: more}, nil
}

func invoiceStatusToProto(s invoicing.Status) erpv1.InvoiceStatus {
	if v, ok := erpv1.InvoiceStatus_value["INVOICE_STATUS_"+string(s)]; ok {
		return erpv1.InvoiceStatus(v)
	}
	return erpv1.InvoiceStatus_INVOICE_STATUS_UNSPECIFIED
}

// parseInvoiceStatus accepts "INVOICE_STATUS_OPEN" or "OPEN" (any case).
func parseInvoiceStatus(s string) (invoicing.Status, bool) {
	return parseEnum(s, "INVOICE_STATUS_", invoicing.Statuses)
}

func date(t time.Time) string { return civil.FormatDate(t) }

func invoiceToProto(i invoicing.Invoice) *erpv1.Invoice {
	p := &erpv1.Invoice{
		Id:               i.ID,
		Number:           i.Number,
		SalesOrderId:     i.OrderID,
		SalesOrderNumber: i.OrderNumber,
		CustomerId:       i.CustomerID,
		CurrencyCode:     i.Currency,
		Status:           invoiceStatusToProto(i.Status),
		Subtotal:         money.ToProto(i.Subtotal),
		TaxTotal:         money.ToProto(i.TaxTotal),
		Total:            money.ToProto(i.Total),
		PaidAmount:       money.ToProto(i.Paid),
		CreditedAmount:   money.ToProto(i.Credited),
		OpenAmount:       money.ToProto(i.OpenAmount()),
		IssueDate:        date(i.IssueDate),
		DueDate:          date(i.DueDate),
		VoidReason:       i.VoidReason,
		Revision:         i.Revision,
		Etag:             etag(i.Revision),
		CreateTime:       ts(i.CreateTime),
		UpdateTime:       ts(i.UpdateTime),
		Lines:            make([]*erpv1.InvoiceLine, len(i.Lines)),
	}
	for k, l := range i.Lines {
		p.Lines[k] = &erpv1.InvoiceLine{
			LineNumber:      l.LineNumber,
			Sku:             l.SKU,
			Quantity:        decimalString(l.Quantity),
			UnitPrice:       money.ToProto(l.UnitPrice),
			DiscountPercent: decimalString(l.Discount),
			TaxRate:         decimalString(l.TaxRate),
			NetAmount:       money.ToProto(l.Net),
			TaxAmount:       money.ToProto(l.Tax),
			Amount:          money.ToProto(l.Amount()),
		}
	}
	return p
}

func balanceToProto(b invoicing.Balance) *erpv1.CustomerBalance {
	return &erpv1.CustomerBalance{
		CustomerId:     b.CustomerID,
		CurrencyCode:   b.Currency,
		OpenBalance:    money.ToProto(b.Open),
		OverdueBalance: money.ToProto(b.Overdue),
		Credit:         money.ToProto(b.Credit),
		Version:        b.Version,
	}
}
