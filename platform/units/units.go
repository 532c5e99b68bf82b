// Package units classifies units of measure. An item counted in a count
// unit (ea, pc, box, ...) is stocked, ordered, shipped and sold in whole
// units (no half a box), unlike one measured by weight, length, volume or
// time (kg, m, l, h), which may be fractional. The ERP, which owns items,
// holds its documents to the rule; the CRM holds opportunity lines to it
// for products its catalog mirror knows, so that a won deal's order is
// not refused later.
package units

import (
	"fmt"
	"strings"

	"github.com/shopspring/decimal"
)

// countUnits are the units of measure that count things, in lower case.
// Any unit not listed is decimal.
var countUnits = map[string]bool{}

func init() {
	for _, u := range strings.Fields(`ea each pc pcs piece pieces unit units u
		box boxes bx pk pkg pack packs package packages pr pair pairs set sets kit kits
		dz doz dozen bag bags bg bt btl bottle bottles can cans cs case cases ct ctn carton cartons
		pal pallet pallets plt roll rolls rl tube tubes drum drums crate crates sheet sheets`) {
		countUnits[u] = true
	}
}

// IsCount reports whether unit counts things (ea, pc, box, ...), so that
// quantities in it must be whole numbers. It is compared without regard
// to letter case or surrounding white space ("EA", " Box ").
func IsCount(unit string) bool {
	return countUnits[strings.ToLower(strings.TrimSpace(unit))]
}

// QuantityViolation describes why q is no quantity of something measured
// in unit, or returns "": a count unit takes whole numbers only ("5.000"
// is 5); any other unit takes any quantity. It says nothing about sign or
// size, which are the callers' rules (money.CheckQuantity).
func QuantityViolation(unit string, q decimal.Decimal) string {
	if !IsCount(unit) || q.Equal(q.Truncate(0)) {
		return ""
	}
	return fmt.Sprintf("%s is not a whole number; the item is counted in %q", q, unit)
}
