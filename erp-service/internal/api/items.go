package api

import (
	"context"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Items serves erp.v1.ItemService.
type Items struct {
	erpv1.UnimplementedItemServiceServer
	store catalog.Store
	stock stock.Store
}

// CreateItem adds an item to the master; a retried request_id returns the
// first result.
func (h *Items) CreateItem(ctx context.Context, req *erpv1.CreateItemRequest) (*erpv1.Item, error) {
	p := req.GetItem()
	var v errs.Violations
	it := catalog.Item{SKU: p.GetSku(), Name: p.GetName(), UnitOfMeasure: p.GetUnitOfMeasure()}
	if lp, ok := parseMoney(&v, "list_price", p.GetListPrice()); ok {
		it.ListPrice = lp
	}
	var cost *money.Money
	if p.GetStandardCost() != nil {
		if m, ok := parseUnitCost(&v, "standard_cost", p.GetStandardCost()); ok {
			cost = &m
		}
	}
	it.TaxRate = parseOptionalDecimal(&v, "tax_rate", p.GetTaxRate())
	it.ReorderPoint = parseOptionalDecimal(&v, "reorder_point", p.GetReorderPoint())
	it.ReorderQuantity = parseOptionalDecimal(&v, "reorder_quantity", p.GetReorderQuantity())
	if err := combine("item", v.Err(), catalog.PrepareNew(&it, cost)); err != nil {
		return nil, err
	}
	out, err := h.store.CreateItem(ctx, it, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return itemToProto(out), nil
}

// GetItem returns an item by SKU.
func (h *Items) GetItem(ctx context.Context, req *erpv1.GetItemRequest) (*erpv1.Item, error) {
	it, err := h.store.GetItem(ctx, req.GetSku())
	if err != nil {
		return nil, err
	}
	return itemToProto(it), nil
}

// ListItems pages through items by SKU.
func (h *Items) ListItems(ctx context.Context, req *erpv1.ListItemsRequest) (*erpv1.ListItemsResponse, error) {
	conds, err := listing.ParseFilter(req.GetFilter(), catalog.FilterFields...)
	if err != nil {
		return nil, err
	}
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ListItems(ctx, catalog.ListQuery{Filter: conds, PageSize: n, After: after})
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListItemsResponse{Items: make([]*erpv1.Item, len(list))}
	for i, it := range list {
		resp.Items[i] = itemToProto(it)
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].SKU)
	}
	return resp, nil
}

var outputOnlyItemFields = []string{"sku", "etag", "create_time", "update_time", "whole_quantities"}

// UpdateItem changes the fields named by the update mask.
func (h *Items) UpdateItem(ctx context.Context, req *erpv1.UpdateItemRequest) (*erpv1.Item, error) {
	p := req.GetItem()
	if p.GetSku() == "" {
		return nil, errs.Invalid("item.sku", "is required")
	}
	paths, err := normalizeMask(req.GetUpdateMask(), catalog.UpdatableFields, outputOnlyItemFields)
	if err != nil {
		return nil, err
	}
	tag, err := errs.ParseEtag("item.etag", p.GetEtag())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	patch := itemPatchFromProto(&v, p, paths)
	if err := combine("item", v.Err()); err != nil {
		return nil, err
	}
	out, err := h.store.UpdateItem(ctx, p.GetSku(), tag, func(cur catalog.Item) (catalog.Item, error) {
		next, err := catalog.Apply(cur, patch, paths)
		return next, combine("item", err)
	})
	if errs.KindOf(err) == errs.FailedPrecondition {
		return nil, prefixFields("item", err) // the store's rules name item fields
	}
	if err != nil {
		return nil, err
	}
	return itemToProto(out), nil
}

// GetAvailability returns an item's stock.
// With a requested_quantity it also answers the earliest date that
// quantity can be promised.
func (h *Items) GetAvailability(ctx context.Context, req *erpv1.GetAvailabilityRequest) (*erpv1.Availability, error) {
	if q := req.GetRequestedQuantity(); q != "" {
		var v errs.Violations
		d := parseDecimal(&v, "requested_quantity", q)
		if v.Err() == nil {
			if !d.IsPositive() {
				v.Add("requested_quantity", "must be positive")
			} else if err := money.CheckQuantity(d); err != nil {
				v.Add("requested_quantity", "%v", err)
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		a, err := h.stock.Promise(ctx, req.GetSku(), d)
		if err != nil {
			return nil, err
		}
		return availabilityToProto(a), nil
	}
	a, err := h.stock.Availability(ctx, req.GetSku())
	if err != nil {
		return nil, err
	}
	return availabilityToProto(a), nil
}
