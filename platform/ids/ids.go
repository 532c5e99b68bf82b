// Package ids reads the ids callers send, in paths, bodies, filters and
// page tokens, by one rule for every service.
//
// Ids the CRM and the ERP assign are UUIDs, handed out in the canonical
// form: 36 characters, hex digits in groups of 8-4-4-4-12, lower case.
// That form, in either case, is the only one taken. Go's uuid.Parse also
// reads urn:uuid:..., {...} and 32 digits without hyphens, and
// PostgreSQL's uuid type reads some of those and others of its own
// (hyphens after any group of four digits), so an id checked by one and
// used by the other could pass the check and fail in the database.
//
// The bridge numbers what it keeps (held failures, reconciliation
// passes) from 1.
package ids

import (
	"github.com/google/uuid"

	"github.com/seamhq/seam/platform/errs"
)

// uuidLen is the length of a UUID in its canonical form.
const uuidLen = 36

// NotUUID describes an id that is not a UUID in its canonical form, for
// callers that name the field themselves (a filter's value, say).
const NotUUID = "must be a UUID like 0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f"

// Canonical returns the lower-case form of s and reports whether s is a
// UUID in its 36-character form, in either case.
func Canonical(s string) (string, bool) {
	if len(s) != uuidLen {
		return "", false
	}
	u, err := uuid.Parse(s)
	if err != nil {
		return "", false
	}
	return u.String(), true
}

// UUID returns the id a caller sent in field in its canonical lower-case
// form. An empty id, or one in any other form, is INVALID_ARGUMENT naming
// field.
func UUID(field, s string) (string, error) {
	if s == "" {
		return "", errs.Invalid(field, "is required")
	}
	return OptionalUUID(field, s)
}

// OptionalUUID is UUID for a field that may be left empty: "" is no id
// and is returned as it is.
func OptionalUUID(field, s string) (string, error) {
	if s == "" {
		return "", nil
	}
	id, ok := Canonical(s)
	if !ok {
		return "", errs.Invalid(field, NotUUID)
	}
	return id, nil
}

// Normalize rewrites *id, an optional id a caller sent in field, to its
// canonical form, or adds a violation of field to v when it is not a
// UUID in its 36-character form. "" is no id and stays as it is.
func Normalize(v *errs.Violations, field string, id *string) {
	if *id == "" {
		return
	}
	c, ok := Canonical(*id)
	if !ok {
		v.Add(field, NotUUID)
		return
	}
	*id = c
}

// Positive checks an id the bridge numbered: anything below 1 is
// INVALID_ARGUMENT naming field.
func Positive(field string, id int64) error {
	if id < 1 {
		return errs.Invalid(field, "must be a positive integer")
	}
	return nil
}
