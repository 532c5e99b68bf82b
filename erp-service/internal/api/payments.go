package api

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Payments serves erp.v1.PaymentService.
type Payments struct {
	erpv1.UnimplementedPaymentServiceServer
	store payment.Store
}

// allocationInvoiceID reads the invoice id of an allocation, in its
// canonical form. One that is no UUID is a violation of field, as every
// id field of the API answers; "" is left to the allocation rules (is
// required).
func allocationInvoiceID(v *errs.Violations, field, s string) string {
	id, err := ids.OptionalUUID(field, s)
	if err != nil {
		mustMerge(v, err)
		return s
	}
	return id
}

// moneyDate reads the date in field on which money moved, s: today (UTC)
// when s is empty, else s as check (bounds) admits it. What is wrong goes
// to v.
func moneyDate(v *errs.Violations, field, s string, check func(d, now time.Time) error) time.Time {
	d, err := parseDate(field, s)
	mustMerge(v, err)
	now := time.Now()
	if d.IsZero() {
		return civil.Today(now)
	}
	mustMerge(v, check(d, now))
	return d
}

// CreatePayment records a payment and its allocations.
func (h *Payments) CreatePayment(ctx context.Context, req *erpv1.CreatePaymentRequest) (*erpv1.Payment, error) {
	pp := req.GetPayment()
	var v errs.Violations
	p := payment.Payment{CustomerID: canonicalID(pp.GetCustomerId()), Reference: strings.TrimSpace(pp.GetReference())}
	amountOK := false
	if pp.GetAmount() == nil {
		v.Add("amount", "is required")
	} else {
		p.Amount, amountOK = parseMoney(&v, "amount", pp.GetAmount())
	}
	for i, a := range pp.GetAllocations() {
		al := payment.Allocation{InvoiceID: allocationInvoiceID(&v, "allocations["+itoa(i)+"].invoice_id", a.GetInvoiceId())}
		f := "allocations[" + itoa(i) + "].amount"
		if a.GetAmount() == nil {
			v.Add(f, "is required")
		} else if m, ok := parseMoney(&v, f, a.GetAmount()); ok {
			al.Amount = m
		} else {
			continue
		}
		p.Allocations = append(p.Allocations, al)
	}
	p.ReceivedDate = moneyDate(&v, "received_date", pp.GetReceivedDate(), payment.CheckReceivedDate)
	var rules error
	if amountOK && v.Len() == 0 {
		rules = payment.ValidateNew(p)
	}
	if err := combine("payment", v.Err(), rules); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	p.ID = id
	out, err := h.store.CreatePayment(ctx, p, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("payment", err)
	}
	return paymentToProto(out), nil
}

// GetPayment returns a payment by id.
func (h *Payments) GetPayment(ctx context.Context, req *erpv1.GetPaymentRequest) (*erpv1.Payment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	out, err := h.store.GetPayment(ctx, id)
	if err != nil {
		return nil, err
	}
	return paymentToProto(out), nil
}

// ListPayments pages through payments by id.
func (h *Payments) ListPayments(ctx context.Context, req *erpv1.ListPaymentsRequest) (*erpv1.ListPaymentsResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), payment.FilterFields...)
	if err != nil {
		return nil, err
	}
	if err := checkFilterValues(conds, map[string]filterValue{"received_date": filterDate}); err != nil {
		return nil, err
	}
	if err := statusFilter(conds, "PAYMENT_STATUS_", []payment.Status{payment.Posted, payment.Reversed}, "a payment"); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListPayments(ctx, payment.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListPaymentsResponse{Payments: make([]*erpv1.Payment, len(list))}
	for i, p := range list {
		resp.Payments[i] = paymentToProto(p)
	}
	// Payments of many allocations or refunds end a page early (listing.Fit).
	if n := listing.Fit(resp.Payments); n < len(list) {
		resp.Payments, list, more = resp.Payments[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// MaxReverseReasonLength bounds a reversal reason.
const MaxReverseReasonLength = 500

// ReversePayment reverses a payment; reversing a reversed one changes
// nothing.
func (h *Payments) ReversePayment(ctx context.Context, req *erpv1.ReversePaymentRequest) (*erpv1.Payment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	if len(req.GetReason()) > MaxReverseReasonLength {
		return nil, errs.Invalid("reason", "must be at most %d bytes", MaxReverseReasonLength)
	}
	out, err := h.store.ReversePayment(ctx, id, tag, req.GetReason(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return paymentToProto(out), nil
}

// ApplyPaymentCredit allocates a posted payment's unallocated amount to
// open invoices of its customer.
func (h *Payments) ApplyPaymentCredit(ctx context.Context, req *erpv1.ApplyPaymentCreditRequest) (*erpv1.Payment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	mustMerge(&v, err)
	var allocs []payment.Allocation
	parsed := true
	for i, a := range req.GetAllocations() {
		al := payment.Allocation{InvoiceID: allocationInvoiceID(&v, "allocations["+itoa(i)+"].invoice_id", a.GetInvoiceId())}
		f := "allocations[" + itoa(i) + "].amount"
		if a.GetAmount() == nil {
			v.Add(f, "is required")
			parsed = false
		} else if m, ok := parseMoney(&v, f, a.GetAmount()); ok {
			al.Amount = m
		} else {
			parsed = false
		}
		allocs = append(allocs, al)
	}
	var rules error
	if parsed {
		rules = payment.ValidateCredit(allocs)
	}
	if err := combine("", v.Err(), rules); err != nil {
		return nil, err
	}
	out, err := h.store.ApplyCredit(ctx, id, tag, allocs, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return paymentToProto(out), nil
}

// RefundPaymentCredit pays some of a posted payment's unallocated amount
// back to its customer.
func (h *Payments) RefundPaymentCredit(ctx context.Context, req *erpv1.RefundPaymentCreditRequest) (*erpv1.Payment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	mustMerge(&v, err)
	r := payment.Refund{Reference: strings.TrimSpace(req.GetReference())}
	amountOK := false
	if req.GetAmount() == nil {
		v.Add("amount", "is required")
	} else {
		r.Amount, amountOK = parseMoney(&v, "amount", req.GetAmount())
	}
	r.Date = moneyDate(&v, "refund_date", req.GetRefundDate(), payment.CheckRefundDate)
	var rules error
	if amountOK {
		rules = payment.ValidateRefund(r)
	}
	if err := combine("", v.Err(), rules); err != nil {
		return nil, err
	}
	out, err := h.store.RefundCredit(ctx, id, tag, r, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return paymentToProto(out), nil
}

func paymentToProto(p payment.Payment) *erpv1.Payment {
	out := &erpv1.Payment{
		Id:                p.ID,
		Number:            p.Number,
		CustomerId:        p.CustomerID,
		Amount:            money.ToProto(p.Amount),
		UnallocatedAmount: money.ToProto(p.Unallocated),
		Status:            erpv1.PaymentStatus(erpv1.PaymentStatus_value["PAYMENT_STATUS_"+string(p.Status)]),
		ReceivedDate:      date(p.ReceivedDate),
		Reference:         p.Reference,
		ReverseReason:     p.ReverseReason,
		Revision:          p.Revision,
		Etag:              etag(p.Revision),
		CreateTime:        ts(p.CreateTime),
		UpdateTime:        ts(p.UpdateTime),
		Allocations:       make([]*erpv1.PaymentAllocation, len(p.Allocations)),
	}
	for i, a := range p.Allocations {
		out.Allocations[i] = &erpv1.PaymentAllocation{InvoiceId: a.InvoiceID, Amount: money.ToProto(a.Amount),
			Reversed: p.Status == payment.Reversed}
	}
	if len(p.Refunds) > 0 {
		out.Refunds = make([]*erpv1.PaymentRefund, len(p.Refunds))
		for i, r := range p.Refunds {
			out.Refunds[i] = &erpv1.PaymentRefund{Amount: money.ToProto(r.Amount), RefundDate: date(r.Date), Reference: r.Reference,
				CreateTime: ts(r.CreateTime)}
		}
	}
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }
