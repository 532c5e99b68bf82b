package pg

import (
	"errors"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// SQLSTATE codes the predicates below look for.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeCheckViolation       = "23514"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
)

// IsUniqueViolation reports whether err (or an error it wraps) is a unique
// violation on the named constraint, or on any constraint when constraint is
// "". Name constraints in migrations so storage code can tell them apart.
func IsUniqueViolation(err error, constraint string) bool {
	return isViolation(err, codeUniqueViolation, constraint)
}

// IsForeignKeyViolation reports whether err is a foreign key violation on the
// named constraint, or on any constraint when constraint is "".
func IsForeignKeyViolation(err error, constraint string) bool {
	return isViolation(err, codeForeignKeyViolation, constraint)
}

// IsCheckViolation reports whether err is a check constraint violation on
// the named constraint, or on any constraint when constraint is "".
func IsCheckViolation(err error, constraint string) bool {
	return isViolation(err, codeCheckViolation, constraint)
}

// IsNoRows reports whether err says a query that must return a row returned
// none.
func IsNoRows(err error) bool {
	return errors.Is(err, pgx.ErrNoRows)
}

func isViolation(err error, code, constraint string) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != code {
		return false
	}
	return constraint == "" || pgErr.ConstraintName == constraint
}

// IsUnavailable reports whether err is the database being out of reach
// rather than a fault of the call: a refused or broken connection, or
// PostgreSQL's connection exceptions (class 08), shutdown and start-up
// states (57P01 to 57P03) and too many connections (53300). A caller may
// retry those.
func IsUnavailable(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		code := pgErr.Code
		return strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03" || code == "53300"
	}
	return false
}

func hasCode(err error, code string) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == code
}

// retryable reports whether a transaction that failed with err may succeed
// when run again from the start.
func retryable(err error) bool {
	return errors.Is(err, ErrRetry) || hasCode(err, codeSerializationFailure) || hasCode(err, codeDeadlockDetected)
}
