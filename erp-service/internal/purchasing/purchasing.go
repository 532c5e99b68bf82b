// Package purchasing holds suppliers and purchase orders: the stock the
// company orders and receives. Open purchase order lines are incoming
// stock; receiving a line adds stock through the stock ledger.
package purchasing

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Limits and defaults.
const (
	DefaultCurrency = "EUR"
	MaxNameLength   = 200
	MaxLines        = 500
)

// Supplier is a party the company buys from.
type Supplier struct {
	ID           string
	Name         string
	CurrencyCode string
	// Version is the etag; it increments with every change.
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
}

// Same reports whether o holds the same values as s, whatever their
// version and times: an update to the same values is no change.
func (s Supplier) Same(o Supplier) bool {
	return s.ID == o.ID && s.Name == o.Name && s.CurrencyCode == o.CurrencyCode
}

// SupplierFilterFields may be named by a ListSuppliers filter.
var SupplierFilterFields = []string{"name", "currency_code"}

// SupplierUpdatableFields may be named by an update mask.
var SupplierUpdatableFields = []string{"name"}

// PrepareSupplier applies defaults and validates a new supplier.
// Violations name fields relative to the supplier.
func PrepareSupplier(s *Supplier) error {
	s.Name = strings.TrimSpace(s.Name)
	if s.CurrencyCode == "" {
		s.CurrencyCode = DefaultCurrency
	}
	var v errs.Violations
	validateName(&v, s.Name)
	if err := money.CheckCode(s.CurrencyCode); err != nil {
		v.Add("currency_code", "%v", err)
	}
	return v.Err()
}

func validateName(v *errs.Violations, name string) {
	if name == "" || utf8.RuneCountInString(name) > MaxNameLength {
		v.Add("name", "must be 1 to %d characters", MaxNameLength)
	}
}

// ApplySupplier returns cur with the fields of patch named by paths.
func ApplySupplier(cur, patch Supplier, paths []string) (Supplier, error) {
	next := cur
	for _, p := range paths {
		if p == "name" {
			next.Name = strings.TrimSpace(patch.Name)
		}
	}
	var v errs.Violations
	validateName(&v, next.Name)
	return next, v.Err()
}

// Status is where a purchase order stands.
type Status string

// Purchase order statuses.
const (
	Draft             Status = "DRAFT"
	Ordered           Status = "ORDERED"
	PartiallyReceived Status = "PARTIALLY_RECEIVED"
	Received          Status = "RECEIVED"
	Cancelled         Status = "CANCELLED"
	// Closed: received in part, the rest cancelled (closed short).
	Closed Status = "CLOSED"
)

// Statuses lists every status.
var Statuses = []Status{Draft, Ordered, PartiallyReceived, Received, Cancelled, Closed}

// Open reports whether lines of an order in status s are incoming stock.
func (s Status) Open() bool { return s == Ordered || s == PartiallyReceived }

// Line is a line of a purchase order.
type Line struct {
	Number   int32
	SKU      string
	Quantity decimal.Decimal
	UnitCost decimal.Decimal
	// Currency is the currency UnitCost was given in, for a new order
	// (see SettleCurrency); "" is the order's currency.
	Currency     string
	ExpectedDate time.Time // a date, UTC midnight
	Received     decimal.Decimal
	// Billed is what of Received suppliers' bills have billed
	// (payables.Build); it is not returned.
	Billed decimal.Decimal
	Amount decimal.Decimal
}

// OpenQuantity is what is still to arrive.
func (l Line) OpenQuantity() decimal.Decimal { return l.Quantity.Sub(l.Received) }

// Order is a purchase order.
type Order struct {
	ID         string
	Number     string
	SupplierID string
	Currency   string
	Status     Status
	Lines      []Line
	Total      decimal.Decimal
	// Revision is the etag and event version.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// OrderFilterFields may be named by a ListPurchaseOrders filter; sku
// (compared with "=") selects the orders with a line of the item.
var OrderFilterFields = []string{"supplier_id", "status", "sku"}

// ValidateLines checks the lines of a new order (SKUs are checked by the
// store). Violations name "lines[i].field".
func ValidateLines(lines []Line) error {
	var v errs.Violations
	switch {
	case len(lines) == 0:
		v.Add("lines", "at least one line is required")
	case len(lines) > MaxLines:
		v.Add("lines", "at most %d lines", MaxLines)
	}
	for i, l := range lines {
		f := fmt.Sprintf("lines[%d].", i)
		if l.SKU == "" {
			v.Add(f+"sku", "is required")
		}
		if !l.Quantity.IsPositive() {
			v.Add(f+"quantity", "must be positive")
		} else if err := money.CheckQuantity(l.Quantity); err != nil {
			v.Add(f+"quantity", "%v", err)
		}
		if l.UnitCost.IsNegative() {
			v.Add(f+"unit_cost.amount", "must not be negative")
		} else if money.Places(l.UnitCost) > money.UnitCostScale {
			v.Add(f+"unit_cost.amount", "%s has more than %d decimal places", l.UnitCost, money.UnitCostScale)
		}
		if l.ExpectedDate.IsZero() {
			v.Add(f+"expected_date", "is required (YYYY-MM-DD)")
		}
	}
	return v.Err()
}

// SettleCurrency checks the currency of new order o against its
// supplier's, supplier: an order given no currency takes the supplier's.
// A currency that is not the supplier's is INVALID_ARGUMENT on the field
// the caller sent it in: the order's "currency_code" when given, else
// "lines[i].unit_cost.currency_code" of every line in another currency.
func SettleCurrency(o *Order, supplier string) error {
	if o.Currency != "" {
		if o.Currency != supplier {
			return errs.Invalid("currency_code", "must be the supplier's currency %s", supplier)
		}
		return nil
	}
	var v errs.Violations
	for i, l := range o.Lines {
		if l.Currency != "" && l.Currency != supplier {
			v.Add(fmt.Sprintf("lines[%d].unit_cost.currency_code", i), "must be the supplier's currency %s", supplier)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	o.Currency = supplier
	return nil
}

// Price numbers the lines and computes their amounts (quantity x unit
// cost, rounded to the currency) and the total (money.Sum). A total, or a
// line amount, with more digits than an amount may have is
// INVALID_ARGUMENT on "lines", as for sales orders.
func Price(o *Order) error {
	amounts := make([]money.Money, len(o.Lines))
	for i := range o.Lines {
		l := &o.Lines[i]
		l.Number = int32(i + 1)
		l.Received, l.Billed = decimal.Zero, decimal.Zero
		amounts[i] = money.LineAmount(l.Quantity, money.Money{Currency: o.Currency, Amount: l.UnitCost}, decimal.Zero)
		l.Amount = amounts[i].Amount
	}
	total, err := money.Sum(o.Currency, amounts...)
	if errors.Is(err, money.ErrTooManyDigits) {
		return errs.Invalid("lines", "%v", err)
	}
	if err != nil {
		return fmt.Errorf("total of purchase order %s: %w", o.ID, err)
	}
	o.Total = total.Amount
	return nil
}

// ReceiptLine is a quantity of a line received.
type ReceiptLine struct {
	LineNumber int32
	Quantity   decimal.Decimal
}

// ValidateReceipt checks a receipt's shape; violations name "lines[i].field".
func ValidateReceipt(lines []ReceiptLine) error {
	var v errs.Violations
	validateLineQuantities(&v, lines, "received")
	return v.Err()
}

// MaxReasonLength bounds the reason of a return, as the reason of a stock
// adjustment or transfer.
const MaxReasonLength = 200

// ReturnReason is the reason a return's stock moves carry when the
// return gives none.
const ReturnReason = "return"

// ValidateReturn checks a return's shape (lines, each at most once, with
// positive quantities) and its reason (already trimmed); violations name
// "lines[i].field" and "reason".
func ValidateReturn(lines []ReceiptLine, reason string) error {
	var v errs.Violations
	validateLineQuantities(&v, lines, "returned")
	if utf8.RuneCountInString(reason) > MaxReasonLength {
		v.Add("reason", "must be at most %d characters", MaxReasonLength)
	}
	return v.Err()
}

func validateLineQuantities(v *errs.Violations, lines []ReceiptLine, verb string) {
	if len(lines) == 0 {
		v.Add("lines", "at least one line is required")
	}
	seen := map[int32]bool{}
	for i, r := range lines {
		f := fmt.Sprintf("lines[%d].", i)
		if seen[r.LineNumber] {
			v.Add(f+"line_number", "line %d is %s twice", r.LineNumber, verb)
		}
		seen[r.LineNumber] = true
		if !r.Quantity.IsPositive() {
			v.Add(f+"quantity", "must be positive")
		} else if err := money.CheckQuantity(r.Quantity); err != nil {
			v.Add(f+"quantity", "%v", err)
		}
	}
}

// Receive applies a (validated) receipt to o: received quantities grow and
// the status follows. Only ordered or partially received orders receive;
// a line number o lacks is INVALID_ARGUMENT, more than a line has open is
// FAILED_PRECONDITION naming "lines[i].quantity".
func Receive(o *Order, lines []ReceiptLine) error {
	if !o.Status.Open() {
		return errs.FailedPreconditionf("purchase order %s is %s; only an ordered or partially received one can receive", o.Number, o.Status)
	}
	var bad errs.Violations
	var over []errs.FieldViolation
	for i, r := range lines {
		if r.LineNumber < 1 || int(r.LineNumber) > len(o.Lines) {
			bad.Add(fmt.Sprintf("lines[%d].line_number", i), "purchase order %s has no line %d", o.Number, r.LineNumber)
			continue
		}
		l := &o.Lines[r.LineNumber-1]
		if r.Quantity.GreaterThan(l.OpenQuantity()) {
			over = append(over, errs.FieldViolation{
				Field:       fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has %s open; cannot receive %s", l.Number, l.SKU, l.OpenQuantity(), r.Quantity),
			})
			continue
		}
		l.Received = l.Received.Add(r.Quantity)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if len(over) > 0 {
		return &errs.Error{Kind: errs.FailedPrecondition, Violations: over,
			Message: fmt.Sprintf("purchase order %s: %s: %s", o.Number, over[0].Field, over[0].Description)}
	}
	o.Status = Received
	for _, l := range o.Lines {
		if l.OpenQuantity().IsPositive() {
			o.Status = PartiallyReceived
		}
	}
	return nil
}

// Return applies a (validated) return of received goods to the supplier
// to o: received quantities shrink, so that what goes back can be
// received again, or the order closed. Only an order that received
// something returns (partially received, received or closed); a line
// number o lacks is INVALID_ARGUMENT, more than a line has received is
// FAILED_PRECONDITION naming "lines[i].quantity". A received order
// becomes PARTIALLY_RECEIVED again (what went back is open, incoming
// again), or ORDERED when nothing received remains; a closed one stays
// closed (nothing of it is expected any more).
func Return(o *Order, lines []ReceiptLine) error {
	switch o.Status {
	case PartiallyReceived, Received, Closed:
	default:
		return errs.FailedPreconditionf("purchase order %s is %s; it has received nothing to return", o.Number, o.Status)
	}
	var bad errs.Violations
	var over []errs.FieldViolation
	for i, r := range lines {
		if r.LineNumber < 1 || int(r.LineNumber) > len(o.Lines) {
			bad.Add(fmt.Sprintf("lines[%d].line_number", i), "purchase order %s has no line %d", o.Number, r.LineNumber)
			continue
		}
		l := &o.Lines[r.LineNumber-1]
		if r.Quantity.GreaterThan(l.Received) {
			over = append(over, errs.FieldViolation{
				Field:       fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has received %s; cannot return %s", l.Number, l.SKU, l.Received, r.Quantity),
			})
			continue
		}
		// Billed goods stay: their receipt's payable is on an open or
		// paid bill, which a return would contradict (payables). A
		// supplier credit note of returned goods unbills them first.
		if unbilled := l.Received.Sub(l.Billed); r.Quantity.GreaterThan(unbilled) {
			over = append(over, errs.FieldViolation{
				Field: fmt.Sprintf("lines[%d].quantity", i),
				Description: fmt.Sprintf("line %d (%s) has received %s of which %s is billed by the supplier; cannot return %s (a supplier credit note of returned goods on the bill takes billed goods off it first)",
					l.Number, l.SKU, l.Received, l.Billed, r.Quantity),
			})
			continue
		}
		l.Received = l.Received.Sub(r.Quantity)
	}
	if err := bad.Err(); err != nil {
		return err
	}
	if len(over) > 0 {
		return &errs.Error{Kind: errs.FailedPrecondition, Violations: over,
			Message: fmt.Sprintf("purchase order %s: %s: %s", o.Number, over[0].Field, over[0].Description)}
	}
	if o.Status == Closed {
		return nil
	}
	o.Status = Ordered
	for _, l := range o.Lines {
		if l.Received.IsPositive() {
			o.Status = PartiallyReceived
		}
	}
	return nil
}

// PayableChange is what receiving line l, which had received before,
// adds to what the supplier is owed, rounded cumulatively:
// round(received x unit cost) - round(before x unit cost), in currency.
// However a line is received, its receipts add up to its amount: 1 at
// 0.25 received as 0.5 twice owes 0.13 and 0.12, not 0.13 twice. After a
// return (received below before) it is negative: what the supplier is no
// longer owed, by the same rule, so a receipt and the return of all of it
// net to zero.
func PayableChange(l Line, before decimal.Decimal, currency string) decimal.Decimal {
	return money.Round(l.Received.Mul(l.UnitCost), currency).Sub(money.Round(before.Mul(l.UnitCost), currency))
}

// PlaceOrder moves a draft to ORDERED; an ordered order is left as is (changed
// false).
func PlaceOrder(o *Order) (changed bool, err error) {
	switch o.Status {
	case Draft:
		o.Status = Ordered
		return true, nil
	case Ordered, PartiallyReceived, Received:
		return false, nil
	}
	return false, errs.FailedPreconditionf("purchase order %s is %s; only a draft can be ordered", o.Number, o.Status)
}

// Cancel cancels what is not received of an order: a draft or an ordered
// order with nothing received becomes CANCELLED, a partially received one
// CLOSED (what arrived stays, the rest is no longer expected). A
// cancelled or closed one is left as is (changed false); a received one
// has nothing left to cancel.
func Cancel(o *Order) (changed bool, err error) {
	switch o.Status {
	case Cancelled, Closed:
		return false, nil
	case Draft, Ordered:
		o.Status = Cancelled
		return true, nil
	case PartiallyReceived:
		o.Status = Closed
		return true, nil
	}
	return false, errs.FailedPreconditionf("purchase order %s is %s; it has nothing left to cancel", o.Number, o.Status)
}

// ListQuery selects a page of suppliers or purchase orders.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string
}

// Store keeps suppliers and purchase orders. Every change appends its
// event in the same transaction.
type Store interface {
	CreateSupplier(ctx context.Context, s Supplier, requestID string) (Supplier, error)
	GetSupplier(ctx context.Context, id string) (Supplier, error)
	ListSuppliers(ctx context.Context, q ListQuery) ([]Supplier, bool, error)
	UpdateSupplier(ctx context.Context, id string, etag int64, change func(Supplier) (Supplier, error)) (Supplier, error)

	// CreatePurchaseOrder stores a new draft (lines priced by Price); an
	// unknown supplier or SKU is INVALID_ARGUMENT.
	CreatePurchaseOrder(ctx context.Context, o Order, requestID string) (Order, error)
	GetPurchaseOrder(ctx context.Context, id string) (Order, error)
	ListPurchaseOrders(ctx context.Context, q ListQuery) ([]Order, bool, error)
	// OrderPurchaseOrder and CancelPurchaseOrder change the status (etag 0:
	// any revision); cancelling a partially received order closes it
	// (EventClosed).
	OrderPurchaseOrder(ctx context.Context, id string, etag int64, requestID string) (Order, error)
	CancelPurchaseOrder(ctx context.Context, id string, etag int64, requestID string) (Order, error)
	// ReceivePurchaseOrder receives lines into warehouse: stock moves of
	// kind receipt, a receipt journal entry at standard cost, stock.changed.
	ReceivePurchaseOrder(ctx context.Context, id, warehouse string, lines []ReceiptLine, requestID string) (Order, error)
	// ReturnPurchaseOrder sends received quantities of lines back to the
	// supplier out of warehouse (see Return): stock moves of kind return
	// (with reason, "return" when empty), never more than is available in
	// the warehouse (FAILED_PRECONDITION naming "lines[i].quantity"), a
	// purchase_return journal entry mirroring the receipt's (payables
	// down at the order's unit costs, inventory at standard cost, the
	// difference on purchase price variance), stock.changed, EventReturned.
	ReturnPurchaseOrder(ctx context.Context, id, warehouse string, lines []ReceiptLine, reason, requestID string) (Order, error)
}

// Event types; the key is the resource id, the payload the resource.
const (
	EventSupplierCreated = "supplier.created"
	EventSupplierUpdated = "supplier.updated"
	EventCreated         = "purchase_order.created"
	EventOrdered         = "purchase_order.ordered"
	EventReceived        = "purchase_order.received"
	EventCancelled       = "purchase_order.cancelled"
	EventClosed          = "purchase_order.closed"
	// EventReturned: received goods sent back to the supplier.
	EventReturned = "purchase_order.returned"
	// EventBilled: a supplier bill billed quantities of its lines.
	EventBilled = "purchase_order.billed"
)
