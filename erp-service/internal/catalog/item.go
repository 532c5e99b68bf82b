// Package catalog holds the item master: what the company stocks and
// sells, keyed by SKU, with its price, cost and tax rate, and the rule of
// which units of measure take whole quantities only (IsCountUnit).
package catalog

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Limits and defaults of items.
const (
	MaxNameLength        = 200
	MaxUnitOfMeasureLen  = 20
	DefaultUnitOfMeasure = "ea"
)

// MaxSKULength bounds a SKU.
const MaxSKULength = 64

var skuPattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// SKUViolation describes why s is not a SKU, or returns "": letters,
// digits, '-', '_' and '.', 1 to 64 characters. The ERP owns items and
// so this rule; SKUs travel in URL paths (/v1/items/{sku}).
func SKUViolation(s string) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > MaxSKULength:
		return "must be at most 64 characters"
	case !skuPattern.MatchString(s):
		return "may contain only letters, digits, '-', '_' and '.'"
	}
	return ""
}

// Item is something the company stocks and sells.
type Item struct {
	SKU           string
	Name          string
	UnitOfMeasure string
	ListPrice     money.Money
	// StandardCost is in ListPrice's currency.
	StandardCost money.Money
	// TaxRate is a fraction: 0.19 for 19 %.
	TaxRate decimal.Decimal
	// ReorderPoint and ReorderQuantity drive reorder suggestions; both
	// default to zero.
	ReorderPoint    decimal.Decimal
	ReorderQuantity decimal.Decimal
	Version         int64
	CreateTime      time.Time
	UpdateTime      time.Time
}

// FilterFields may appear in a ListItems filter.
var FilterFields = []string{"sku", "name"}

// UpdatableFields are the paths an update mask may name.
var UpdatableFields = []string{"name", "unit_of_measure", "list_price", "standard_cost", "tax_rate",
	"reorder_point", "reorder_quantity"}

// PrepareNew applies the defaults of a new item and validates it. A nil
// standardCost means zero in the list price's currency. Violations name
// fields relative to the item.
func PrepareNew(it *Item, standardCost *money.Money) error {
	it.Name = strings.TrimSpace(it.Name)
	if it.UnitOfMeasure == "" {
		it.UnitOfMeasure = DefaultUnitOfMeasure
	}
	if standardCost == nil {
		it.StandardCost = money.Zero(it.ListPrice.Currency)
	} else {
		it.StandardCost = *standardCost
	}
	var v errs.Violations
	if msg := SKUViolation(it.SKU); msg != "" {
		v.Add("sku", "%s", msg)
	}
	validate(&v, it, nil)
	return v.Err()
}

// validate checks it, a new item (current nil) or current updated.
func validate(v *errs.Violations, it, current *Item) {
	switch {
	case it.Name == "":
		v.Add("name", "is required")
	case utf8.RuneCountInString(it.Name) > MaxNameLength:
		v.Add("name", "must be at most %d characters", MaxNameLength)
	}
	if it.UnitOfMeasure == "" || utf8.RuneCountInString(it.UnitOfMeasure) > MaxUnitOfMeasureLen {
		v.Add("unit_of_measure", "must be 1 to %d characters", MaxUnitOfMeasureLen)
	}
	if it.ListPrice.Amount.IsNegative() {
		v.Add("list_price.amount", "must not be negative")
	}
	if it.StandardCost.Amount.IsNegative() {
		v.Add("standard_cost.amount", "must not be negative")
	} else if money.Places(it.StandardCost.Amount) > money.UnitCostScale {
		v.Add("standard_cost.amount", "%s has more than %d decimal places", it.StandardCost.Amount, money.UnitCostScale)
	}
	if it.StandardCost.Currency != it.ListPrice.Currency {
		v.Add("standard_cost.currency_code", "must be the list price's currency %s", it.ListPrice.Currency)
	}
	if it.TaxRate.IsNegative() || it.TaxRate.GreaterThan(decimal.NewFromInt(1)) {
		v.Add("tax_rate", "must be a fraction between 0 and 1 (\"0.19\" for 19 %%)")
	}
	// Whole reorder settings for a count unit are held of new values and
	// of a new unit only: an item stored before the rule keeps taking
	// updates of its other fields.
	held := func(q func(*Item) decimal.Decimal) bool {
		return current == nil || !q(it).Equal(q(current)) || IsCountUnit(it.UnitOfMeasure) != IsCountUnit(current.UnitOfMeasure)
	}
	checkReorder(v, "reorder_point", it.UnitOfMeasure, it.ReorderPoint, held(func(i *Item) decimal.Decimal { return i.ReorderPoint }))
	checkReorder(v, "reorder_quantity", it.UnitOfMeasure, it.ReorderQuantity, held(func(i *Item) decimal.Decimal { return i.ReorderQuantity }))
}

// checkReorder holds a reorder point or quantity to the quantity rule
// (money.CheckQuantity), not negative, and, when whole is set, to the
// item's unit: whole numbers for a count unit (QuantityViolation), as
// the purchase orders it suggests are.
func checkReorder(v *errs.Violations, field, unit string, q decimal.Decimal, whole bool) {
	if q.IsNegative() {
		v.Add(field, "must not be negative")
	} else if err := money.CheckQuantity(q); err != nil {
		v.Add(field, "%v", err)
	} else if msg := QuantityViolation(unit, q); whole && msg != "" {
		v.Add(field, "%s", msg)
	}
}

// Patch carries the new values of an update; nil money means the field was
// not sent.
type Patch struct {
	Name          string
	UnitOfMeasure string
	ListPrice     *money.Money
	StandardCost  *money.Money
	TaxRate       decimal.Decimal
	// ReorderPoint and ReorderQuantity.
	ReorderPoint, ReorderQuantity decimal.Decimal
}

// Apply returns current with the fields named by paths (a subset of
// UpdatableFields) taken from p,
// validated. A zero standard cost follows the list price into a new
// currency; a non-zero one must be changed with it.
func Apply(current Item, p Patch, paths []string) (Item, error) {
	next := current
	var v errs.Violations
	for _, path := range paths {
		switch path {
		case "name":
			next.Name = strings.TrimSpace(p.Name)
		case "unit_of_measure":
			next.UnitOfMeasure = p.UnitOfMeasure
			if next.UnitOfMeasure == "" {
				next.UnitOfMeasure = DefaultUnitOfMeasure
			}
		case "list_price":
			if p.ListPrice == nil {
				v.Add("list_price", "is required")
				continue
			}
			next.ListPrice = *p.ListPrice
		case "standard_cost":
			if p.StandardCost == nil {
				next.StandardCost = money.Zero(next.ListPrice.Currency)
				continue
			}
			next.StandardCost = *p.StandardCost
		case "tax_rate":
			next.TaxRate = p.TaxRate
		case "reorder_point":
			next.ReorderPoint = p.ReorderPoint
		case "reorder_quantity":
			next.ReorderQuantity = p.ReorderQuantity
		}
	}
	if next.StandardCost.Amount.IsZero() {
		next.StandardCost.Currency = next.ListPrice.Currency
	}
	validate(&v, &next, &current)
	if err := v.Err(); err != nil {
		return Item{}, err
	}
	return next, nil
}

// CheckCostCurrency refuses changing the currency of an item's standard
// cost (current to next) while onHand, its stock in all warehouses, is
// not zero: the stock on hand went into the inventory account at a cost
// in the old currency, and shipping it would take it out at a cost in the
// new one, leaving one currency's inventory up and the other's down with
// nothing on hand. The error is FAILED_PRECONDITION naming standard_cost.
// A new amount in the same currency is allowed (the store posts it as a
// revaluation of the stock on hand), and so is any change once the stock
// is zero.
func CheckCostCurrency(current, next Item, onHand decimal.Decimal) error {
	from, to := current.StandardCost.Currency, next.StandardCost.Currency
	if from == to || onHand.IsZero() {
		return nil
	}
	desc := fmt.Sprintf("its currency cannot change from %s to %s while %s of %s is on hand, valued in %s; "+
		"bring the stock to zero first (ship or adjust it out), then change the currency", from, to, onHand, current.SKU, from)
	return &errs.Error{Kind: errs.FailedPrecondition, Message: "standard_cost: " + desc,
		Violations: []errs.FieldViolation{{Field: "standard_cost", Description: desc}}}
}

// UnitChanged reports whether next measures the item in another unit than
// current (a change of letter case alone, "EA" for "ea", is a relabel).
func UnitChanged(current, next Item) bool {
	return !strings.EqualFold(current.UnitOfMeasure, next.UnitOfMeasure)
}

// UnitUse is what of an item is counted in its unit of measure: the stock
// on hand, and how many lines of purchase orders (draft, ordered or
// partially received) and sales orders (draft, confirmed, on credit hold
// or partially shipped) still have something open.
type UnitUse struct {
	OnHand            decimal.Decimal
	OpenPurchaseLines int
	OpenSalesLines    int
}

// CheckUnitOfMeasure refuses changing an item's unit of measure (current
// to next) while anything is counted in the old one: the stock on hand
// and the open order lines would silently be read in the new unit (20 kg
// on hand becoming 20 g). The error is FAILED_PRECONDITION naming
// unit_of_measure. A change of letter case only is allowed, and so is
// any change once the stock is zero and no order is open.
func CheckUnitOfMeasure(current, next Item, use UnitUse) error {
	if !UnitChanged(current, next) {
		return nil
	}
	var what []string
	if !use.OnHand.IsZero() {
		what = append(what, fmt.Sprintf("%s on hand", use.OnHand))
	}
	if use.OpenPurchaseLines > 0 {
		what = append(what, fmt.Sprintf("%d open purchase order line(s)", use.OpenPurchaseLines))
	}
	if use.OpenSalesLines > 0 {
		what = append(what, fmt.Sprintf("%d open sales order line(s)", use.OpenSalesLines))
	}
	if len(what) == 0 {
		return nil
	}
	desc := fmt.Sprintf("cannot change from %q to %q while %s has %s counted in %q; "+
		"bring the stock to zero and complete or cancel the orders first",
		current.UnitOfMeasure, next.UnitOfMeasure, current.SKU, strings.Join(what, " and "), current.UnitOfMeasure)
	return &errs.Error{Kind: errs.FailedPrecondition, Message: "unit_of_measure: " + desc,
		Violations: []errs.FieldViolation{{Field: "unit_of_measure", Description: desc}}}
}

// ListQuery selects a page of items.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	// After is the SKU of the last item of the previous page, or "".
	After string
}

// Store keeps items. Writes append item.created / item.updated in the same
// transaction.
type Store interface {
	// CreateItem inserts it (prepared by PrepareNew) with an empty stock
	// record. A requestID seen before returns the item it created.
	CreateItem(ctx context.Context, it Item, requestID string) (Item, error)
	GetItem(ctx context.Context, sku string) (Item, error)
	ListItems(ctx context.Context, q ListQuery) ([]Item, bool, error)
	// UpdateItem locks the item's stock (as stock writers do) and the item,
	// checks etag (0 skips the check) and stores what change returns,
	// unless CheckCostCurrency refuses it given the stock on hand.
	UpdateItem(ctx context.Context, sku string, etag int64, change func(Item) (Item, error)) (Item, error)
}

// Event types of the item feed; the key is the SKU.
const (
	EventCreated = "item.created"
	EventUpdated = "item.updated"
)

// Same reports whether o holds the same values as it, whatever their
// version and times: an update to the same values is no change.
func (it Item) Same(o Item) bool {
	return it.SKU == o.SKU && it.Name == o.Name && it.UnitOfMeasure == o.UnitOfMeasure &&
		it.ListPrice.Currency == o.ListPrice.Currency && it.ListPrice.Amount.Equal(o.ListPrice.Amount) &&
		it.StandardCost.Currency == o.StandardCost.Currency && it.StandardCost.Amount.Equal(o.StandardCost.Amount) &&
		it.TaxRate.Equal(o.TaxRate) && it.ReorderPoint.Equal(o.ReorderPoint) && it.ReorderQuantity.Equal(o.ReorderQuantity)
}
