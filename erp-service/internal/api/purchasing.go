package api

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Suppliers serves erp.v1.SupplierService.
type Suppliers struct {
	erpv1.UnimplementedSupplierServiceServer
	store purchasing.Store
}

func supplierToProto(s purchasing.Supplier) *erpv1.Supplier {
	return &erpv1.Supplier{
		Id: s.ID, Name: s.Name, CurrencyCode: s.CurrencyCode, Etag: etag(s.Version),
		CreateTime: ts(s.CreateTime), UpdateTime: ts(s.UpdateTime),
	}
}

// CreateSupplier creates a supplier; a retried request_id returns the first
// result.
func (h *Suppliers) CreateSupplier(ctx context.Context, req *erpv1.CreateSupplierRequest) (*erpv1.Supplier, error) {
	p := req.GetSupplier()
	s := purchasing.Supplier{Name: p.GetName(), CurrencyCode: p.GetCurrencyCode()}
	if err := combine("supplier", purchasing.PrepareSupplier(&s)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	s.ID = id
	out, err := h.store.CreateSupplier(ctx, s, req.GetRequestId())
	if err != nil {
		return nil, combine("supplier", err)
	}
	return supplierToProto(out), nil
}

// GetSupplier returns a supplier by id.
func (h *Suppliers) GetSupplier(ctx context.Context, req *erpv1.GetSupplierRequest) (*erpv1.Supplier, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	s, err := h.store.GetSupplier(ctx, id)
	if err != nil {
		return nil, err
	}
	return supplierToProto(s), nil
}

// ListSuppliers pages through suppliers by id.
func (h *Suppliers) ListSuppliers(ctx context.Context, req *erpv1.ListSuppliersRequest) (*erpv1.ListSuppliersResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), purchasing.SupplierFilterFields...)
	if err != nil {
		return nil, err
	}
	if err := checkFilterValues(conds, map[string]filterValue{"currency_code": money.CheckCode}); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListSuppliers(ctx, purchasing.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListSuppliersResponse{Suppliers: make([]*erpv1.Supplier, len(list))}
	for i, s := range list {
		resp.Suppliers[i] = supplierToProto(s)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

var outputOnlySupplierFields = []string{"id", "etag", "create_time", "update_time", "currency_code"}

// UpdateSupplier changes the fields named by the update mask.
func (h *Suppliers) UpdateSupplier(ctx context.Context, req *erpv1.UpdateSupplierRequest) (*erpv1.Supplier, error) {
	p := req.GetSupplier()
	id, err := ids.UUID("supplier.id", p.GetId())
	if err != nil {
		return nil, err
	}
	paths, err := normalizeMask(req.GetUpdateMask(), purchasing.SupplierUpdatableFields, outputOnlySupplierFields)
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("supplier.etag", p.GetEtag())
	if err != nil {
		return nil, err
	}
	patch := purchasing.Supplier{Name: p.GetName()}
	// The currency is fixed on create; an update naming it (or a full
	// replacement) passes only with none or the supplier's own (a record
	// read and sent back), rather than answering success for a change not
	// made.
	mp := req.GetUpdateMask().GetPaths()
	namesCurrency := req.GetUpdateMask() == nil || slices.Contains(mp, "currency_code") || slices.Contains(mp, "*")
	out, err := h.store.UpdateSupplier(ctx, id, tag, func(cur purchasing.Supplier) (purchasing.Supplier, error) {
		if c := p.GetCurrencyCode(); namesCurrency && c != "" && c != cur.CurrencyCode {
			return purchasing.Supplier{}, errs.Invalid("supplier.currency_code",
				"is fixed on create: the supplier's currency is %s (create another supplier to buy in %s)", cur.CurrencyCode, c)
		}
		next, err := purchasing.ApplySupplier(cur, patch, paths)
		return next, combine("supplier", err)
	})
	if err != nil {
		return nil, err
	}
	return supplierToProto(out), nil
}

// PurchaseOrders serves erp.v1.PurchaseOrderService.
type PurchaseOrders struct {
	erpv1.UnimplementedPurchaseOrderServiceServer
	store purchasing.Store
}

func poStatusToProto(s purchasing.Status) erpv1.PurchaseOrderStatus {
	if v, ok := erpv1.PurchaseOrderStatus_value["PURCHASE_ORDER_STATUS_"+string(s)]; ok {
		return erpv1.PurchaseOrderStatus(v)
	}
	return erpv1.PurchaseOrderStatus_PURCHASE_ORDER_STATUS_UNSPECIFIED
}

// parsePOStatus accepts an enum name or its short form, any case.
func parsePOStatus(s string) (purchasing.Status, bool) {
	return parseEnum(s, "PURCHASE_ORDER_STATUS_", purchasing.Statuses)
}

func purchaseOrderToProto(o purchasing.Order) *erpv1.PurchaseOrder {
	p := &erpv1.PurchaseOrder{
		Id: o.ID, Number: o.Number, SupplierId: o.SupplierID, CurrencyCode: o.Currency,
		Status: poStatusToProto(o.Status),
		Total:  money.ToProto(money.Money{Currency: o.Currency, Amount: o.Total}),
		Etag:   etag(o.Revision), CreateTime: ts(o.CreateTime), UpdateTime: ts(o.UpdateTime),
	}
	for _, l := range o.Lines {
		p.Lines = append(p.Lines, &erpv1.PurchaseOrderLine{
			LineNumber: l.Number, Sku: l.SKU, Quantity: decimalString(l.Quantity),
			UnitCost:         money.UnitCostToProto(money.Money{Currency: o.Currency, Amount: l.UnitCost}),
			ExpectedDate:     civil.FormatDate(l.ExpectedDate),
			ReceivedQuantity: decimalString(l.Received),
			BilledQuantity:   decimalString(l.Billed),
			Amount:           money.ToProto(money.Money{Currency: o.Currency, Amount: l.Amount}),
		})
	}
	return p
}

// CreatePurchaseOrder creates a draft purchase order.
func (h *PurchaseOrders) CreatePurchaseOrder(ctx context.Context, req *erpv1.CreatePurchaseOrderRequest) (*erpv1.PurchaseOrder, error) {
	p := req.GetPurchaseOrder()
	var v errs.Violations
	o := purchasing.Order{SupplierID: p.GetSupplierId(), Currency: p.GetCurrencyCode()}
	if o.SupplierID == "" {
		v.Add("supplier_id", "is required")
	}
	// The lines are in one currency: the order's when given, else the
	// first line's. The store checks it against the supplier's
	// (purchasing.SettleCurrency), naming the field it came from.
	currency := o.Currency
	for i, pl := range p.GetLines() {
		f := fmt.Sprintf("lines[%d].", i)
		l := purchasing.Line{SKU: pl.GetSku(), Quantity: parseDecimal(&v, f+"quantity", pl.GetQuantity())}
		if pl.GetSku() != "" {
			if msg := catalog.SKUViolation(pl.GetSku()); msg != "" {
				v.Add(f+"sku", "%s", msg)
			}
		}
		if pl.GetUnitCost() == nil {
			v.Add(f+"unit_cost", "is required")
		} else if c, ok := parseUnitCost(&v, f+"unit_cost", pl.GetUnitCost()); ok {
			l.UnitCost, l.Currency = c.Amount, c.Currency
			switch {
			case currency == "":
				currency = c.Currency
			case c.Currency == currency:
			case o.Currency != "":
				v.Add(f+"unit_cost.currency_code", "must be the order's currency %s", currency)
			default:
				v.Add(f+"unit_cost.currency_code", "must be %s, as the lines before it", currency)
			}
		}
		if pl.GetExpectedDate() != "" {
			d, err := parseDate(f+"expected_date", pl.GetExpectedDate())
			mustMerge(&v, err)
			l.ExpectedDate = d
		}
		o.Lines = append(o.Lines, l)
	}
	if err := combine("purchase_order", v.Err(), purchasing.ValidateLines(o.Lines)); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	o.ID = id
	out, err := h.store.CreatePurchaseOrder(ctx, o, req.GetRequestId())
	if err != nil {
		return nil, combine("purchase_order", err)
	}
	return purchaseOrderToProto(out), nil
}

// GetPurchaseOrder returns a purchase order by id.
func (h *PurchaseOrders) GetPurchaseOrder(ctx context.Context, req *erpv1.GetPurchaseOrderRequest) (*erpv1.PurchaseOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	o, err := h.store.GetPurchaseOrder(ctx, id)
	if err != nil {
		return nil, err
	}
	return purchaseOrderToProto(o), nil
}

// ListPurchaseOrders pages through purchase orders by id.
func (h *PurchaseOrders) ListPurchaseOrders(ctx context.Context, req *erpv1.ListPurchaseOrdersRequest) (*erpv1.ListPurchaseOrdersResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), purchasing.OrderFilterFields...)
	if err != nil {
		return nil, err
	}
	if err := statusFilter(conds, "PURCHASE_ORDER_STATUS_", purchasing.Statuses, "a purchase order"); err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListPurchaseOrders(ctx, purchasing.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListPurchaseOrdersResponse{PurchaseOrders: make([]*erpv1.PurchaseOrder, len(list))}
	for i, o := range list {
		resp.PurchaseOrders[i] = purchaseOrderToProto(o)
	}
	// Purchase orders of many lines end a page early (listing.Fit).
	if n := listing.Fit(resp.PurchaseOrders); n < len(list) {
		resp.PurchaseOrders, list, more = resp.PurchaseOrders[:n], list[:n], true
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].ID)
	}
	return resp, nil
}

// OrderPurchaseOrder sends a draft to the supplier.
func (h *PurchaseOrders) OrderPurchaseOrder(ctx context.Context, req *erpv1.OrderPurchaseOrderRequest) (*erpv1.PurchaseOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	o, err := h.store.OrderPurchaseOrder(ctx, id, tag, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return purchaseOrderToProto(o), nil
}

// CancelPurchaseOrder cancels a purchase order with nothing received.
func (h *PurchaseOrders) CancelPurchaseOrder(ctx context.Context, req *erpv1.CancelPurchaseOrderRequest) (*erpv1.PurchaseOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("etag", req.GetEtag())
	if err != nil {
		return nil, err
	}
	o, err := h.store.CancelPurchaseOrder(ctx, id, tag, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return purchaseOrderToProto(o), nil
}

// ReceivePurchaseOrder books received quantities of lines into stock.
func (h *PurchaseOrders) ReceivePurchaseOrder(ctx context.Context, req *erpv1.ReceivePurchaseOrderRequest) (*erpv1.PurchaseOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	lines := make([]purchasing.ReceiptLine, len(req.GetLines()))
	for i, l := range req.GetLines() {
		lines[i] = purchasing.ReceiptLine{LineNumber: l.GetLineNumber(),
			Quantity: parseDecimal(&v, fmt.Sprintf("lines[%d].quantity", i), l.GetQuantity())}
	}
	if err := combine("", v.Err(), purchasing.ValidateReceipt(lines)); err != nil {
		return nil, err
	}
	o, err := h.store.ReceivePurchaseOrder(ctx, id, req.GetWarehouse(), lines, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return purchaseOrderToProto(o), nil
}

// ReturnPurchaseOrder sends received quantities of lines back to the
// supplier: stock out, payables down, received quantities down.
func (h *PurchaseOrders) ReturnPurchaseOrder(ctx context.Context, req *erpv1.ReturnPurchaseOrderRequest) (*erpv1.PurchaseOrder, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	lines := make([]purchasing.ReceiptLine, len(req.GetLines()))
	for i, l := range req.GetLines() {
		lines[i] = purchasing.ReceiptLine{LineNumber: l.GetLineNumber(),
			Quantity: parseDecimal(&v, fmt.Sprintf("lines[%d].quantity", i), l.GetQuantity())}
	}
	reason := strings.TrimSpace(req.GetReason())
	if err := combine("", v.Err(), purchasing.ValidateReturn(lines, reason)); err != nil {
		return nil, err
	}
	o, err := h.store.ReturnPurchaseOrder(ctx, id, req.GetWarehouse(), lines, reason, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return purchaseOrderToProto(o), nil
}
