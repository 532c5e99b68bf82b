package catalog

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// An item counted in a count unit (ea, pc, box, ...) is stocked, ordered,
// shipped and sold in whole units (no half a box), unlike one measured by
// weight, length, volume or time (kg, m, l, h), which may be fractional.
// The ERP, which owns items, holds its documents to the rule and
// publishes it with each item (Item.whole_quantities, WholeQuantities),
// so that the CRM, which learns items only through the bridge's sync, can
// hold opportunity lines to it without knowing any unit.

// countUnits are the units of measure that count things, in lower case.
// Any unit not listed is decimal. CRM migration 0035 carries a copy of
// the list, to set the flag on the products it held before the bridge
// sent it.
var countUnits = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`ea each pc pcs piece pieces unit units u
		box boxes bx pk pkg pack packs package packages pr pair pairs set sets kit kits
		dz doz dozen bag bags bg bt btl bottle bottles can cans cs case cases ct ctn carton cartons
		pal pallet pallets plt roll rolls rl tube tubes drum drums crate crates sheet sheets`) {
		countUnits[u] = true
	}
}

// IsCountUnit reports whether unit counts things (ea, pc, box, ...), so
// that quantities in it must be whole numbers. It is compared without
// regard to letter case or surrounding white space ("EA", " Box ").
func IsCountUnit(unit string) bool {
	return countUnits[strings.ToLower(strings.TrimSpace(unit))]
}

// WholeQuantities reports whether the item takes whole quantities only:
// whether its unit is a count unit (IsCountUnit).
func (it Item) WholeQuantities() bool { return IsCountUnit(it.UnitOfMeasure) }

// QuantityViolation describes why q is no quantity of an item measured
// in unit, or returns "": a count unit takes whole numbers only
// ("5.000" is 5). Other units take any quantity the quantity rule
// (money.CheckQuantity) allows; it says nothing about sign or size,
// which are the callers' rules. Only new quantities are held to it: what
// was stored before it stays readable.
func QuantityViolation(unit string, q decimal.Decimal) string {
	if !IsCountUnit(unit) || q.Equal(q.Truncate(0)) {
		return ""
	}
	return fmt.Sprintf("%s is not a whole number; the item is counted in %q", q, unit)
}
