// Package upsert holds what the batch imports of accounts, contacts and
// leads share: the modes, the outcome of each row, and how a batch's
// results decide whether it is written.
package upsert

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seamhq/seam/platform/errs"
)

// MaxBatch is the most rows one import call takes.
const MaxBatch = 5000

// Mode says what happens to a batch with invalid rows.
type Mode uint8

// The modes.
const (
	// AllOrNothing writes nothing when any row is invalid.
	AllOrNothing Mode = iota
	// SkipInvalid writes the valid rows and reports the others.
	SkipInvalid
)

// Outcome is what happened, or would have happened, to a row.
type Outcome uint8

// The outcomes.
const (
	Created Outcome = iota + 1
	Updated
	Unchanged
	Invalid
)

// Result is the outcome of one row.
type Result struct {
	Outcome Outcome
	// ID is the record created, updated or left unchanged; "" for an
	// invalid row.
	ID string
	// Violations say why a row is invalid, with fields relative to the
	// row.
	Violations []errs.FieldViolation
}

// InvalidResult turns a validation or business-rule error of one row into
// its result; other errors (internal ones) are returned as they are.
func InvalidResult(err error) (Result, error) {
	var e *errs.Error
	if !errors.As(err, &e) {
		return Result{}, err
	}
	switch {
	case e.Kind == errs.InvalidArgument && len(e.Violations) > 0:
		return Result{Outcome: Invalid, Violations: e.Violations}, nil
	case e.Kind == errs.InvalidArgument || e.Kind == errs.FailedPrecondition || e.Kind == errs.AlreadyExists:
		return Result{Outcome: Invalid, Violations: []errs.FieldViolation{{Description: e.Message}}}, nil
	}
	return Result{}, err
}

// Invalidf is the result of a row with one bad field.
func Invalidf(field, description string) Result {
	return Result{Outcome: Invalid, Violations: []errs.FieldViolation{{Field: field, Description: description}}}
}

// Write reports whether a batch with these results is written.
func Write(mode Mode, validateOnly bool, results []Result) bool {
	if validateOnly {
		return false
	}
	if mode == SkipInvalid {
		return true
	}
	for _, r := range results {
		if r.Outcome == Invalid {
			return false
		}
	}
	return true
}

// CheckBatch validates the size of a batch given in field.
func CheckBatch(field string, n int) error {
	if n > MaxBatch {
		return errs.Invalid(field, "at most %d rows per call, got %d", MaxBatch, n)
	}
	return nil
}

// Forget clears the ids of rows that would have been created when the
// batch is not written: those records do not exist.
func Forget(results []Result) {
	for i := range results {
		if results[i].Outcome == Created {
			results[i].ID = ""
		}
	}
}

// MaxListed bounds the records an ambiguous row's violation names.
const MaxListed = 3

// MatchByIDOrEmail finds the record that an import row of contacts or
// leads updates, by the row's key k: "i:" and an id names one record,
// "e:" and an email key matches by email. ok is false when the row
// creates a record; bad is set when the row is invalid: an id that names
// no record (on "id"), or an email several records share (on "email",
// naming up to MaxListed of them). byEmail lists each key's records
// oldest first; kind names one record ("contact"), id gives its id.
func MatchByIDOrEmail[T any](k, kind string, byID map[string]T, byEmail map[string][]T, id func(T) string) (cur T, ok bool, bad *Result) {
	if want, isID := strings.CutPrefix(k, "i:"); isID {
		if cur, ok = byID[want]; !ok {
			r := Invalidf("id", fmt.Sprintf("%s %q not found: an id updates the %s it names; leave it empty to match by email", kind, want, kind))
			return cur, false, &r
		}
		return cur, true, nil
	}
	candidates := byEmail[strings.TrimPrefix(k, "e:")]
	switch len(candidates) {
	case 0:
		return cur, false, nil
	case 1:
		return candidates[0], true, nil
	}
	r := Invalidf("email", fmt.Sprintf("matches %d %ss by email (%s): give the row the id of the one it means",
		len(candidates), kind, Listed(candidates, id)))
	return cur, false, &r
}

// Keys are what MatchByKeys needs to know of one kind of record that an
// import matches by id, else external id, else a third key (an account's
// website domain, a contact's email): the records found for a batch under
// each key, and how to read a record's id and external id.
type Keys[T any] struct {
	// Kind names one record ("account").
	Kind string
	// Third is the third key's field ("website", "email").
	Third              string
	ID, ExternalID     func(T) string
	ByID, ByExternalID map[string]T
	// ByThird maps a third key to every record having it, oldest first.
	ByThird map[string][]T
}

// MatchByKeys finds the record an import row updates. kind and value are
// the row's key: 'i' and an id, 'x' and an external id, anything else to
// match by the third key, third (normalised, "" for none). externalID is
// the row's own external id; byExternal and byThird say whether the row's
// columns set the external id and the third key. ok is false when the row
// creates a record; bad is set when the row is invalid: an id that names
// no record, an external id another record holds, or a third key several
// records share (byWhat says how, for the violation: "by email").
func MatchByKeys[T any](k Keys[T], kind byte, value, externalID, third, byWhat string, byExternal, byThird bool) (cur T, ok bool, bad *Result) {
	invalid := func(field, format string, args ...any) (T, bool, *Result) {
		r := Invalidf(field, fmt.Sprintf(format, args...))
		var zero T
		return zero, false, &r
	}
	switch kind {
	case 'i':
		if cur, ok = k.ByID[value]; !ok {
			return invalid("id", "%s %q not found: an id updates the %s it names; leave it empty to match by external_id or %s",
				k.Kind, value, k.Kind, k.Third)
		}
		if holder, held := k.ByExternalID[externalID]; byExternal && held && k.ID(holder) != k.ID(cur) {
			return invalid("external_id", "%q is the external_id of %s %s", externalID, k.Kind, k.ID(holder))
		}
		return cur, true, nil
	case 'x':
		if cur, ok = k.ByExternalID[value]; ok {
			return cur, true, nil
		}
	}
	if !byThird || third == "" {
		return cur, false, nil
	}
	var candidates []T
	for _, c := range k.ByThird[third] {
		// A record with another external id is another system's record:
		// a row with an external id no record has is not it.
		if byExternal && externalID != "" && k.ExternalID(c) != "" && k.ExternalID(c) != externalID {
			continue
		}
		candidates = append(candidates, c)
	}
	switch len(candidates) {
	case 0:
		return cur, false, nil
	case 1:
		return candidates[0], true, nil
	}
	return invalid(k.Third, "matches %d %ss %s (%s): give the row the id of the %s it means (or that %s's external_id)",
		len(candidates), k.Kind, byWhat, Listed(candidates, k.ID), k.Kind, k.Kind)
}

// Listed names the records an ambiguous row matches, for its violation:
// the ids of the first MaxListed, and how many more there are
// ("a, b, c and 2 more").
func Listed[T any](records []T, id func(T) string) string {
	ids := make([]string, 0, MaxListed)
	for _, r := range records[:min(len(records), MaxListed)] {
		ids = append(ids, id(r))
	}
	out := strings.Join(ids, ", ")
	if m := len(records) - len(ids); m > 0 {
		out += fmt.Sprintf(" and %d more", m)
	}
	return out
}

// Claims records which row of a batch matched each existing record, so
// that a second row matching the same record is refused rather than
// applied over the first.
type Claims map[string]int

// Claim gives record id to row, or returns the INVALID result for it
// (on field, about a record of kind) when an earlier row has it.
func (c Claims) Claim(id string, row int, field, kind string) (Result, bool) {
	if j, twice := c[id]; twice {
		return Invalidf(field, fmt.Sprintf("matches the same %s as row %d of this batch", kind, j)), false
	}
	c[id] = row
	return Result{}, true
}
