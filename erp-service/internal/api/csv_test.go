package api

import "testing"

// Text cells a spreadsheet would run as a formula start with an
// apostrophe; numbers, negative ones included, stay as they are.
func TestSpreadsheetSafe(t *testing.T) {
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
		if got := spreadsheetSafe(in); got != want {
			t.Errorf("spreadsheetSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
