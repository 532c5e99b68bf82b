package sales

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Amendment changes an order: new quantities of existing lines (by line
// number) and new lines.
type Amendment struct {
	Lines []AmendLine
}

// AmendLine is a new quantity of line Number, or, with Number 0, a new
// line (SKU, Quantity, optional UnitPrice, Discount). DiscountSet says
// the caller sent a discount (an existing line's must then be the same).
type AmendLine struct {
	Number      int32
	SKU         string
	Quantity    decimal.Decimal
	UnitPrice   *money.Money
	Discount    decimal.Decimal
	DiscountSet bool
}

// NewSKUs lists the SKUs of the new lines.
func (a Amendment) NewSKUs() []string {
	var out []string
	for _, l := range a.Lines {
		if l.Number == 0 {
			out = append(out, l.SKU)
		}
	}
	return out
}

// ValidateAmendment checks an amendment's shape; violations name
// "lines[i].field".
func ValidateAmendment(a Amendment) error {
	var v errs.Violations
	switch {
	case len(a.Lines) == 0:
		v.Add("lines", "at least one line is required")
	case len(a.Lines) > MaxLines:
		v.Add("lines", "at most %d lines are allowed", MaxLines)
	}
	seen := map[int32]bool{}
	for i, l := range a.Lines {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		if !l.Quantity.IsPositive() {
			v.Add(f("quantity"), "must be positive")
		} else if err := money.CheckQuantity(l.Quantity); err != nil {
			v.Add(f("quantity"), "%v", err)
		}
		if l.Number < 0 {
			v.Add(f("line_number"), "must be an existing line's number, or 0 for a new line")
		}
		if l.Number > 0 {
			if seen[l.Number] {
				v.Add(f("line_number"), "line %d is amended twice", l.Number)
			}
			seen[l.Number] = true
			continue
		}
		if msg := catalog.SKUViolation(l.SKU); msg != "" {
			v.Add(f("sku"), "%s", msg)
		}
		if l.Discount.IsNegative() || l.Discount.GreaterThan(hundred) {
			v.Add(f("discount_percent"), "must be between 0 and 100")
		}
		if l.UnitPrice != nil && l.UnitPrice.Amount.IsNegative() {
			v.Add(f("unit_price.amount"), "must not be negative")
		}
	}
	return v.Err()
}

// Amend applies an (validated) amendment to a DRAFT, CONFIRMED,
// PARTIALLY_SHIPPED or ON_CREDIT_HOLD order. listPrices has the items of
// the new lines (missing: INVALID_ARGUMENT naming the line's sku). Shipped
// quantities are immutable: a quantity below a line's shipped quantity is
// FAILED_PRECONDITION naming "lines[i].quantity". Lines and total are
// repriced. For a confirmed or partially shipped order, reservations
// follow: what a line holds beyond its new open quantity is released (from
// held, the order's stock in the ledger), what it lacks is reserved from
// avail where available and backordered otherwise. Raising the order's
// value re-checks credit: over the limit, a CONFIRMED order goes
// ON_CREDIT_HOLD (its reservations released; held is true), a partially
// shipped one is refused (FAILED_PRECONDITION). The revision increments.
func (o *Order) Amend(etag int64, a Amendment, listPrices map[string]money.Money, held []Held,
	avail map[string]*stock.Availability, credit Credit) (changes []stock.Change, onHold bool, err error) {
	switch o.Status {
	case Draft, Confirmed, PartiallyShipped, OnCreditHold:
	default:
		return nil, false, errs.FailedPreconditionf("sales order %s is %s; only a draft, confirmed, held or partially shipped order can be amended", o.Number, o.Status)
	}
	if err := o.checkEtag(etag); err != nil {
		return nil, false, err
	}
	oldOpen := o.openValue()
	var bad errs.Violations
	var shippedViolations []errs.FieldViolation
	for i, al := range a.Lines {
		if al.Number == 0 {
			l := Line{Number: int32(len(o.Lines) + 1), SKU: al.SKU, Quantity: al.Quantity, Discount: al.Discount,
				Reserved: decimal.Zero, Backordered: decimal.Zero, Shipped: decimal.Zero, Invoiced: decimal.Zero}
			list, ok := listPrices[al.SKU]
			switch {
			case !ok:
				bad.Add(fmt.Sprintf("lines[%d].sku", i), "no item has SKU %q", al.SKU)
				continue
			case al.UnitPrice != nil:
				if al.UnitPrice.Currency != o.CurrencyCode {
					bad.Add(fmt.Sprintf("lines[%d].unit_price.currency_code", i), "must be the order's currency %s", o.CurrencyCode)
					continue
				}
				l.UnitPrice = *al.UnitPrice
			case list.Currency != o.CurrencyCode:
				bad.Add(fmt.Sprintf("lines[%d].unit_price", i),
					"is required: the list price of %s is in %s, not in the order's currency %s", al.SKU, list.Currency, o.CurrencyCode)
				continue
			default:
				l.UnitPrice = list
			}
			o.Lines = append(o.Lines, l)
			continue
		}
		if int(al.Number) > len(o.Lines) {
			bad.Add(fmt.Sprintf("lines[%d].line_number", i), "sales order %s has no line %d", o.Number, al.Number)
			continue
		}
		l := &o.Lines[al.Number-1]
		// Only an existing line's quantity is amended: a different SKU,
		// price or discount sent with it is refused, never dropped
		// silently (the same values, echoed back, are fine).
		if al.SKU != "" && al.SKU != l.SKU {
			bad.Add(fmt.Sprintf("lines[%d].sku", i), "line %d is %s; only its quantity can be amended (add a new line with line_number 0)", l.Number, l.SKU)
		}
		if p := al.UnitPrice; p != nil && (p.Currency != l.UnitPrice.Currency || !p.Amount.Equal(l.UnitPrice.Amount)) {
			bad.Add(fmt.Sprintf("lines[%d].unit_price", i), "line %d is priced at %s; only its quantity can be amended", l.Number, l.UnitPrice)
		}
		if (al.DiscountSet || !al.Discount.IsZero()) && !al.Discount.Equal(l.Discount) {
			bad.Add(fmt.Sprintf("lines[%d].discount_percent", i), "line %d has a discount of %s %%; only its quantity can be amended", l.Number, l.Discount)
		}
		if al.Quantity.LessThan(l.Shipped) {
			shippedViolations = append(shippedViolations, errs.FieldViolation{
				Field:       fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has %s shipped; its quantity cannot go below that", l.Number, l.SKU, l.Shipped),
			})
			continue
		}
		if al.Quantity.LessThan(l.Invoiced) {
			shippedViolations = append(shippedViolations, errs.FieldViolation{
				Field:       fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has %s invoiced; its quantity cannot go below that (void the invoice first)", l.Number, l.SKU, l.Invoiced),
			})
			continue
		}
		l.Quantity = al.Quantity
	}
	if err := bad.Err(); err != nil {
		return nil, false, err
	}
	if len(shippedViolations) > 0 {
		return nil, false, &errs.Error{Kind: errs.FailedPrecondition, Violations: shippedViolations,
			Message: fmt.Sprintf("sales order %s: %s: %s", o.Number, shippedViolations[0].Field, shippedViolations[0].Description)}
	}
	if len(o.Lines) > MaxLines {
		return nil, false, errs.Invalid("lines", "the order would have more than %d lines", MaxLines)
	}
	amounts := make([]money.Money, len(o.Lines))
	for i := range o.Lines {
		l := &o.Lines[i]
		l.Amount = money.LineAmount(l.Quantity, l.UnitPrice, l.Discount)
		amounts[i] = l.Amount
	}
	total, err := linesTotal(o.CurrencyCode, amounts)
	if err != nil {
		return nil, false, fmt.Errorf("total of order %s: %w", o.ID, err)
	}
	o.Total = total
	o.Revision++

	if o.Status != Confirmed && o.Status != PartiallyShipped {
		return nil, false, nil
	}
	newOpen := o.openValue()
	if newOpen.GreaterThan(oldOpen) && credit.OverLimit(o.CurrencyCode, newOpen) {
		if o.Status == PartiallyShipped {
			return nil, false, errs.FailedPreconditionf("sales order %s: the amendment would take the customer over the credit limit", o.Number)
		}
		changes, err = o.releaseAll(held, avail)
		if err != nil {
			return nil, false, err
		}
		o.Status = OnCreditHold
		return changes, true, nil
	}
	// Release per SKU what the lines hold beyond their open quantities.
	pool := map[string][]Held{}
	for _, h := range held {
		if h.Quantity.IsPositive() {
			pool[h.SKU] = append(pool[h.SKU], h)
		}
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		open := l.Quantity.Sub(l.Shipped)
		excess := l.Reserved.Sub(open)
		if !excess.IsPositive() {
			continue
		}
		a, ok := avail[l.SKU]
		if !ok {
			return nil, false, fmt.Errorf("amend order %s: no stock record for %s", o.ID, l.SKU)
		}
		for j := range pool[l.SKU] {
			h := &pool[l.SKU][j]
			take := decimal.Min(excess, h.Quantity)
			if !take.IsPositive() {
				continue
			}
			c := stock.Change{SKU: l.SKU, Warehouse: h.Warehouse, Kind: stock.Release, ReservedDelta: take.Neg(), Reference: o.Reference()}
			a.Apply(c)
			changes = append(changes, c)
			h.Quantity = h.Quantity.Sub(take)
			excess = excess.Sub(take)
			l.Reserved = l.Reserved.Sub(take)
		}
		if excess.IsPositive() {
			return nil, false, fmt.Errorf("amend order %s: line %d holds more than the ledger", o.ID, l.Number)
		}
	}
	// Reserve what lines lack; backorder the rest.
	o.Backordered = false
	for i := range o.Lines {
		l := &o.Lines[i]
		want := l.Quantity.Sub(l.Shipped).Sub(l.Reserved)
		backordered := decimal.Zero
		if want.IsPositive() {
			a, ok := avail[l.SKU]
			if !ok {
				return nil, false, fmt.Errorf("amend order %s: no stock record for %s", o.ID, l.SKU)
			}
			cs, got := a.Reserve(want, o.Reference())
			changes = append(changes, cs...)
			l.Reserved = l.Reserved.Add(got)
			backordered = want.Sub(got)
		}
		l.setBackordered(backordered, avail)
		if l.Backordered.IsPositive() {
			o.Backordered = true
		}
	}
	if o.Status == PartiallyShipped {
		// Amended down to what shipped: SHIPPED, or INVOICED when that was
		// invoiced too.
		o.Progress()
	}
	return changes, false, nil
}

// openValue is the value of what is not invoiced yet.
func (o *Order) openValue() decimal.Decimal {
	sum := decimal.Zero
	for _, l := range o.Lines {
		sum = sum.Add(money.LineAmount(l.Quantity.Sub(l.Invoiced), l.UnitPrice, l.Discount).Amount)
	}
	return sum
}

// releaseAll releases everything the order holds.
func (o *Order) releaseAll(held []Held, avail map[string]*stock.Availability) ([]stock.Change, error) {
	var changes []stock.Change
	for _, h := range held {
		if !h.Quantity.IsPositive() {
			continue
		}
		a, ok := avail[h.SKU]
		if !ok {
			return nil, fmt.Errorf("release order %s: no stock record for %s", o.ID, h.SKU)
		}
		c := stock.Change{SKU: h.SKU, Warehouse: h.Warehouse, Kind: stock.Release, ReservedDelta: h.Quantity.Neg(), Reference: o.Reference()}
		a.Apply(c)
		changes = append(changes, c)
	}
	for i := range o.Lines {
		o.Lines[i].Reserved = decimal.Zero
		o.Lines[i].setBackordered(decimal.Zero, avail)
	}
	o.Backordered = false
	return changes, nil
}

// EventAmended follows an amendment; the payload is the order after it.
const EventAmended = "sales_order.amended"
