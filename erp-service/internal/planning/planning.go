// Package planning suggests what to reorder: per item, the projected stock
// (available + incoming - backordered - pipeline demand) against its
// reorder point, and stores the pipeline demand the CRM expects.
package planning

import (
	"context"
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Position is an item's stock position, as read for a suggestion.
type Position struct {
	SKU             string
	Available       decimal.Decimal
	Incoming        decimal.Decimal
	Backordered     decimal.Decimal
	PipelineDemand  decimal.Decimal
	ReorderPoint    decimal.Decimal
	ReorderQuantity decimal.Decimal
}

// Projected is available + incoming - backordered - pipeline demand.
func (p Position) Projected() decimal.Decimal {
	return p.Available.Add(p.Incoming).Sub(p.Backordered).Sub(p.PipelineDemand)
}

// Suggested is the quantity to order: zero unless the projection is below
// the reorder point, else the larger of the reorder quantity and what
// brings the projection back to the reorder point.
func (p Position) Suggested() decimal.Decimal {
	proj := p.Projected()
	if !proj.LessThan(p.ReorderPoint) {
		return decimal.Zero
	}
	return decimal.Max(p.ReorderQuantity, p.ReorderPoint.Sub(proj))
}

// Demand is the pipeline demand for a SKU.
type Demand struct {
	SKU      string
	Quantity decimal.Decimal
}

// MaxDemands bounds one SetPipelineDemand call.
const MaxDemands = 10000

// ValidateDemands checks a snapshot; violations name "demands[i].field".
func ValidateDemands(ds []Demand) error {
	var v errs.Violations
	if len(ds) > MaxDemands {
		v.Add("demands", "at most %d per call", MaxDemands)
	}
	seen := map[string]bool{}
	for i, d := range ds {
		f := fmt.Sprintf("demands[%d].", i)
		if msg := catalog.SKUViolation(d.SKU); msg != "" {
			v.Add(f+"sku", "%s", msg)
		} else if seen[d.SKU] {
			v.Add(f+"sku", "%s is sent twice", d.SKU)
		}
		seen[d.SKU] = true
		if d.Quantity.IsNegative() {
			v.Add(f+"quantity", "must not be negative")
		} else if err := money.CheckQuantity(d.Quantity); err != nil {
			v.Add(f+"quantity", "%v", err)
		}
	}
	return v.Err()
}

// Store reads positions and stores pipeline demand.
type Store interface {
	// ReorderPositions returns, by SKU after after, up to limit positions
	// of items whose projection is below their reorder point, and whether
	// there are more.
	ReorderPositions(ctx context.Context, after string, limit int) ([]Position, bool, error)
	// SetPipelineDemand stores each demand whose SKU has no stored demand
	// of a newer source version; unknown SKUs are INVALID_ARGUMENT naming
	// demands[i].sku. It returns how many were stored.
	SetPipelineDemand(ctx context.Context, ds []Demand, sourceVersion int64) (int, error)
}
