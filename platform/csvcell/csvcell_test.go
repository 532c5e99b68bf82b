package csvcell_test

import (
	"testing"

	"github.com/seamhq/seam/platform/csvcell"
)

// Text cells a spreadsheet would run as a formula start with an
// apostrophe; numbers, negative ones included, stay as they are; Unquote
// gives back what Safe was given.
func TestSafe(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"":                       "",
		"Inventory":              "Inventory",
		"-12.50":                 "-12.50",
		"+3":                     "+3",
		"=HYPERLINK(\"x\")":      "'=HYPERLINK(\"x\")",
		"@SUM(A1)":               "'@SUM(A1)",
		"-2+3+cmd|' /C calc'!A0": "'-2+3+cmd|' /C calc'!A0",
		"\tstockAdjustments/x":   "'\tstockAdjustments/x",
		"purchaseOrders/=1":      "purchaseOrders/=1",
	} {
		got := csvcell.Safe(in)
		if got != want {
			t.Errorf("Safe(%q) = %q, want %q", in, got, want)
		}
		if back := csvcell.Unquote(got); back != in {
			t.Errorf("Unquote(%q) = %q, want %q", got, back, in)
		}
	}
	if got := csvcell.Unquote("'quoted"); got != "'quoted" {
		t.Errorf("Unquote of an apostrophe before text = %q, want it kept", got)
	}
}
