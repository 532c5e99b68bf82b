package catalog

import (
	"strings"
	"testing"

	"github.com/shopspring/decimal"
)

func TestIsCountUnit(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"ea", "EA", "Each", " box ", "PCS", "pallet", "Ctn"} {
		if !IsCountUnit(u) {
			t.Errorf("IsCountUnit(%q) = false, want true", u)
		}
		if it := (Item{UnitOfMeasure: u}); !it.WholeQuantities() {
			t.Errorf("an item in %q: WholeQuantities() = false, want true", u)
		}
	}
	for _, u := range []string{"", "kg", "m", "l", "h", "g", "m2", "hr", "eas"} {
		if IsCountUnit(u) {
			t.Errorf("IsCountUnit(%q) = true, want false", u)
		}
		if it := (Item{UnitOfMeasure: u}); it.WholeQuantities() {
			t.Errorf("an item in %q: WholeQuantities() = true, want false", u)
		}
	}
}

func TestQuantityViolation(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		unit, q string
		bad     bool
	}{
		{"ea", "0.5", true}, {"EA", "1.25", true}, {" Box ", "2.1", true}, {"pcs", "0.000001", true},
		{"ea", "2", false}, {"ea", "5.0000", false}, {"box", "-3", false},
		{"kg", "0.5", false}, {"m", "1.25", false}, {"l", "0.333", false}, {"h", "0.25", false},
	} {
		got := QuantityViolation(c.unit, decimal.RequireFromString(c.q))
		if (got != "") != c.bad {
			t.Errorf("QuantityViolation(%q, %s) = %q, want a violation: %v", c.unit, c.q, got, c.bad)
		}
	}
	if got := QuantityViolation("ea", decimal.RequireFromString("2.5")); !strings.Contains(got, "2.5") || !strings.Contains(got, `"ea"`) {
		t.Errorf("QuantityViolation(ea, 2.5) = %q, want the quantity and the unit named", got)
	}
}
