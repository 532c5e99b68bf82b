package api

import (
	"context"
	"fmt"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// CreateCreditNote credits part or all of an issued invoice.
func (h *Invoices) CreateCreditNote(ctx context.Context, req *erpv1.CreateCreditNoteRequest) (*erpv1.CreditNote, error) {
	invoiceID, err := ids.UUID("invoice_id", req.GetInvoiceId())
	if err != nil {
		return nil, err
	}
	p := req.GetCreditNote()
	var v errs.Violations
	day, err := parseDate("credit_date", p.GetCreditDate())
	mustMerge(&v, err)
	n := invoicing.NewCreditNote{InvoiceID: invoiceID, CreditDate: day, Reason: p.GetReason()}
	for i, l := range p.GetLines() {
		f := fmt.Sprintf("lines[%d]", i)
		nl := invoicing.NewCreditLine{LineNumber: l.GetLineNumber(), ReturnWarehouse: l.GetReturnToWarehouse(),
			Quantity: parseOptionalDecimal(&v, f+".quantity", l.GetQuantity())}
		if l.GetAmount() != nil {
			a, err := money.FromProto(f+".amount", l.GetAmount())
			if err != nil {
				mustMerge(&v, err)
			} else {
				nl.Amount = &a
			}
		}
		n.Lines = append(n.Lines, nl)
	}
	if err := v.Err(); err != nil {
		return nil, prefixFields("credit_note", err)
	}
	if err := invoicing.ValidateCreditNote(n); err != nil {
		return nil, prefixFields("credit_note", err)
	}
	if n.ID, err = newID(); err != nil {
		return nil, err
	}
	out, err := h.credits.CreateCreditNote(ctx, n, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("credit_note", err)
	}
	return creditNoteToProto(out), nil
}

// GetCreditNote returns a credit note by id.
func (h *Invoices) GetCreditNote(ctx context.Context, req *erpv1.GetCreditNoteRequest) (*erpv1.CreditNote, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.credits.GetCreditNote(ctx, id)
	if err != nil {
		return nil, err
	}
	return creditNoteToProto(out), nil
}

// ListCreditNotes pages through credit notes by id, those of one invoice
// or one customer, or of some credit dates, with a filter.
func (h *Invoices) ListCreditNotes(ctx context.Context, req *erpv1.ListCreditNotesRequest) (*erpv1.ListCreditNotesResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), invoicing.CreditFilterFields...)
	if err != nil {
		return nil, err
	}
	for _, c := range conds {
		if c.Op != "=" && c.Field != "credit_date" {
			return nil, errs.Invalid("filter", "%s can only be compared with =", c.Field)
		}
	}
	if err := checkFilterValues(conds, map[string]filterValue{"credit_date": filterDate}); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.credits.ListCreditNotes(ctx, invoicing.CreditListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListCreditNotesResponse{CreditNotes: make([]*erpv1.CreditNote, len(list))}
	for i, c := range list {
		resp.CreditNotes[i] = creditNoteToProto(c)
	}
	if n := listing.Fit(resp.CreditNotes); n < len(list) {
		resp.CreditNotes, list, more = resp.CreditNotes[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

func creditNoteToProto(c invoicing.CreditNote) *erpv1.CreditNote {
	p := &erpv1.CreditNote{
		Id:             c.ID,
		Number:         c.Number,
		InvoiceId:      c.InvoiceID,
		InvoiceNumber:  c.InvoiceNumber,
		CustomerId:     c.CustomerID,
		CurrencyCode:   c.Currency,
		CreditDate:     date(c.CreditDate),
		Reason:         c.Reason,
		Subtotal:       money.ToProto(c.Subtotal),
		TaxTotal:       money.ToProto(c.TaxTotal),
		Total:          money.ToProto(c.Total),
		CustomerCredit: money.ToProto(c.ToCredit),
		CreateTime:     ts(c.CreateTime),
		Lines:          make([]*erpv1.CreditNoteLine, len(c.Lines)),
	}
	for k, l := range c.Lines {
		pl := &erpv1.CreditNoteLine{
			LineNumber:        l.LineNumber,
			Sku:               l.SKU,
			ReturnToWarehouse: l.ReturnWarehouse,
			TaxRate:           decimalString(l.TaxRate),
			NetAmount:         money.ToProto(l.Net),
			TaxAmount:         money.ToProto(l.Tax),
		}
		if l.Quantity.IsPositive() {
			pl.Quantity = decimalString(l.Quantity)
		} else {
			pl.Amount = money.ToProto(l.Net)
		}
		if l.ReturnWarehouse != "" {
			pl.ReturnCost = money.ToProto(l.ReturnCost)
		}
		p.Lines[k] = pl
	}
	return p
}

// CreditNote encodes a credit note payload.
func (EventEncoder) CreditNote(c invoicing.CreditNote) ([]byte, error) {
	return payloadMarshal.Marshal(creditNoteToProto(c))
}
