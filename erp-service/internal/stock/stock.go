// Package stock holds warehouses, stock levels, the stock ledger's kinds of
// moves and the rules that change levels: adjustments never take on hand
// below what is reserved, and reservations never exceed what is available.
package stock

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// DefaultWarehouse is created by the first migration and receives
// adjustments that name no warehouse.
const DefaultWarehouse = "MAIN"

// Warehouse is a place stock is kept.
type Warehouse struct {
	Code       string
	Name       string
	CreateTime time.Time
}

var codePattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9_-]{0,31}$`)

// CanonicalCode is warehouse code as stored: codes are upper case, and a
// code is read in any letter case ("main" is MAIN) wherever one is taken,
// in paths, bodies and filters. Only ASCII letters change, so that no
// other character turns into a letter of a valid code.
func CanonicalCode(code string) string {
	return strings.Map(func(r rune) rune {
		if 'a' <= r && r <= 'z' {
			return r - 'a' + 'A'
		}
		return r
	}, code)
}

// CanonicalMoveFilter returns conds with the warehouse codes they compare
// in their canonical form (CanonicalCode).
func CanonicalMoveFilter(conds []listing.Condition) []listing.Condition {
	out := slices.Clone(conds)
	for i, c := range out {
		if c.Field == "warehouse" {
			out[i].Value = CanonicalCode(c.Value)
		}
	}
	return out
}

// PrepareWarehouse validates a new warehouse. Violations name fields
// relative to the warehouse.
func PrepareWarehouse(w *Warehouse) error {
	w.Name = strings.TrimSpace(w.Name)
	w.Code = CanonicalCode(w.Code)
	var v errs.Violations
	if !codePattern.MatchString(w.Code) {
		v.Add("code", "must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit")
	}
	if w.Name == "" || utf8.RuneCountInString(w.Name) > 200 {
		v.Add("name", "must be 1 to 200 characters")
	}
	return v.Err()
}

// MoveKind classifies a row of the stock ledger.
type MoveKind string

// The kinds of stock moves.
const (
	Receipt     MoveKind = "receipt"     // stock arrived (an adjustment with reason "receipt")
	Adjusted    MoveKind = "adjustment"  // any other counted correction
	Reservation MoveKind = "reservation" // stock set aside for a sales order
	Release     MoveKind = "release"     // a reservation given back
	Shipped     MoveKind = "shipment"    // reserved stock that left for a customer
	Returned    MoveKind = "return"      // received stock sent back to its supplier (negative), or goods a customer returned with a credit note (positive)
)

// Level is the stock of an item in one warehouse.
type Level struct {
	Warehouse string
	OnHand    decimal.Decimal
	Reserved  decimal.Decimal
}

// Available is on hand minus reserved.
func (l Level) Available() decimal.Decimal { return l.OnHand.Sub(l.Reserved) }

// Availability is an item's stock over all warehouses.
type Availability struct {
	SKU      string
	OnHand   decimal.Decimal
	Reserved decimal.Decimal
	// Warehouses lists the item's levels, the default warehouse first, then
	// by code.
	Warehouses []Level
	// Incoming is the open quantity of ordered (not yet received)
	// purchase order lines; NextReceiptDate the earliest expected date of
	// such a line (zero when nothing is incoming). Their changes count as
	// versions too: ordering or cancelling a purchase order is a new
	// version of its SKUs' availability.
	Incoming        decimal.Decimal
	NextReceiptDate time.Time
	// Receipts is what is incoming per expected date (one entry per date,
	// by date, PurchaseOrder empty); Backordered the backordered quantity
	// of confirmed and partially shipped orders. Both feed Schedule.
	Receipts    []IncomingReceipt
	Backordered decimal.Decimal
	// Version increments with every change of the item's stock, on hand,
	// reserved or incoming, and with every change of its Schedule (a
	// backorder placed or released while stock is incoming).
	Version    int64
	UpdateTime time.Time
	// Promise is set when a requested quantity was asked about.
	Promise *Promise
}

// IncomingReceipt is stock expected on an open purchase order line.
type IncomingReceipt struct {
	Date          time.Time
	Quantity      decimal.Decimal
	PurchaseOrder string // its number
}

// Promise is the earliest date a requested quantity of an item can be
// promised to a new order.
type Promise struct {
	Requested decimal.Decimal
	// Date is zero when the quantity cannot be promised.
	Date time.Time
	// PurchaseOrder is the number of the order whose receipt covers the
	// quantity, "" when stock on hand covers it (or nothing does).
	PurchaseOrder string
	Reason        string
}

// PromiseFor answers when requested of a's item can be promised: today
// when what is available now covers it; else on the expected date of the
// receipt (receipts by expected date) at which available + the receipts so
// far - backordered covers it (backorders of earlier orders are filled
// first, oldest first, as stock arrives); else never. A receipt expected
// before today is late and counts as arriving today.
func PromiseFor(a Availability, requested, backordered decimal.Decimal, receipts []IncomingReceipt, today time.Time) Promise {
	p := Promise{Requested: requested}
	avail := a.Available()
	if avail.GreaterThanOrEqual(requested) {
		p.Date, p.Reason = today, fmt.Sprintf("%s available now", avail)
		return p
	}
	supply := avail.Sub(backordered)
	incoming := decimal.Zero
	for _, r := range receipts {
		supply, incoming = supply.Add(r.Quantity), incoming.Add(r.Quantity)
		if supply.GreaterThanOrEqual(requested) {
			p.Date, p.PurchaseOrder = r.Date, r.PurchaseOrder
			if p.Date.Before(today) {
				p.Date = today
			}
			p.Reason = fmt.Sprintf("covered when purchase order %s arrives: %s available + %s incoming - %s backordered by earlier orders",
				r.PurchaseOrder, avail, incoming, backordered)
			return p
		}
	}
	p.Reason = fmt.Sprintf("cannot be promised: %s available + %s incoming - %s backordered by earlier orders is less than %s",
		avail, incoming, backordered, requested)
	return p
}

// Available is on hand minus reserved.
func (a Availability) Available() decimal.Decimal { return a.OnHand.Sub(a.Reserved) }

// Promisable is a step of a promise schedule: the quantity that can be
// promised by Date, cumulative (Date zero: now).
type Promisable struct {
	Date     time.Time
	Quantity decimal.Decimal
}

// Schedule is what PromiseFor would answer for every quantity at once:
// first what is available now (undated), then, for each expected date of
// a's receipts, available - backordered + everything incoming by that
// date, listed only when it exceeds every earlier entry. A quantity is
// promised on the date of the first entry that covers it (a date in the
// past counting as today), and not at all when none does.
func (a Availability) Schedule() []Promisable {
	avail := a.Available()
	out := []Promisable{{Quantity: avail}}
	best, supply := avail, avail.Sub(a.Backordered)
	for _, r := range a.Receipts {
		supply = supply.Add(r.Quantity)
		if supply.GreaterThan(best) {
			out = append(out, Promisable{Date: r.Date, Quantity: supply})
			best = supply
		}
	}
	return out
}

// SameSchedule reports whether two promise schedules promise the same
// quantities by the same dates.
func SameSchedule(x, y []Promisable) bool {
	return slices.EqualFunc(x, y, func(a, b Promisable) bool {
		return a.Date.Equal(b.Date) && a.Quantity.Equal(b.Quantity)
	})
}

// Backorder adds delta (negative when filled or cancelled) to what is
// backordered of the item.
func (a *Availability) Backorder(delta decimal.Decimal) { a.Backordered = a.Backordered.Add(delta) }

// Change is one change of a stock level, as recorded in the ledger.
type Change struct {
	// ID names the ledger row; the store assigns one when empty.
	ID            string
	SKU           string
	Warehouse     string
	Kind          MoveKind
	OnHandDelta   decimal.Decimal
	ReservedDelta decimal.Decimal
	Reason        string
	Reference     string
	// Date is the day (UTC midnight) the move counts from in the stock
	// valuation as of a date: a shipment's ship date. Zero: the day it is
	// made.
	Date time.Time
}

// Apply adds a change to the availability of its item. It does not touch
// Version: one transaction's changes of an item make one new version.
func (a *Availability) Apply(c Change) {
	a.OnHand = a.OnHand.Add(c.OnHandDelta)
	a.Reserved = a.Reserved.Add(c.ReservedDelta)
	for i := range a.Warehouses {
		if a.Warehouses[i].Warehouse == c.Warehouse {
			a.Warehouses[i].OnHand = a.Warehouses[i].OnHand.Add(c.OnHandDelta)
			a.Warehouses[i].Reserved = a.Warehouses[i].Reserved.Add(c.ReservedDelta)
			return
		}
	}
	a.Warehouses = append(a.Warehouses, Level{Warehouse: c.Warehouse, OnHand: c.OnHandDelta, Reserved: c.ReservedDelta})
	SortLevels(a.Warehouses)
}

// SortLevels orders levels the way reservations draw on them: the default
// warehouse first, then by code.
func SortLevels(levels []Level) {
	slices.SortFunc(levels, func(a, b Level) int {
		if (a.Warehouse == DefaultWarehouse) != (b.Warehouse == DefaultWarehouse) {
			if a.Warehouse == DefaultWarehouse {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Warehouse, b.Warehouse)
	})
}

// Reserve sets aside up to want of the item from a's warehouses, in order,
// never more than is available in each. It applies the reservations to a
// and returns them with the quantity reserved in total (the rest of want is
// the shortfall).
func (a *Availability) Reserve(want decimal.Decimal, reference string) ([]Change, decimal.Decimal) {
	var out []Change
	got := decimal.Zero
	for _, l := range a.Warehouses {
		rest := want.Sub(got)
		if !rest.IsPositive() {
			break
		}
		take := decimal.Min(rest, l.Available())
		if !take.IsPositive() {
			continue
		}
		out = append(out, Change{SKU: a.SKU, Warehouse: l.Warehouse, Kind: Reservation, ReservedDelta: take, Reference: reference})
		got = got.Add(take)
	}
	for _, c := range out {
		a.Apply(c)
	}
	return out, got
}

// Adjustment is one counted correction or receipt.
type Adjustment struct {
	ID        string
	SKU       string
	Warehouse string
	// Quantity is non-zero; positive adds stock.
	Quantity   decimal.Decimal
	Reason     string
	CreateTime time.Time
	// Availability of the item after the adjustment.
	Availability Availability
}

// MaxReasonLength bounds an adjustment's reason.
const MaxReasonLength = 200

// PrepareAdjustment applies defaults and validates an adjustment whose SKU
// was checked by the caller. Violations name fields relative to it.
func PrepareAdjustment(a *Adjustment) error {
	a.Reason = strings.TrimSpace(a.Reason)
	if a.Warehouse == "" {
		a.Warehouse = DefaultWarehouse
	}
	a.Warehouse = CanonicalCode(a.Warehouse)
	var v errs.Violations
	if a.Quantity.IsZero() {
		v.Add("quantity", "must not be zero")
	} else if err := money.CheckQuantity(a.Quantity); err != nil {
		v.Add("quantity", "%v", err)
	} else if a.IsReceipt() && a.Quantity.IsNegative() {
		// A receipt is stock arriving, posted against payables; stock
		// taken out (a receipt entered in error, goods sent back) is a
		// negative adjustment with another reason, a correction.
		v.Add("quantity", "must be positive for reason %q (stock arriving); take stock out with another reason, such as \"correction\"", a.Reason)
	}
	switch {
	case a.Reason == "":
		v.Add("reason", "is required")
	case utf8.RuneCountInString(a.Reason) > MaxReasonLength:
		v.Add("reason", "must be at most %d characters", MaxReasonLength)
	}
	return v.Err()
}

// Reference names the adjustment in the ledger.
func (a Adjustment) Reference() string { return "stockAdjustments/" + a.ID }

// IsReceipt reports whether the adjustment is a receipt: reason "receipt",
// in any letter case. A receipt is stock arriving (positive, see
// PrepareAdjustment), recorded as kind receipt and posted against
// accounts payable; every other reason is a counted correction of either
// sign, posted against inventory adjustments.
func (a Adjustment) IsReceipt() bool { return strings.EqualFold(a.Reason, ReceiptReason) }

// ReceiptReason is the adjustment reason of stock arriving.
const ReceiptReason = "receipt"

// Change is the ledger row of the adjustment; its id is the adjustment's.
func (a Adjustment) Change() Change {
	kind := Adjusted
	if a.IsReceipt() {
		kind = Receipt
	}
	return Change{ID: a.ID, SKU: a.SKU, Warehouse: a.Warehouse, Kind: kind, OnHandDelta: a.Quantity,
		ReservedDelta: decimal.Zero, Reason: a.Reason, Reference: a.Reference()}
}

// CheckFits enforces that an item's stock, after a change, can still be
// passed on: the API carries quantities of at most money.MaxDigits
// digits, and a level built from accepted changes may have more.
func (a Availability) CheckFits() error {
	if money.Fits(a.OnHand) && money.Fits(a.Reserved) {
		return nil
	}
	return errs.FailedPreconditionf("the stock of %s would be %s on hand, %s reserved: more than the %d digits a quantity may have",
		a.SKU, a.OnHand, a.Reserved, money.MaxDigits)
}

// CheckAdjustment enforces the rule that stock on hand never falls below
// what is reserved, in the warehouse adjusted.
func CheckAdjustment(current Level, a Adjustment) error {
	after := current.OnHand.Add(a.Quantity)
	if after.IsNegative() {
		return errs.FailedPreconditionf("adjusting %s in %s by %s would take on hand below zero (%s on hand)",
			a.SKU, a.Warehouse, a.Quantity, current.OnHand)
	}
	if after.LessThan(current.Reserved) {
		return errs.FailedPreconditionf("adjusting %s in %s by %s would leave %s on hand, below the %s reserved",
			a.SKU, a.Warehouse, a.Quantity, after, current.Reserved)
	}
	return nil
}

// ListQuery selects a page of warehouses.
type ListQuery struct {
	PageSize int
	After    string // code of the last warehouse of the previous page
}

// Store keeps warehouses and stock. Stock changes append stock.changed in
// the same transaction.
type Store interface {
	// CreateWarehouse adds w; a retry with requestID returns the warehouse
	// the first call created.
	CreateWarehouse(ctx context.Context, w Warehouse, requestID string) (Warehouse, error)
	GetWarehouse(ctx context.Context, code string) (Warehouse, error)
	ListWarehouses(ctx context.Context, q ListQuery) ([]Warehouse, bool, error)
	// Availability returns the stock of an item.
	Availability(ctx context.Context, sku string) (Availability, error)
	// Adjust records a (prepared) adjustment, with id a.ID, and returns it
	// with the availability after it. A requestID seen before returns the
	// adjustment it recorded, with the current availability.
	Adjust(ctx context.Context, a Adjustment, requestID string) (Adjustment, error)
	// Transfer records a (prepared) transfer with id t.ID under the SKU's
	// lock and returns it with the availability after it. A requestID
	// seen before returns the transfer it recorded, with the current
	// availability.
	Transfer(ctx context.Context, t Transfer, requestID string) (Transfer, error)
	// GetAdjustment and GetTransfer read a recorded adjustment or transfer
	// back from the ledger, with the item's current availability.
	GetAdjustment(ctx context.Context, id string) (Adjustment, error)
	GetTransfer(ctx context.Context, id string) (Transfer, error)
	// Promise answers the earliest date quantity of the item can be
	// promised (see Promise).
	Promise(ctx context.Context, sku string, quantity decimal.Decimal) (Availability, error)
	// ListMoves pages through the stock ledger.
	ListMoves(ctx context.Context, q MoveQuery) ([]Move, bool, error)
}

// EventChanged is the event of a change of an item's on hand or reserved
// stock; the key is the SKU and the payload the item's Availability.
const EventChanged = "stock.changed"

// Transfer moves stock of an item from one warehouse to another at once.
type Transfer struct {
	ID            string
	SKU           string
	FromWarehouse string
	ToWarehouse   string
	// Quantity is positive.
	Quantity   decimal.Decimal
	Reason     string
	CreateTime time.Time
	// Availability of the item after the transfer.
	Availability Availability
}

// Transferred is the kind of the two ledger rows of a transfer.
const Transferred MoveKind = "transfer"

// Reference names the transfer in the ledger.
func (t Transfer) Reference() string { return "stockTransfers/" + t.ID }

// PrepareTransfer validates a transfer whose SKU was checked by the
// caller. Violations name fields relative to it.
func PrepareTransfer(t *Transfer) error {
	t.Reason = strings.TrimSpace(t.Reason)
	t.FromWarehouse, t.ToWarehouse = CanonicalCode(t.FromWarehouse), CanonicalCode(t.ToWarehouse)
	var v errs.Violations
	if t.FromWarehouse == "" {
		v.Add("from_warehouse", "is required")
	}
	switch {
	case t.ToWarehouse == "":
		v.Add("to_warehouse", "is required")
	case t.ToWarehouse == t.FromWarehouse:
		v.Add("to_warehouse", "must differ from from_warehouse")
	}
	if !t.Quantity.IsPositive() {
		v.Add("quantity", "must be positive")
	} else if err := money.CheckQuantity(t.Quantity); err != nil {
		v.Add("quantity", "%v", err)
	}
	if utf8.RuneCountInString(t.Reason) > MaxReasonLength {
		v.Add("reason", "must be at most %d characters", MaxReasonLength)
	}
	return v.Err()
}

// Changes checks that the source warehouse has the quantity available
// (on hand - reserved; reserved stock never moves) and returns the two
// ledger rows of the transfer, out of the source and into the
// destination; the first carries the transfer's id.
func (t Transfer) Changes(from Level) ([]Change, error) {
	if from.Available().LessThan(t.Quantity) {
		return nil, &errs.Error{Kind: errs.FailedPrecondition,
			Violations: []errs.FieldViolation{{Field: "quantity", Description: fmt.Sprintf(
				"%s of %s is available in %s (%s on hand, %s reserved)", from.Available(), t.SKU, t.FromWarehouse, from.OnHand, from.Reserved)}},
			Message: fmt.Sprintf("quantity: transferring %s of %s out of %s would take its available stock below zero", t.Quantity, t.SKU, t.FromWarehouse)}
	}
	return []Change{
		{ID: t.ID, SKU: t.SKU, Warehouse: t.FromWarehouse, Kind: Transferred, OnHandDelta: t.Quantity.Neg(),
			ReservedDelta: decimal.Zero, Reason: t.Reason, Reference: t.Reference()},
		{SKU: t.SKU, Warehouse: t.ToWarehouse, Kind: Transferred, OnHandDelta: t.Quantity,
			ReservedDelta: decimal.Zero, Reason: t.Reason, Reference: t.Reference()},
	}, nil
}

// Move is one row of the stock ledger.
type Move struct {
	ID, SKU, Warehouse string
	Kind               MoveKind
	OnHandDelta        decimal.Decimal
	ReservedDelta      decimal.Decimal
	Reason, Reference  string
	Actor              string
	CreateTime         time.Time
}

// MoveFilterFields may appear in a ListStockMoves filter.
var MoveFilterFields = []string{"sku", "warehouse", "kind", "reference"}

// MoveKinds are the values a move's kind may have, in a filter too.
var MoveKinds = []string{string(Receipt), string(Adjusted), string(Reservation), string(Release), string(Shipped), string(Returned), string(Transferred)}

// MoveQuery is a page of the stock ledger: moves matching Filter (see
// CheckMoveFilter), after the move with id After, in ledger order (by
// the transaction that wrote them, then id). A page ends with a next
// token only where no move can commit behind it, so a reader that pages
// to the end and continues later from its last token misses none.
type MoveQuery struct {
	Filter   []listing.Condition
	PageSize int
	After    string
}

// CheckMoveFilter accepts no filter (the whole ledger) or one that
// compares sku or reference with "=", so that a page is read from an
// index on either and costs the same however long the ledger grows.
func CheckMoveFilter(conds []listing.Condition) error {
	if len(conds) == 0 {
		return nil
	}
	for _, c := range conds {
		if (c.Field == "sku" || c.Field == "reference") && c.Op == listing.Eq {
			return nil
		}
	}
	return errs.Invalid("filter", `must compare sku or reference with "=", e.g. sku = "A-100"`)
}
