package api

import (
	"context"
	"fmt"

	"github.com/seamhq/seam/erp-service/internal/planning"
	"github.com/seamhq/seam/platform/errs"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Planning serves erp.v1.PlanningService.
type Planning struct {
	erpv1.UnimplementedPlanningServiceServer
	store planning.Store
}

// ListReorderSuggestions pages, by SKU, through the items to reorder.
func (h *Planning) ListReorderSuggestions(ctx context.Context, req *erpv1.ListReorderSuggestionsRequest) (*erpv1.ListReorderSuggestionsResponse, error) {
	n, after, err := page(req)
	if err != nil {
		return nil, err
	}
	list, more, err := h.store.ReorderPositions(ctx, after, n)
	if err != nil {
		return nil, err
	}
	resp := &erpv1.ListReorderSuggestionsResponse{ReorderSuggestions: make([]*erpv1.ReorderSuggestion, len(list))}
	for i, p := range list {
		resp.ReorderSuggestions[i] = &erpv1.ReorderSuggestion{
			Sku: p.SKU, Available: decimalString(p.Available), Incoming: decimalString(p.Incoming),
			Backordered: decimalString(p.Backordered), PipelineDemand: decimalString(p.PipelineDemand),
			Projected: decimalString(p.Projected()), ReorderPoint: decimalString(p.ReorderPoint),
			ReorderQuantity: decimalString(p.ReorderQuantity), SuggestedQuantity: decimalString(p.Suggested()),
		}
	}
	if len(list) > 0 {
		resp.NextPageToken = nextToken(req, more, list[len(list)-1].SKU)
	}
	return resp, nil
}

// SetPipelineDemand stores the pipeline demand the bridge sends.
func (h *Planning) SetPipelineDemand(ctx context.Context, req *erpv1.SetPipelineDemandRequest) (*erpv1.SetPipelineDemandResponse, error) {
	var v errs.Violations
	ds := make([]planning.Demand, len(req.GetDemands()))
	for i, d := range req.GetDemands() {
		ds[i] = planning.Demand{SKU: d.GetSku(), Quantity: parseDecimal(&v, fmt.Sprintf("demands[%d].quantity", i), d.GetQuantity())}
	}
	if err := combine("", v.Err(), planning.ValidateDemands(ds)); err != nil {
		return nil, err
	}
	n, err := h.store.SetPipelineDemand(ctx, ds, req.GetSourceVersion())
	if err != nil {
		return nil, err
	}
	return &erpv1.SetPipelineDemandResponse{Applied: int32(n)}, nil
}
