package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// CreateSupplierCreditNote credits part of a supplier's bill
// (payables.BuildCreditNote).
func (h *Payables) CreateSupplierCreditNote(ctx context.Context, req *erpv1.CreateSupplierCreditNoteRequest) (*erpv1.SupplierCreditNote, error) {
	billID, err := ids.UUID("bill_id", req.GetBillId())
	if err != nil {
		return nil, err
	}
	p := req.GetCreditNote()
	var v errs.Violations
	day, err := parseDate("credit_date", p.GetCreditDate())
	mustMerge(&v, err)
	n := payables.NewCreditNote{BillID: billID, CreditDate: day, Reason: strings.TrimSpace(p.GetReason())}
	for i, l := range p.GetLines() {
		f := fmt.Sprintf("lines[%d]", i)
		nl := payables.NewCreditLine{LineNumber: l.GetLineNumber(), Quantity: parseOptionalDecimal(&v, f+".quantity", l.GetQuantity())}
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
	if err := combine("credit_note", v.Err(), payables.ValidateCreditNote(n)); err != nil {
		return nil, err
	}
	if n.ID, err = newID(); err != nil {
		return nil, err
	}
	out, err := h.credits.CreateSupplierCreditNote(ctx, n, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("credit_note", err)
	}
	return supplierCreditNoteToProto(out), nil
}

// GetSupplierCreditNote returns a supplier credit note by id.
func (h *Payables) GetSupplierCreditNote(ctx context.Context, req *erpv1.GetSupplierCreditNoteRequest) (*erpv1.SupplierCreditNote, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.credits.GetSupplierCreditNote(ctx, id)
	if err != nil {
		return nil, err
	}
	return supplierCreditNoteToProto(out), nil
}

// ListSupplierCreditNotes pages through supplier credit notes by id, those
// of one bill or one supplier with a filter.
func (h *Payables) ListSupplierCreditNotes(ctx context.Context, req *erpv1.ListSupplierCreditNotesRequest) (*erpv1.ListSupplierCreditNotesResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), payables.CreditFilterFields...)
	if err != nil {
		return nil, err
	}
	for _, c := range conds {
		if c.Op != "=" {
			return nil, errs.Invalid("filter", "%s can only be compared with =", c.Field)
		}
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.credits.ListSupplierCreditNotes(ctx, payables.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListSupplierCreditNotesResponse{CreditNotes: make([]*erpv1.SupplierCreditNote, len(list))}
	for i, c := range list {
		resp.CreditNotes[i] = supplierCreditNoteToProto(c)
	}
	if n := listing.Fit(resp.CreditNotes); n < len(list) {
		resp.CreditNotes, list, more = resp.CreditNotes[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

func supplierCreditNoteToProto(c payables.CreditNote) *erpv1.SupplierCreditNote {
	p := &erpv1.SupplierCreditNote{
		Id: c.ID, Number: c.Number, BillId: c.BillID, BillNumber: c.BillNumber, SupplierId: c.SupplierID,
		PurchaseOrderId: c.PurchaseOrderID, CurrencyCode: c.Currency, CreditDate: civil.FormatDate(c.CreditDate),
		Reason: c.Reason, Subtotal: money.ToProto(c.Money(c.Subtotal)), TaxAmount: money.ToProto(c.Money(c.Tax)),
		Total: money.ToProto(c.Money(c.Total)), CreateTime: ts(c.CreateTime),
		Lines: make([]*erpv1.SupplierCreditNoteLine, len(c.Lines)),
	}
	for k, l := range c.Lines {
		pl := &erpv1.SupplierCreditNoteLine{LineNumber: l.LineNumber, Sku: l.SKU,
			NetAmount: money.ToProto(c.Money(l.Net)), TaxAmount: money.ToProto(c.Money(l.Tax))}
		if l.Kind == payables.ReturnedGoods {
			pl.Kind, pl.Quantity = erpv1.SupplierCreditLineKind_SUPPLIER_CREDIT_LINE_KIND_RETURNED_GOODS, decimalString(l.Quantity)
		} else {
			pl.Kind, pl.Amount = erpv1.SupplierCreditLineKind_SUPPLIER_CREDIT_LINE_KIND_PRICE_CONCESSION, money.ToProto(c.Money(l.Net))
		}
		p.Lines[k] = pl
	}
	return p
}
