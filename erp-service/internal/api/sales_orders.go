package api

import (
	"context"
	"fmt"
	"strings"

	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// SalesOrders serves erp.v1.SalesOrderService.
type SalesOrders struct {
	erpv1.UnimplementedSalesOrderServiceServer
	store sales.Store
}

// CreateSalesOrder creates a draft order, or with confirm a confirmed one
// (or one on credit hold) in one transaction. An order with the same
// external_ref, or created under the same request_id, is returned
// unchanged.
func (h *SalesOrders) CreateSalesOrder(ctx context.Context, req *erpv1.CreateSalesOrderRequest) (*erpv1.SalesOrder, error) {
	var v errs.Violations
	n := newOrderFromProto(&v, req.GetSalesOrder())
	n.Confirm = req.GetConfirm()
	if err := combine("sales_order", v.Err(), sales.ValidateNew(n)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	o, err := h.store.CreateOrder(ctx, n, id, req.GetRequestId())
	if err != nil {
		return nil, combine("sales_order", err)
	}
	return orderToProto(o), nil
}

// GetSalesOrder returns an order by id.
func (h *SalesOrders) GetSalesOrder(ctx context.Context, req *erpv1.GetSalesOrderRequest) (*erpv1.SalesOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	o, err := h.store.GetOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	return orderToProto(o), nil
}

// ListSalesOrders pages through orders by id.
func (h *SalesOrders) ListSalesOrders(ctx context.Context, req *erpv1.ListSalesOrdersRequest) (*erpv1.ListSalesOrdersResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), sales.FilterFields...)
	if err != nil {
		return nil, err
	}
	if err := statusFilter(conds, "SALES_ORDER_STATUS_", sales.Statuses, "a sales order"); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListOrders(ctx, sales.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListSalesOrdersResponse{SalesOrders: make([]*erpv1.SalesOrder, len(list))}
	for i, o := range list {
		resp.SalesOrders[i] = orderToProto(o)
	}
	// Orders of many lines end a page early (listing.Fit).
	if n := listing.Fit(resp.SalesOrders); n < len(list) {
		resp.SalesOrders, list, more = resp.SalesOrders[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// ConfirmSalesOrder reserves stock for the order; confirming a confirmed
// order changes nothing.
func (h *SalesOrders) ConfirmSalesOrder(ctx context.Context, req *erpv1.ConfirmSalesOrderRequest) (*erpv1.SalesOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	o, err := h.store.ConfirmOrder(ctx, id, tag, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return orderToProto(o), nil
}

// MaxCancelReasonLength bounds a cancellation reason.
const MaxCancelReasonLength = 500

// CancelSalesOrder cancels the order and releases its reservations;
// cancelling a cancelled order changes nothing.
func (h *SalesOrders) CancelSalesOrder(ctx context.Context, req *erpv1.CancelSalesOrderRequest) (*erpv1.SalesOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	if len(req.GetReason()) > MaxCancelReasonLength {
		return nil, errs.Invalid("reason", "must be at most %d bytes", MaxCancelReasonLength)
	}
	o, err := h.store.CancelOrder(ctx, id, tag, req.GetReason(), req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return orderToProto(o), nil
}

// MaxReleaseReasonLength bounds the reason of a credit hold release.
const MaxReleaseReasonLength = 500

// ReleaseCreditHold releases an order on credit hold and confirms it.
func (h *SalesOrders) ReleaseCreditHold(ctx context.Context, req *erpv1.ReleaseCreditHoldRequest) (*erpv1.SalesOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	reason := strings.TrimSpace(req.GetReason())
	switch {
	case reason == "":
		v.Add("reason", "is required")
	case len(reason) > MaxReleaseReasonLength:
		v.Add("reason", "must be at most %d bytes", MaxReleaseReasonLength)
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	o, err := h.store.ReleaseCreditHold(ctx, id, tag, reason, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return orderToProto(o), nil
}

// AmendSalesOrder changes line quantities and adds lines; reservations
// follow.
func (h *SalesOrders) AmendSalesOrder(ctx context.Context, req *erpv1.AmendSalesOrderRequest) (*erpv1.SalesOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	var a sales.Amendment
	for i, pl := range req.GetLines() {
		f := fmt.Sprintf("lines[%d].", i)
		l := sales.AmendLine{Number: pl.GetLineNumber(), SKU: pl.GetSku(),
			Quantity:    parseDecimal(&v, f+"quantity", pl.GetQuantity()),
			Discount:    parseOptionalDecimal(&v, f+"discount_percent", pl.GetDiscountPercent()),
			DiscountSet: pl.GetDiscountPercent() != ""}
		if pl.GetUnitPrice() != nil {
			if m, ok := parseMoney(&v, f+"unit_price", pl.GetUnitPrice()); ok {
				l.UnitPrice = &m
			}
		}
		a.Lines = append(a.Lines, l)
	}
	if err := combine("", v.Err(), sales.ValidateAmendment(a)); err != nil {
		return nil, err
	}
	o, err := h.store.AmendOrder(ctx, id, tag, a, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return orderToProto(o), nil
}
