// Package upsert holds what the batch imports of accounts, contacts and
// leads share: the modes, the outcome of each row, and how a batch's
// results decide whether it is written.
package upsert

import (
	"errors"

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
