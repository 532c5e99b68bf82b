package api

import (
	"context"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Warehouses serves erp.v1.WarehouseService.
type Warehouses struct {
	erpv1.UnimplementedWarehouseServiceServer
	store stock.Store
}

// ListWarehouses pages through warehouses by code.
func (h *Warehouses) ListWarehouses(ctx context.Context, req *erpv1.ListWarehousesRequest) (*erpv1.ListWarehousesResponse, error) {
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListWarehouses(ctx, stock.ListQuery{PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListWarehousesResponse{Warehouses: make([]*erpv1.Warehouse, len(list))}
	for i, w := range list {
		resp.Warehouses[i] = warehouseToProto(w)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].Code)
	}
	return resp, nil
}

// GetWarehouse returns a warehouse by code.
func (h *Warehouses) GetWarehouse(ctx context.Context, req *erpv1.GetWarehouseRequest) (*erpv1.Warehouse, error) {
	w, err := h.store.GetWarehouse(ctx, req.GetCode())
	if err != nil {
		return nil, err
	}
	return warehouseToProto(w), nil
}

// CreateWarehouse adds a warehouse; a retried request_id returns the first
// result.
func (h *Warehouses) CreateWarehouse(ctx context.Context, req *erpv1.CreateWarehouseRequest) (*erpv1.Warehouse, error) {
	w := stock.Warehouse{Code: req.GetWarehouse().GetCode(), Name: req.GetWarehouse().GetName()}
	if err := combine("warehouse", stock.PrepareWarehouse(&w)); err != nil {
		return nil, err
	}
	out, err := h.store.CreateWarehouse(ctx, w, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return warehouseToProto(out), nil
}

// Stock serves erp.v1.StockService.
type Stock struct {
	erpv1.UnimplementedStockServiceServer
	store stock.Store
}

// CreateStockAdjustment records a counted correction or receipt; a retried
// request_id returns the first result.
func (h *Stock) CreateStockAdjustment(ctx context.Context, req *erpv1.CreateStockAdjustmentRequest) (*erpv1.StockAdjustment, error) {
	p := req.GetStockAdjustment()
	var v errs.Violations
	a := stock.Adjustment{
		SKU:       p.GetSku(),
		Warehouse: p.GetWarehouse(),
		Quantity:  parseDecimal(&v, "quantity", p.GetQuantity()),
		Reason:    p.GetReason(),
	}
	if msg := catalog.SKUViolation(a.SKU); msg != "" {
		v.Add("sku", "%s", msg)
	}
	if err := combine("stock_adjustment", v.Err(), stock.PrepareAdjustment(&a)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	a.ID = id
	out, err := h.store.Adjust(ctx, a, req.GetRequestId())
	if err != nil {
		return nil, combine("stock_adjustment", err)
	}
	return adjustmentToProto(out), nil
}

// CreateStockTransfer moves stock of an item between two warehouses; a
// retried request_id returns the first result.
func (h *Stock) CreateStockTransfer(ctx context.Context, req *erpv1.CreateStockTransferRequest) (*erpv1.StockTransfer, error) {
	p := req.GetStockTransfer()
	var v errs.Violations
	t := stock.Transfer{
		SKU:           p.GetSku(),
		FromWarehouse: p.GetFromWarehouse(),
		ToWarehouse:   p.GetToWarehouse(),
		Quantity:      parseDecimal(&v, "quantity", p.GetQuantity()),
		Reason:        p.GetReason(),
	}
	if msg := catalog.SKUViolation(t.SKU); msg != "" {
		v.Add("sku", "%s", msg)
	}
	if err := combine("stock_transfer", v.Err(), stock.PrepareTransfer(&t)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	t.ID = id
	out, err := h.store.Transfer(ctx, t, req.GetRequestId())
	if err != nil {
		return nil, prefixFields("stock_transfer", err)
	}
	return transferToProto(out), nil
}

// GetStockAdjustment reads an adjustment back from the ledger.
func (h *Stock) GetStockAdjustment(ctx context.Context, req *erpv1.GetStockAdjustmentRequest) (*erpv1.StockAdjustment, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	a, err := h.store.GetAdjustment(ctx, id)
	if err != nil {
		return nil, err
	}
	return adjustmentToProto(a), nil
}

// GetStockTransfer reads a transfer back from the ledger.
func (h *Stock) GetStockTransfer(ctx context.Context, req *erpv1.GetStockTransferRequest) (*erpv1.StockTransfer, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	t, err := h.store.GetTransfer(ctx, id)
	if err != nil {
		return nil, err
	}
	return transferToProto(t), nil
}

func transferToProto(t stock.Transfer) *erpv1.StockTransfer {
	return &erpv1.StockTransfer{
		Id:            t.ID,
		Sku:           t.SKU,
		FromWarehouse: t.FromWarehouse,
		ToWarehouse:   t.ToWarehouse,
		Quantity:      decimalString(t.Quantity),
		Reason:        t.Reason,
		CreateTime:    ts(t.CreateTime),
		Availability:  availabilityToProto(t.Availability),
	}
}

// ListStockMoves pages through the stock ledger, oldest first; it never
// skips a move for a reader that continues from its last token (see
// stock.MoveQuery).
func (h *Stock) ListStockMoves(ctx context.Context, req *erpv1.ListStockMovesRequest) (*erpv1.ListStockMovesResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), stock.MoveFilterFields...)
	if err != nil {
		return nil, err
	}
	if err := stock.CheckMoveFilter(conds); err != nil {
		return nil, err
	}
	if err := checkFilterValues(conds, map[string]filterValue{"kind": oneOf(stock.MoveKinds...)}); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListMoves(ctx, stock.MoveQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListStockMovesResponse{StockMoves: make([]*erpv1.StockMove, len(list))}
	for i, m := range list {
		resp.StockMoves[i] = &erpv1.StockMove{
			Id: m.ID, Sku: m.SKU, Warehouse: m.Warehouse, Kind: string(m.Kind),
			OnHandDelta: decimalString(m.OnHandDelta), ReservedDelta: decimalString(m.ReservedDelta),
			Reason: m.Reason, Reference: m.Reference, Actor: m.Actor, CreateTime: ts(m.CreateTime),
		}
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}
