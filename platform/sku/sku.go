// Package sku holds the one rule for stock keeping unit codes, which the
// ERP assigns and the CRM mirrors: letters, digits, '-', '_' and '.', 1 to
// 64 characters. They travel in URL paths (/v1/items/{sku}), so nothing
// else is allowed.
package sku

import "regexp"

// MaxLength bounds a SKU.
const MaxLength = 64

var pattern = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

// Violation describes why s is not a SKU, or returns "".
func Violation(s string) string {
	switch {
	case s == "":
		return "is required"
	case len(s) > MaxLength:
		return "must be at most 64 characters"
	case !pattern.MatchString(s):
		return "may contain only letters, digits, '-', '_' and '.'"
	}
	return ""
}
