package api

import (
	"context"
	"strings"
	"time"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Payables serves erp.v1.PayablesService.
type Payables struct {
	erpv1.UnimplementedPayablesServiceServer
	store   payables.Store
	credits payables.CreditStore
}

func billStatusToProto(s payables.Status) erpv1.SupplierBillStatus {
	if v, ok := erpv1.SupplierBillStatus_value["SUPPLIER_BILL_STATUS_"+string(s)]; ok {
		return erpv1.SupplierBillStatus(v)
	}
	return erpv1.SupplierBillStatus_SUPPLIER_BILL_STATUS_UNSPECIFIED
}

// billToProto renders bill b; overdue as of today (UTC).
func billToProto(b payables.Bill) *erpv1.SupplierBill {
	out := &erpv1.SupplierBill{
		Id: b.ID, Number: b.Number, SupplierId: b.SupplierID, PurchaseOrderId: b.PurchaseOrderID,
		SupplierInvoiceNumber: b.SupplierInvoiceNumber,
		InvoiceDate:           civil.FormatDate(b.InvoiceDate), DueDate: civil.FormatDate(b.DueDate),
		Subtotal: money.ToProto(b.Money(b.Subtotal)), TaxAmount: money.ToProto(b.Money(b.Tax)),
		Total: money.ToProto(b.Money(b.Total)), PaidAmount: money.ToProto(b.Money(b.Paid)),
		OpenAmount: money.ToProto(b.Money(b.OpenAmount())),
		Status:     billStatusToProto(b.Status), Overdue: b.Overdue(civil.Today(time.Now())),
		CreditedAmount: money.ToProto(b.Money(b.Credited)),
		Revision:       b.Revision, Etag: etag(b.Revision),
		CreateTime: ts(b.CreateTime), UpdateTime: ts(b.UpdateTime),
	}
	if !b.TaxRate.IsZero() {
		out.TaxRate = decimalString(b.TaxRate)
	}
	for _, l := range b.Lines {
		out.Lines = append(out.Lines, &erpv1.SupplierBillLine{
			LineNumber: l.LineNumber, Quantity: decimalString(l.Quantity), Sku: l.SKU,
			UnitCost: money.UnitCostToProto(b.Money(l.UnitCost)), Amount: money.ToProto(b.Money(l.Amount)),
			CreditedQuantity: decimalString(l.CreditedQuantity), CreditedAmount: money.ToProto(b.Money(l.CreditedAmount)),
		})
	}
	return out
}

func supplierPaymentToProto(p payables.Payment) *erpv1.SupplierPayment {
	return &erpv1.SupplierPayment{
		Id: p.ID, Number: p.Number, BillId: p.BillID, SupplierId: p.SupplierID,
		Amount: money.ToProto(p.Amount), PaidDate: civil.FormatDate(p.PaidDate), Reference: p.Reference,
		CreateTime: ts(p.CreateTime),
		Reversed:   p.Reversed, ReverseReason: p.ReverseReason, ReverseTime: ts(p.ReverseTime),
	}
}

// CreateSupplierBill records a supplier's invoice against a purchase order.
func (h *Payables) CreateSupplierBill(ctx context.Context, req *erpv1.CreateSupplierBillRequest) (*erpv1.SupplierBill, error) {
	pb := req.GetBill()
	var v errs.Violations
	b := payables.Bill{
		PurchaseOrderID:       canonicalID(pb.GetPurchaseOrderId()),
		SupplierInvoiceNumber: payables.NormalizeInvoiceNumber(pb.GetSupplierInvoiceNumber()),
	}
	if pb.GetPurchaseOrderId() != "" {
		_, err := ids.UUID("purchase_order_id", pb.GetPurchaseOrderId())
		mustMerge(&v, err)
	}
	invoiceDate, err := parseDate("invoice_date", pb.GetInvoiceDate())
	mustMerge(&v, err)
	if invoiceDate.IsZero() {
		invoiceDate = civil.Today(time.Now())
	}
	b.InvoiceDate = invoiceDate
	b.DueDate, err = parseDate("due_date", pb.GetDueDate())
	mustMerge(&v, err)
	b.TaxRate = parseOptionalDecimal(&v, "tax_rate", pb.GetTaxRate())
	for i, l := range pb.GetLines() {
		b.Lines = append(b.Lines, payables.BillLine{LineNumber: l.GetLineNumber(),
			Quantity: parseDecimal(&v, "lines["+itoa(i)+"].quantity", l.GetQuantity())})
	}
	if err := combine("bill", v.Err(), payables.ValidateNew(b)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	b.ID = id
	out, err := h.store.CreateSupplierBill(ctx, b, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("bill", err)
	}
	return billToProto(out), nil
}

// GetSupplierBill returns a bill by id.
func (h *Payables) GetSupplierBill(ctx context.Context, req *erpv1.GetSupplierBillRequest) (*erpv1.SupplierBill, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.store.GetSupplierBill(ctx, id)
	if err != nil {
		return nil, err
	}
	return billToProto(out), nil
}

// ListSupplierBills pages through bills by id.
func (h *Payables) ListSupplierBills(ctx context.Context, req *erpv1.ListSupplierBillsRequest) (*erpv1.ListSupplierBillsResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), payables.BillFilterFields...)
	if err != nil {
		return nil, err
	}
	if err := statusFilter(conds, "SUPPLIER_BILL_STATUS_", payables.Statuses, "a supplier bill"); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListSupplierBills(ctx, payables.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListSupplierBillsResponse{Bills: make([]*erpv1.SupplierBill, len(list))}
	for i, b := range list {
		resp.Bills[i] = billToProto(b)
	}
	// Bills of many lines end a page early (listing.Fit).
	if n := listing.Fit(resp.Bills); n < len(list) {
		resp.Bills, list, more = resp.Bills[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// CreateSupplierPayment pays a bill in full or in part.
func (h *Payables) CreateSupplierPayment(ctx context.Context, req *erpv1.CreateSupplierPaymentRequest) (*erpv1.SupplierPayment, error) {
	pp := req.GetPayment()
	var v errs.Violations
	p := payables.Payment{BillID: canonicalID(pp.GetBillId()), Reference: strings.TrimSpace(pp.GetReference())}
	if pp.GetBillId() != "" {
		_, err := ids.UUID("bill_id", pp.GetBillId())
		mustMerge(&v, err)
	}
	amountOK := false
	if pp.GetAmount() == nil {
		v.Add("amount", "is required")
	} else {
		p.Amount, amountOK = parseMoney(&v, "amount", pp.GetAmount())
	}
	paid, err := parseDate("paid_date", pp.GetPaidDate())
	mustMerge(&v, err)
	now := time.Now()
	if paid.IsZero() {
		paid = civil.Today(now)
	}
	p.PaidDate = paid
	var rules error
	if amountOK {
		rules = payables.ValidatePayment(p, now)
	}
	if err := combine("payment", v.Err(), rules); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	p.ID = id
	out, err := h.store.CreateSupplierPayment(ctx, p, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("payment", err)
	}
	return supplierPaymentToProto(out), nil
}

// ReverseSupplierPayment takes a supplier payment back, once
// (payables.ReversePayment).
func (h *Payables) ReverseSupplierPayment(ctx context.Context, req *erpv1.ReverseSupplierPaymentRequest) (*erpv1.SupplierPayment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	reason, err := reverseReason(req.GetReason(), payables.MaxReverseReasonLength)
	if err != nil {
		return nil, err
	}
	out, err := h.store.ReverseSupplierPayment(ctx, id, reason, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return supplierPaymentToProto(out), nil
}

// GetSupplierPayment returns a supplier payment by id.
func (h *Payables) GetSupplierPayment(ctx context.Context, req *erpv1.GetSupplierPaymentRequest) (*erpv1.SupplierPayment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.store.GetSupplierPayment(ctx, id)
	if err != nil {
		return nil, err
	}
	return supplierPaymentToProto(out), nil
}

// ListSupplierPayments pages through supplier payments by id.
func (h *Payables) ListSupplierPayments(ctx context.Context, req *erpv1.ListSupplierPaymentsRequest) (*erpv1.ListSupplierPaymentsResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), payables.PaymentFilterFields...)
	if err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListSupplierPayments(ctx, payables.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListSupplierPaymentsResponse{Payments: make([]*erpv1.SupplierPayment, len(list))}
	for i, p := range list {
		resp.Payments[i] = supplierPaymentToProto(p)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// GetPayablesReport sums the bills open at the end of as_of_date per
// supplier and currency, a page of rows at a time. Its tokens are bound to the request and to the as-of
// date it resolved to, so a report left to today does not continue into
// tomorrow's.
func (h *Payables) GetPayablesReport(ctx context.Context, req *erpv1.GetPayablesReportRequest) (*erpv1.PayablesReport, error) {
	asOf, err := parseDate("as_of_date", req.GetAsOfDate())
	if err != nil {
		return nil, err
	}
	if asOf.IsZero() {
		asOf = civil.Today(time.Now())
	}
	q := payables.ReportQuery{AsOf: asOf}
	if req.GetSupplierId() != "" {
		if q.SupplierID, err = ids.UUID("supplier_id", req.GetSupplierId()); err != nil {
			return nil, err
		}
	}
	if q.Limit, err = listing.PageSize(req.GetPageSize()); err != nil {
		return nil, err
	}
	query := listQuery(req, []string{date(asOf)})
	tok, err := listing.DecodeToken(req.GetPageToken(), query)
	if err != nil {
		return nil, err
	}
	if tok != nil {
		if len(tok.After) != 2 {
			return nil, errs.Invalid("page_token", "is not a token returned by this report")
		}
		q.After = &payables.ReportKey{SupplierID: tok.After[0], Currency: tok.After[1]}
	}
	rows, err := h.store.Payables(ctx, q)
	if err != nil {
		return nil, err
	}
	out := &erpv1.PayablesReport{AsOfDate: civil.FormatDate(asOf)}
	if len(rows) > q.Limit {
		rows = rows[:q.Limit]
		k := rows[len(rows)-1].Key()
		out.NextPageToken = listing.Token{After: []string{k.SupplierID, k.Currency}, Query: query}.Encode()
	}
	for _, r := range rows {
		out.Rows = append(out.Rows, &erpv1.SupplierPayables{
			SupplierId: r.SupplierID, SupplierName: r.SupplierName,
			OpenAmount:    money.ToProto(money.Money{Currency: r.Currency, Amount: r.Open}),
			OverdueAmount: money.ToProto(money.Money{Currency: r.Currency, Amount: r.Overdue}),
			OpenBills:     r.OpenBills,
		})
	}
	return out, nil
}
