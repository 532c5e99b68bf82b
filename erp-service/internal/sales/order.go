// Package sales holds sales orders: drafting them with priced lines,
// confirming them (reserving stock, backordering the shortfall) and
// cancelling them (releasing what was reserved).
package sales

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Status is where an order is in its life.
type Status string

// The statuses of an order. Draft, Confirmed, Cancelled, PartiallyShipped
// and Shipped are reached so far; the others belong to invoicing and
// credit control.
const (
	Draft            Status = "DRAFT"
	Confirmed        Status = "CONFIRMED"
	OnCreditHold     Status = "ON_CREDIT_HOLD"
	PartiallyShipped Status = "PARTIALLY_SHIPPED"
	Shipped          Status = "SHIPPED"
	Invoiced         Status = "INVOICED"
	Paid             Status = "PAID"
	Cancelled        Status = "CANCELLED"
)

// Statuses lists every status.
var Statuses = []Status{Draft, Confirmed, OnCreditHold, PartiallyShipped, Shipped, Invoiced, Paid, Cancelled}

// Limits of an order.
const (
	MaxLines             = 500
	MaxExternalRefLength = 200
)

var hundred = decimal.NewFromInt(100)

// Line is one item on an order.
type Line struct {
	Number    int32 // 1-based
	SKU       string
	Quantity  decimal.Decimal
	UnitPrice money.Money
	// Discount is a percentage, 0..100.
	Discount decimal.Decimal
	// Amount is money.LineAmount of the line.
	Amount      money.Money
	Reserved    decimal.Decimal
	Backordered decimal.Decimal
	Shipped     decimal.Decimal
	// Invoiced is on invoices that are not void; at most Shipped, unless
	// the customer is invoiced for whole orders (then at most Quantity).
	Invoiced decimal.Decimal
}

// Order is a customer's order.
type Order struct {
	ID           string
	Number       string // "SO-000042"
	ExternalRef  string // "" when none
	CustomerID   string
	CurrencyCode string
	Lines        []Line
	Status       Status
	Total        money.Money
	Backordered  bool
	CancelReason string
	// CreditRelease is set once finance released the order from a credit
	// hold.
	CreditRelease *CreditRelease
	// Revision is the etag and the event version; it increments with every
	// change.
	Revision   int64
	CreateTime time.Time
	UpdateTime time.Time
}

// CreditRelease records who released an order from a credit hold.
type CreditRelease struct {
	By     string
	Time   time.Time
	Reason string
}

// Credit is what a confirm needs to know of the customer's credit: the
// limit (nil: none) in the customer's currency, and the exposure in it
// without this order: open receivables plus the value of other confirmed
// orders not yet invoiced.
type Credit struct {
	Currency string
	Limit    *decimal.Decimal
	Exposure decimal.Decimal
}

// OverLimit reports whether adding value (in currency) to the exposure
// would exceed the limit. Orders in another currency than the limit's are
// not checked.
func (c Credit) OverLimit(currency string, value decimal.Decimal) bool {
	if c.Limit == nil || currency != c.Currency {
		return false
	}
	return c.Exposure.Add(value).GreaterThan(*c.Limit)
}

// Reference names the order in the stock ledger.
func (o Order) Reference() string { return "salesOrders/" + o.ID }

// NewOrder is a request for a draft order.
type NewOrder struct {
	ExternalRef  string
	CustomerID   string
	CurrencyCode string
	Lines        []NewLine
	// Confirm asks for the order to be confirmed (ConfirmWithCredit) in the
	// transaction that creates it.
	Confirm bool
}

// NewLine is a requested line; a nil UnitPrice means the item's list price.
type NewLine struct {
	SKU       string
	Quantity  decimal.Decimal
	UnitPrice *money.Money
	Discount  decimal.Decimal
}

// ValidateNew checks what can be checked of a new order without looking
// anything up. Violations name fields relative to the order.
func ValidateNew(n NewOrder) error {
	var v errs.Violations
	if n.CustomerID == "" {
		v.Add("customer_id", "is required")
	}
	if _, ok := money.LookupCurrency(n.CurrencyCode); !ok {
		if n.CurrencyCode == "" {
			v.Add("currency_code", "is required")
		} else {
			v.Add("currency_code", "%v", money.CheckCode(n.CurrencyCode))
		}
	}
	if utf8.RuneCountInString(n.ExternalRef) > MaxExternalRefLength {
		v.Add("external_ref", "must be at most %d characters", MaxExternalRefLength)
	}
	switch {
	case len(n.Lines) == 0:
		v.Add("lines", "at least one line is required")
	case len(n.Lines) > MaxLines:
		v.Add("lines", "at most %d lines are allowed", MaxLines)
	}
	for i, l := range n.Lines {
		f := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
		if msg := catalog.SKUViolation(l.SKU); msg != "" {
			v.Add(f("sku"), "%s", msg)
		}
		if !l.Quantity.IsPositive() {
			v.Add(f("quantity"), "must be positive")
		} else if err := money.CheckQuantity(l.Quantity); err != nil {
			v.Add(f("quantity"), "%v", err)
		}
		if l.Discount.IsNegative() || l.Discount.GreaterThan(hundred) {
			v.Add(f("discount_percent"), "must be between 0 and 100")
		}
		if l.UnitPrice != nil {
			if l.UnitPrice.Currency != n.CurrencyCode {
				v.Add(f("unit_price.currency_code"), "must be the order's currency %s", n.CurrencyCode)
			}
			if l.UnitPrice.Amount.IsNegative() {
				v.Add(f("unit_price.amount"), "must not be negative")
			}
		}
	}
	return v.Err()
}

// Build prices a validated new order into a draft: every line's SKU must be
// in listPrices (the items that exist), a line without a price takes the
// item's list price, which must then be in the order's currency. Number,
// times and revision are left to the store.
func Build(id string, n NewOrder, listPrices map[string]money.Money) (Order, error) {
	o := Order{
		ID:           id,
		ExternalRef:  n.ExternalRef,
		CustomerID:   n.CustomerID,
		CurrencyCode: n.CurrencyCode,
		Status:       Draft,
		Revision:     1,
		Lines:        make([]Line, len(n.Lines)),
	}
	var v errs.Violations
	amounts := make([]money.Money, len(n.Lines))
	for i, nl := range n.Lines {
		l := Line{
			Number:      int32(i + 1),
			SKU:         nl.SKU,
			Quantity:    nl.Quantity,
			Discount:    nl.Discount,
			Reserved:    decimal.Zero,
			Backordered: decimal.Zero,
			Shipped:     decimal.Zero,
			Invoiced:    decimal.Zero,
		}
		list, ok := listPrices[nl.SKU]
		switch {
		case !ok:
			v.Add(fmt.Sprintf("lines[%d].sku", i), "no item has SKU %q", nl.SKU)
			continue
		case nl.UnitPrice != nil:
			l.UnitPrice = *nl.UnitPrice
		case list.Currency != n.CurrencyCode:
			v.Add(fmt.Sprintf("lines[%d].unit_price", i),
				"is required: the list price of %s is in %s, not in the order's currency %s", nl.SKU, list.Currency, n.CurrencyCode)
			continue
		default:
			l.UnitPrice = list
		}
		l.Amount = money.LineAmount(l.Quantity, l.UnitPrice, l.Discount)
		amounts[i] = l.Amount
		o.Lines[i] = l
	}
	if err := v.Err(); err != nil {
		return Order{}, err
	}
	total, err := linesTotal(o.CurrencyCode, amounts)
	if err != nil {
		return Order{}, fmt.Errorf("total of order %s: %w", id, err)
	}
	o.Total = total
	return o, nil
}

// linesTotal sums line amounts; a total with more digits than an amount
// may have is bad input on the lines.
func linesTotal(currency string, amounts []money.Money) (money.Money, error) {
	total, err := money.Sum(currency, amounts...)
	if errors.Is(err, money.ErrTooManyDigits) {
		return money.Money{}, errs.Invalid("lines", "%v", err)
	}
	return total, err
}

// checkEtag compares an etag sent by a caller (0 when none) with the
// order's revision.
func (o Order) checkEtag(etag int64) error {
	if etag != 0 && etag != o.Revision {
		return errs.StaleEtag("sales order " + o.ID)
	}
	return nil
}

// Progress sets the status of an order in fulfilment from its lines,
// after shipping, invoicing or an amendment changed them: INVOICED when
// every line is shipped and invoiced in full (PAID stays PAID), else
// SHIPPED when every line is shipped, PARTIALLY_SHIPPED when some is, and
// CONFIRMED when nothing is (invoiced as a whole before shipping, or an
// invoice voided). The store settles INVOICED to PAID when its invoices
// are paid.
func (o *Order) Progress() {
	allShipped, allInvoiced, anyShipped := true, true, false
	for _, l := range o.Lines {
		allShipped = allShipped && l.Shipped.Equal(l.Quantity)
		allInvoiced = allInvoiced && l.Invoiced.Equal(l.Quantity)
		anyShipped = anyShipped || l.Shipped.IsPositive()
	}
	switch {
	case allShipped && allInvoiced:
		if o.Status != Paid {
			o.Status = Invoiced
		}
	case allShipped:
		o.Status = Shipped
	case anyShipped:
		o.Status = PartiallyShipped
	default:
		o.Status = Confirmed
	}
}

// Confirm reserves stock for each line, in line order, never more than is
// available; the shortfall of a line is backordered. avail holds the stock
// of every SKU on the order, locked by the caller, and is updated with the
// reservations. Confirming a confirmed order changes nothing (changed is
// false) whatever the etag; only a draft can be confirmed.
func (o *Order) Confirm(etag int64, avail map[string]*stock.Availability) (changes []stock.Change, changed bool, err error) {
	switch o.Status {
	case Confirmed:
		return nil, false, nil
	case Draft:
	default:
		return nil, false, errs.FailedPreconditionf("sales order %s is %s; only a draft can be confirmed", o.Number, o.Status)
	}
	if err := o.checkEtag(etag); err != nil {
		return nil, false, err
	}
	return o.reserve(avail)
}

// ConfirmWithCredit is Confirm with the credit check: when the order's
// total would take the customer's exposure over the credit limit, the
// order goes ON_CREDIT_HOLD instead, reserving nothing (held is true). An
// order on credit hold waits for ReleaseCreditHold; confirming it again is
// FAILED_PRECONDITION.
func (o *Order) ConfirmWithCredit(etag int64, credit Credit, avail map[string]*stock.Availability) (changes []stock.Change, changed, held bool, err error) {
	switch o.Status {
	case Confirmed:
		return nil, false, false, nil
	case OnCreditHold:
		return nil, false, false, errs.FailedPreconditionf("sales order %s is on credit hold; finance must release it", o.Number)
	case Draft:
	default:
		return nil, false, false, errs.FailedPreconditionf("sales order %s is %s; only a draft can be confirmed", o.Number, o.Status)
	}
	if err := o.checkEtag(etag); err != nil {
		return nil, false, false, err
	}
	if credit.OverLimit(o.CurrencyCode, o.Total.Amount) {
		o.Status = OnCreditHold
		o.Revision++
		return nil, true, true, nil
	}
	changes, changed, err = o.reserve(avail)
	return changes, changed, false, err
}

// ReleaseCreditHold releases an order on credit hold and confirms it
// (reserving stock, backordering the shortfall), recording the release.
// Releasing a released order that is confirmed changes nothing.
func (o *Order) ReleaseCreditHold(etag int64, release CreditRelease, avail map[string]*stock.Availability) (changes []stock.Change, changed bool, err error) {
	if o.Status != OnCreditHold {
		if o.CreditRelease != nil && o.Status != Draft {
			return nil, false, nil
		}
		return nil, false, errs.FailedPreconditionf("sales order %s is %s, not on credit hold", o.Number, o.Status)
	}
	if err := o.checkEtag(etag); err != nil {
		return nil, false, err
	}
	o.CreditRelease = &release
	return o.reserve(avail)
}

// reserve reserves what each line lacks and makes the order CONFIRMED.
func (o *Order) reserve(avail map[string]*stock.Availability) (changes []stock.Change, changed bool, err error) {
	o.Backordered = false
	for i := range o.Lines {
		l := &o.Lines[i]
		a, ok := avail[l.SKU]
		if !ok {
			return nil, false, fmt.Errorf("confirm order %s: no stock record for %s", o.ID, l.SKU)
		}
		want := l.Quantity.Sub(l.Reserved).Sub(l.Shipped)
		got := decimal.Zero
		if want.IsPositive() {
			var cs []stock.Change
			cs, got = a.Reserve(want, o.Reference())
			changes = append(changes, cs...)
		}
		l.Reserved = l.Reserved.Add(got)
		l.setBackordered(want.Sub(got), avail)
		if l.Backordered.IsPositive() {
			o.Backordered = true
		}
	}
	o.Status = Confirmed
	o.Revision++
	return changes, true, nil
}

// FillBackorders reserves backordered quantities of the order's lines for
// the SKUs in skus from avail (stock that just arrived), line by line,
// never more than is available. It returns the reservations; changed is
// false when nothing could be reserved (or the order is not CONFIRMED or
// PARTIALLY_SHIPPED). The revision increments when anything changed.
func (o *Order) FillBackorders(skus []string, avail map[string]*stock.Availability) (changes []stock.Change, changed bool) {
	if o.Status != Confirmed && o.Status != PartiallyShipped {
		return nil, false
	}
	for i := range o.Lines {
		l := &o.Lines[i]
		a, ok := avail[l.SKU]
		if !ok || !l.Backordered.IsPositive() || !containsSKU(skus, l.SKU) {
			continue
		}
		cs, got := a.Reserve(l.Backordered, o.Reference())
		if !got.IsPositive() {
			continue
		}
		changes = append(changes, cs...)
		l.Reserved = l.Reserved.Add(got)
		l.setBackordered(l.Backordered.Sub(got), avail)
	}
	if len(changes) == 0 {
		return nil, false
	}
	o.Backordered = false
	for _, l := range o.Lines {
		if l.Backordered.IsPositive() {
			o.Backordered = true
		}
	}
	o.Revision++
	return changes, true
}

// setBackordered sets the line's backordered quantity and keeps what
// avail says is backordered of its SKU in step.
func (l *Line) setBackordered(q decimal.Decimal, avail map[string]*stock.Availability) {
	if a := avail[l.SKU]; a != nil {
		a.Backorder(q.Sub(l.Backordered))
	}
	l.Backordered = q
}

func containsSKU(skus []string, sku string) bool {
	for _, s := range skus {
		if s == sku {
			return true
		}
	}
	return false
}

// EventUpdated follows a change of an order that is not a transition of
// its own, such as backorders filled by arriving stock.
const EventUpdated = "sales_order.updated"

// Held is stock reserved for an order in one warehouse, as the ledger says.
type Held struct {
	SKU       string
	Warehouse string
	Quantity  decimal.Decimal
}

// Cancel cancels a draft or confirmed order and releases what it holds
// (held, read from the ledger) into avail, returning the release moves.
// Cancelling a cancelled order changes nothing.
func (o *Order) Cancel(etag int64, reason string, held []Held, avail map[string]*stock.Availability) (changes []stock.Change, changed bool, err error) {
	switch o.Status {
	case Cancelled:
		return nil, false, nil
	case Draft, Confirmed, OnCreditHold:
	default:
		return nil, false, errs.FailedPreconditionf("sales order %s is %s; only a draft, confirmed or held order can be cancelled", o.Number, o.Status)
	}
	if err := o.checkEtag(etag); err != nil {
		return nil, false, err
	}
	for _, l := range o.Lines {
		if l.Invoiced.IsPositive() {
			return nil, false, errs.FailedPreconditionf("sales order %s has invoiced quantities (its customer is invoiced for whole orders); void its invoices before cancelling it", o.Number)
		}
	}
	for _, h := range held {
		if !h.Quantity.IsPositive() {
			continue
		}
		a, ok := avail[h.SKU]
		if !ok {
			return nil, false, fmt.Errorf("cancel order %s: no stock record for %s", o.ID, h.SKU)
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
	o.Status = Cancelled
	o.CancelReason = reason
	o.Revision++
	return changes, true, nil
}

// FilterFields may appear in a ListSalesOrders filter.
var FilterFields = []string{"customer_id", "status", "external_ref"}

// ListQuery selects a page of orders. Status conditions carry Status values.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string // id of the last order of the previous page
}

// Store keeps sales orders. Every change appends its sales_order.* event,
// and stock.changed for each SKU whose stock moved, in the same transaction.
type Store interface {
	// CreateOrder looks up the customer and items, builds the draft with
	// Build and inserts it with id. An order with the same external_ref, or
	// one created under the same requestID, is returned unchanged instead.
	CreateOrder(ctx context.Context, n NewOrder, id, requestID string) (Order, error)
	GetOrder(ctx context.Context, id string) (Order, error)
	ListOrders(ctx context.Context, q ListQuery) ([]Order, bool, error)
	// ConfirmOrder locks the order and its stock (by SKU) and applies
	// Confirm.
	ConfirmOrder(ctx context.Context, id string, etag int64, requestID string) (Order, error)
	// ReleaseCreditHold locks the order and its stock and applies
	// Order.ReleaseCreditHold with the caller as releaser and reason.
	ReleaseCreditHold(ctx context.Context, id string, etag int64, reason, requestID string) (Order, error)
	// AmendOrder locks the order's stock (with the SKUs of new lines), its
	// customer and the order, and applies Amend.
	AmendOrder(ctx context.Context, id string, etag int64, a Amendment, requestID string) (Order, error)
	// CancelOrder locks the order and its stock and applies Cancel.
	CancelOrder(ctx context.Context, id string, etag int64, reason, requestID string) (Order, error)
}

// Event types of the sales order feed; the key is the order id and the
// payload the order.
const (
	EventCreated   = "sales_order.created"
	EventConfirmed = "sales_order.confirmed"
	EventCancelled = "sales_order.cancelled"
	// EventCreditHold follows a confirm that put the order ON_CREDIT_HOLD.
	EventCreditHold = "sales_order.credit_hold"
	// EventReleased follows finance releasing a credit hold (the order is
	// confirmed, with its reservations).
	EventReleased = "sales_order.released"
	// EventShipped follows a shipment: the order's lines show the shipped
	// quantities and its status PARTIALLY_SHIPPED or SHIPPED.
	EventShipped = "sales_order.shipped"
	// EventInvoiced follows an invoice being issued or voided: the lines
	// show the invoiced quantities, the status INVOICED when all is.
	EventInvoiced = "sales_order.invoiced"
)
