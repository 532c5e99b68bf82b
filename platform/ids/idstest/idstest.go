// Package idstest spells ids in the forms package ids refuses, for the
// services' tests.
package idstest

import "strings"

// OddForms spells id, a UUID in its canonical form, in every form other
// than its 36-character one that a parser might take for the same UUID:
// one Go's uuid.Parse reads and PostgreSQL does not (urn:uuid:), ones both
// read (braces, 32 digits), one only PostgreSQL reads (a hyphen after
// every four digits), padded, and, last, something that is no UUID at all.
func OddForms(id string) []string {
	digits := strings.ReplaceAll(id, "-", "")
	var quads []string
	for i := 0; i < len(digits); i += 4 {
		quads = append(quads, digits[i:min(i+4, len(digits))])
	}
	return []string{
		"urn:uuid:" + id,
		"{" + id + "}",
		digits,
		strings.Join(quads, "-"),
		" " + id,
		"not-a-uuid",
	}
}
