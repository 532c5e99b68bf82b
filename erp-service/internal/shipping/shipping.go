// Package shipping holds shipments: sending what is reserved for a sales
// order's lines out of the warehouses, and the cost of goods sold that
// goes with it.
package shipping

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Line is what a shipment took of one order line from one warehouse.
type Line struct {
	LineNumber int32
	SKU        string
	Warehouse  string
	Quantity   decimal.Decimal
	// Cost is what Quantity takes off the item's stock value at standard
	// cost: the value rounded (to the cost currency's minor unit) before
	// minus the value rounded after (ledger.StockValueChange), so the costs
	// of an item's shipments and the inventory account follow the stock
	// valuation exactly; about Quantity x the standard cost.
	Cost money.Money
}

// Shipment is stock sent against one order. Shipments are immutable.
type Shipment struct {
	ID          string
	OrderID     string
	OrderNumber string
	Lines       []Line
	// ShipDate is the day the goods left (UTC midnight): the date of the
	// cost of goods sold in the journal and of the stock moves in the
	// valuation as of a date.
	ShipDate   time.Time
	CreateTime time.Time
}

// Reference names the shipment in the stock ledger and the journal.
func (s Shipment) Reference() string { return "shipments/" + s.ID }

// Request asks to ship quantity of an order line.
type Request struct {
	LineNumber int32
	Quantity   decimal.Decimal
}

// NewShipment is a request for a shipment; no lines ships everything the
// order has reserved.
type NewShipment struct {
	OrderID string
	Lines   []Request
	// ShipDate is the day the goods left; zero is today (UTC).
	ShipDate time.Time
}

// CheckShipDate refuses a ship date after today (civil.Today(now)):
// goods have left by today. INVALID_ARGUMENT on ship_date.
func CheckShipDate(d, now time.Time) error {
	if today := civil.Today(now); d.After(today) {
		return errs.Invalid("ship_date", "must not be after today (%s): goods have left by today (UTC)", civil.FormatDate(today))
	}
	return nil
}

// MaxLines bounds the lines of a shipment request.
const MaxLines = sales.MaxLines

// ValidateNew checks what can be checked without the order. Violations
// name fields relative to the shipment.
func ValidateNew(n NewShipment) error {
	var v errs.Violations
	if n.OrderID == "" {
		v.Add("sales_order_id", "is required")
	}
	if len(n.Lines) > MaxLines {
		v.Add("lines", "at most %d lines are allowed", MaxLines)
	}
	seen := map[int32]bool{}
	for i, l := range n.Lines {
		switch {
		case l.LineNumber <= 0:
			v.Add(fmt.Sprintf("lines[%d].line_number", i), "must be positive")
		case seen[l.LineNumber]:
			v.Add(fmt.Sprintf("lines[%d].line_number", i), "line %d appears more than once", l.LineNumber)
		}
		seen[l.LineNumber] = true
		if !l.Quantity.IsPositive() {
			v.Add(fmt.Sprintf("lines[%d].quantity", i), "must be positive")
		} else if err := money.CheckQuantity(l.Quantity); err != nil {
			v.Add(fmt.Sprintf("lines[%d].quantity", i), "%v", err)
		}
	}
	return v.Err()
}

// Cost is an item's standard cost per unit.
type Cost = money.Money

// Ship applies shipment s (with its ID set) of n to order o: for each line
// it takes the quantity out of what the order holds (held, from the
// ledger, per SKU and warehouse, drawn in the order reservations are: the
// default warehouse first, then by code), updates avail, and moves the
// line's reserved quantity to shipped. The order becomes SHIPPED when
// every line has shipped in full, else PARTIALLY_SHIPPED. costs holds the
// standard cost of every SKU on the order, at which each shipment line is
// costed by what it takes off the item's stock value. It returns the stock moves and
// the journal entries (cost of goods sold, one per cost currency).
//
// Shipping more than a line has reserved is FAILED_PRECONDITION naming
// the line (field "lines[i].quantity"); a line number the order does not
// have is INVALID_ARGUMENT.
func Ship(s *Shipment, n NewShipment, o *sales.Order, held []sales.Held,
	avail map[string]*stock.Availability, costs map[string]Cost) ([]stock.Change, []ledger.Entry, error) {
	switch o.Status {
	case sales.Confirmed, sales.PartiallyShipped:
	default:
		return nil, nil, errs.FailedPreconditionf("sales order %s is %s; only a confirmed or partially shipped order can ship", o.Number, o.Status)
	}
	reqs := n.Lines
	if len(reqs) == 0 {
		for _, l := range o.Lines {
			if l.Reserved.IsPositive() {
				reqs = append(reqs, Request{LineNumber: l.Number, Quantity: l.Reserved})
			}
		}
		if len(reqs) == 0 {
			return nil, nil, errs.FailedPreconditionf("sales order %s has nothing reserved to ship", o.Number)
		}
	}
	index := map[int32]int{}
	for i, l := range o.Lines {
		index[l.Number] = i
	}
	var bad errs.Violations
	var short []errs.FieldViolation
	for i, r := range reqs {
		j, ok := index[r.LineNumber]
		if !ok {
			bad.Add(fmt.Sprintf("lines[%d].line_number", i), "sales order %s has no line %d", o.Number, r.LineNumber)
			continue
		}
		if l := o.Lines[j]; r.Quantity.GreaterThan(l.Reserved) {
			short = append(short, errs.FieldViolation{
				Field:       fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has %s reserved; cannot ship %s", l.Number, l.SKU, l.Reserved, r.Quantity),
			})
		}
	}
	if err := bad.Err(); err != nil {
		return nil, nil, err
	}
	if len(short) > 0 {
		return nil, nil, &errs.Error{Kind: errs.FailedPrecondition, Violations: short,
			Message: fmt.Sprintf("sales order %s: %s: %s", o.Number, short[0].Field, short[0].Description)}
	}

	// What the order holds, per SKU, in drawing order.
	pool := map[string][]sales.Held{}
	for _, h := range held {
		if h.Quantity.IsPositive() {
			pool[h.SKU] = append(pool[h.SKU], h)
		}
	}
	for sku, hs := range pool {
		levels := make([]stock.Level, len(hs))
		for i, h := range hs {
			levels[i] = stock.Level{Warehouse: h.Warehouse, OnHand: h.Quantity}
		}
		stock.SortLevels(levels)
		for i, l := range levels {
			hs[i] = sales.Held{SKU: sku, Warehouse: l.Warehouse, Quantity: l.OnHand}
		}
	}

	var changes []stock.Change
	costTotals := map[string]decimal.Decimal{}
	var currencies []string
	for _, r := range reqs {
		l := &o.Lines[index[r.LineNumber]]
		a, ok := avail[l.SKU]
		if !ok {
			return nil, nil, fmt.Errorf("ship order %s: no stock record for %s", o.ID, l.SKU)
		}
		cost, ok := costs[l.SKU]
		if !ok {
			return nil, nil, fmt.Errorf("ship order %s: no standard cost for %s", o.ID, l.SKU)
		}
		rest := r.Quantity
		for k := range pool[l.SKU] {
			h := &pool[l.SKU][k]
			take := decimal.Min(rest, h.Quantity)
			if !take.IsPositive() {
				continue
			}
			h.Quantity = h.Quantity.Sub(take)
			rest = rest.Sub(take)
			c := stock.Change{SKU: l.SKU, Warehouse: h.Warehouse, Kind: stock.Shipped,
				OnHandDelta: take.Neg(), ReservedDelta: take.Neg(), Reference: o.Reference(), Reason: s.Reference(), Date: s.ShipDate}
			onHandBefore := a.OnHand
			a.Apply(c)
			changes = append(changes, c)
			amount := ledger.StockValueChange(onHandBefore, a.OnHand, cost).Neg()
			s.Lines = append(s.Lines, Line{LineNumber: l.Number, SKU: l.SKU, Warehouse: h.Warehouse, Quantity: take,
				Cost: money.Money{Currency: cost.Currency, Amount: amount}})
			if _, ok := costTotals[cost.Currency]; !ok {
				currencies = append(currencies, cost.Currency)
				costTotals[cost.Currency] = decimal.Zero
			}
			costTotals[cost.Currency] = costTotals[cost.Currency].Add(amount)
			if !rest.IsPositive() {
				break
			}
		}
		if rest.IsPositive() {
			// The lines' reserved quantities and the ledger disagree.
			return nil, nil, fmt.Errorf("ship order %s line %d: the ledger holds %s less than the line's reservation", o.ID, l.Number, rest)
		}
		l.Reserved = l.Reserved.Sub(r.Quantity)
		l.Shipped = l.Shipped.Add(r.Quantity)
	}

	slices.SortFunc(s.Lines, func(a, b Line) int {
		if a.LineNumber != b.LineNumber {
			return cmp.Compare(a.LineNumber, b.LineNumber)
		}
		return strings.Compare(a.Warehouse, b.Warehouse)
	})
	// An order invoiced as a whole before it shipped is INVOICED once the
	// last of it ships.
	o.Progress()
	o.Revision++
	s.OrderID, s.OrderNumber = o.ID, o.Number

	var entries []ledger.Entry
	for _, cur := range currencies {
		if e, ok := ledger.Transfer(ledger.KindShipment, s.Reference(), cur, ledger.CostOfGoodsSold, ledger.Inventory, costTotals[cur]); ok {
			e.Date = s.ShipDate // in the period the goods left in
			entries = append(entries, e)
		}
	}
	return changes, entries, nil
}

// FilterFields may appear in a ListShipments filter.
var FilterFields = []string{"sales_order_id"}

// ListQuery selects a page of shipments.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string // id of the last shipment of the previous page
}

// Store keeps shipments.
type Store interface {
	// CreateShipment locks the order and its stock, applies Ship with a
	// shipment of id and writes the shipment, the stock moves, the order,
	// the journal entries and the events (stock.changed per SKU,
	// sales_order.shipped) in one transaction. A requestID seen before
	// returns the shipment it created.
	CreateShipment(ctx context.Context, n NewShipment, id, requestID string) (Shipment, error)
	GetShipment(ctx context.Context, id string) (Shipment, error)
	ListShipments(ctx context.Context, q ListQuery) ([]Shipment, bool, error)
}
