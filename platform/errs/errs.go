// Package errs is the error model every service shares: a small set of
// kinds that map one to one onto gRPC codes, messages that are safe to show
// a caller, and per-field violations for bad input.
//
// Domain and storage code return errors built here (wrapped with context as
// they travel up); one interceptor turns them into gRPC statuses, and the
// REST gateway derives the HTTP status from the gRPC code.
package errs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind classifies an error by what the caller should do about it.
type Kind uint8

// The kinds, each named after the gRPC code it becomes.
const (
	Internal Kind = iota
	InvalidArgument
	NotFound
	AlreadyExists
	FailedPrecondition
	Aborted
	PermissionDenied
	Unauthenticated
	ResourceExhausted
	Unavailable
)

var kindNames = [...]string{
	Internal:           "internal",
	InvalidArgument:    "invalid argument",
	NotFound:           "not found",
	AlreadyExists:      "already exists",
	FailedPrecondition: "failed precondition",
	Aborted:            "aborted",
	PermissionDenied:   "permission denied",
	Unauthenticated:    "unauthenticated",
	ResourceExhausted:  "resource exhausted",
	Unavailable:        "unavailable",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// FieldViolation names one bad field of a request and what is wrong with it.
// Field is a path in the request's proto field names, e.g.
// "opportunity.lines[2].quantity".
type FieldViolation struct {
	Field       string
	Description string
}

// Error is an error with a kind and a message meant for the caller.
type Error struct {
	Kind       Kind
	Message    string
	Violations []FieldViolation
	// Cause is kept for logs and errors.Is; it is never shown to callers.
	Cause error
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	for _, v := range e.Violations {
		fmt.Fprintf(&b, "; %s: %s", v.Field, v.Description)
	}
	if e.Cause != nil {
		fmt.Fprintf(&b, ": %v", e.Cause)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Cause }

// Is reports whether target is the sentinel of e's kind, so that
// errors.Is(err, errs.ErrNotFound) holds for every not-found error.
func (e *Error) Is(target error) bool {
	s, ok := target.(*sentinel)
	return ok && s.kind == e.Kind
}

type sentinel struct{ kind Kind }

func (s *sentinel) Error() string { return s.kind.String() }

// Sentinels for errors.Is checks, one per kind.
var (
	ErrInvalidArgument    error = &sentinel{InvalidArgument}
	ErrNotFound           error = &sentinel{NotFound}
	ErrAlreadyExists      error = &sentinel{AlreadyExists}
	ErrFailedPrecondition error = &sentinel{FailedPrecondition}
	ErrAborted            error = &sentinel{Aborted}
	ErrPermissionDenied   error = &sentinel{PermissionDenied}
	ErrUnauthenticated    error = &sentinel{Unauthenticated}
	ErrResourceExhausted  error = &sentinel{ResourceExhausted}
	ErrUnavailable        error = &sentinel{Unavailable}
)

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// New returns an error of the given kind with a caller-facing message.
func New(kind Kind, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an error of the given kind whose message is shown to the
// caller while cause is kept for logs.
func Wrap(kind Kind, cause error, format string, args ...any) error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...), Cause: cause}
}

// NotFoundf reports a missing resource: NotFoundf("account %q", id).
func NotFoundf(format string, args ...any) error {
	return New(NotFound, format+" not found", args...)
}

// AlreadyExistsf reports a conflict with an existing resource.
func AlreadyExistsf(format string, args ...any) error { return New(AlreadyExists, format, args...) }

// FailedPreconditionf reports a business rule that forbids the operation in
// the resource's current state.
func FailedPreconditionf(format string, args ...any) error {
	return New(FailedPrecondition, format, args...)
}

// Abortedf reports a concurrency conflict, such as a stale etag.
func Abortedf(format string, args ...any) error { return New(Aborted, format, args...) }

// PermissionDeniedf reports an authenticated caller lacking a role.
func PermissionDeniedf(format string, args ...any) error {
	return New(PermissionDenied, format, args...)
}

// Unauthenticatedf reports a missing or bad credential.
func Unauthenticatedf(format string, args ...any) error { return New(Unauthenticated, format, args...) }

// Unavailablef reports a dependency that cannot be reached right now.
func Unavailablef(format string, args ...any) error { return New(Unavailable, format, args...) }

// Invalid reports one bad field.
func Invalid(field, format string, args ...any) error {
	var v Violations
	v.Add(field, format, args...)
	return v.Err()
}

// StaleEtag is the error for an update whose etag no longer matches.
func StaleEtag(resource string) error {
	return Abortedf("%s was changed by someone else (etag mismatch); read it again and retry", resource)
}

// Violations collects field violations while a request is validated, so a
// caller learns about every bad field at once.
type Violations struct {
	list []FieldViolation
}

// Add records a violation of field.
func (v *Violations) Add(field, format string, args ...any) {
	v.list = append(v.list, FieldViolation{Field: field, Description: clip(fmt.Sprintf(format, args...))})
}

// MaxDescription bounds a violation's description in bytes. Descriptions
// quote the value they refuse; a value of 100,000 characters is not
// echoed back whole (nor, over gRPC, put in a header).
const MaxDescription = 512

// clip cuts s to MaxDescription bytes at a character boundary, marking
// the cut with "…".
func clip(s string) string {
	if len(s) <= MaxDescription {
		return s
	}
	cut := MaxDescription - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// Merge records the violations carried by err under prefix, or returns err
// unchanged when it carries none (and is not nil).
func (v *Violations) Merge(prefix string, err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if !errors.As(err, &e) || e.Kind != InvalidArgument || len(e.Violations) == 0 {
		return err
	}
	for _, fv := range e.Violations {
		field := fv.Field
		if prefix != "" {
			field = prefix + "." + field
		}
		v.list = append(v.list, FieldViolation{Field: field, Description: fv.Description})
	}
	return nil
}

// Len is the number of violations so far.
func (v *Violations) Len() int { return len(v.list) }

// Err returns an InvalidArgument error listing every violation, or nil.
func (v *Violations) Err() error {
	if len(v.list) == 0 {
		return nil
	}
	msg := "invalid " + v.list[0].Field + ": " + v.list[0].Description
	if len(v.list) > 1 {
		msg = fmt.Sprintf("%d invalid fields, first %s: %s", len(v.list), v.list[0].Field, v.list[0].Description)
	}
	return &Error{Kind: InvalidArgument, Message: msg, Violations: append([]FieldViolation(nil), v.list...)}
}

// CheckEtag compares the etag a caller sent with the current one of a
// resource (a version number): "" skips the check, and the quoted form of
// an HTTP ETag header, weak or not, is the same etag. Anything that is not
// a version this API hands out is INVALID_ARGUMENT on field "etag";
// another version is ABORTED (StaleEtag).
func CheckEtag(sent, current, resource string) error {
	n, err := ParseEtag("etag", sent)
	if err != nil || n == 0 {
		return err
	}
	if strconv.FormatInt(n, 10) != current {
		return StaleEtag(resource)
	}
	return nil
}

// ParseEtag reads an etag a caller sent, a version number: "" is none (0),
// and the quoted form of an HTTP ETag header, weak or not, is the same
// etag. Anything else is INVALID_ARGUMENT on field.
func ParseEtag(field, etag string) (int64, error) {
	etag = strings.Trim(strings.TrimPrefix(etag, "W/"), `"`)
	if etag == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(etag, 10, 64)
	if err != nil || n <= 0 {
		return 0, Invalid(field, "is not an etag returned by this API")
	}
	return n, nil
}
