// Package civil reads and writes calendar dates as the APIs carry them:
// "YYYY-MM-DD", as midnight UTC.
package civil

import (
	"fmt"
	"time"
)

// Layout is the wire form of a date.
const Layout = "2006-01-02"

// ParseDate parses a YYYY-MM-DD date strictly, as midnight UTC, in the
// years 1900 to 9999 (so no date is mistaken for the zero time, which
// means "no date").
func ParseDate(s string) (time.Time, error) {
	t, err := time.Parse(Layout, s)
	if err != nil || t.Format(Layout) != s {
		return time.Time{}, fmt.Errorf("%q is not a date of the form YYYY-MM-DD", s)
	}
	if t.Year() < 1900 {
		return time.Time{}, fmt.Errorf("%q is before 1900", s)
	}
	return t, nil
}

// Today is the date of t, midnight UTC.
func Today(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// FormatDate renders a date as YYYY-MM-DD, or "" for the zero time.
func FormatDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(Layout)
}
