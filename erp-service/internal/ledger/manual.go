package ledger

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// Limits of a manual entry.
const (
	MaxMemoLength   = 500 // characters, of a memo and of a reversal's reason
	MaxManualLines  = 100
	MaxDaysAhead    = 1 // how far after today (UTC) a manual entry may be dated
	manualReference = "journalEntries/"
)

// ControlAccounts are the accounts a manual entry may not post to, each
// with why: a subledger's documents post them, and their balance must stay
// equal to what those documents add up to. A manual line on one would
// break that equality for good (nothing in the subledger would show it,
// and no document could take it back).
var ControlAccounts = map[string]string{
	AccountsReceivable: "1100 Accounts receivable must equal the open invoices: post invoices, payments, refunds or voids instead",
	Inventory:          "1200 Inventory must equal the stock valuation: adjust stock or revalue items instead",
	AccountsPayable:    "2000 Accounts payable must equal the open supplier bills plus goods received and not billed: record bills, supplier payments or purchase returns instead",
}

// ManualReference is the journal reference of manual entry id (its own
// id) and of its reversal.
func ManualReference(id string) string { return manualReference + id }

// NormalizeMemo trims a memo or reason.
func NormalizeMemo(s string) string { return strings.TrimSpace(s) }

// ValidateManual checks a manual entry as entered, without looking
// anything up: a memo (trimmed), a known currency, a date (zero for today)
// not after today (UTC) plus MaxDaysAhead, 2 to MaxManualLines lines each
// on an account with exactly one positive side in the currency's minor
// units, and debits equal to credits (INVALID_ARGUMENT on lines, naming
// both sums, when they are not).
func ValidateManual(e Entry, now time.Time) error {
	var v errs.Violations
	if e.Memo == "" || utf8.RuneCountInString(e.Memo) > MaxMemoLength {
		v.Add("memo", "must be 1 to %d characters: say what the entry is for", MaxMemoLength)
	}
	curOK := money.CheckCode(e.Currency) == nil
	if !curOK {
		v.Add("currency_code", "must be a known ISO 4217 currency code, got %q", e.Currency)
	}
	if latest := civil.Today(now).AddDate(0, 0, MaxDaysAhead); e.Date.After(latest) {
		v.Add("entry_date", "must not be after %s", civil.FormatDate(latest))
	}
	switch {
	case len(e.Lines) < 2:
		v.Add("lines", "at least two lines are required (a debit and a credit)")
	case len(e.Lines) > MaxManualLines:
		v.Add("lines", "at most %d lines", MaxManualLines)
	}
	d, c := decimal.Zero, decimal.Zero
	linesOK := true
	for i, l := range e.Lines {
		f := fmt.Sprintf("lines[%d].", i)
		if l.Account == "" {
			v.Add(f+"account_code", "is required")
			linesOK = false
		}
		switch {
		case l.Debit.IsNegative():
			v.Add(f+"debit", "must not be negative: post a credit instead")
			linesOK = false
		case l.Credit.IsNegative():
			v.Add(f+"credit", "must not be negative: post a debit instead")
			linesOK = false
		case l.Debit.IsPositive() == l.Credit.IsPositive():
			v.Add(f+"debit", "exactly one of debit and credit must be positive")
			linesOK = false
		case curOK && (money.Places(l.Debit) > money.MinorUnits(e.Currency) || money.Places(l.Credit) > money.MinorUnits(e.Currency)):
			side := "debit"
			if l.Credit.IsPositive() {
				side = "credit"
			}
			v.Add(f+side, "%s allows at most %d decimal places", e.Currency, money.MinorUnits(e.Currency))
			linesOK = false
		case !money.Fits(l.Debit) || !money.Fits(l.Credit):
			v.Add(f+"debit", "has too many digits")
			linesOK = false
		}
		d, c = d.Add(l.Debit), c.Add(l.Credit)
	}
	if linesOK && len(e.Lines) >= 2 && !d.Equal(c) {
		amt := func(x decimal.Decimal) string { return x.String() }
		if curOK {
			amt = func(x decimal.Decimal) string { return money.Money{Currency: e.Currency, Amount: x}.Format() }
		}
		v.Add("lines", "do not balance: debits %s, credits %s (a difference of %s)", amt(d), amt(c), amt(d.Sub(c).Abs()))
	}
	return v.Err()
}

// CheckAccounts reports whether manual entry e's lines post to accounts
// that exist (known says which do; INVALID_ARGUMENT naming
// lines[i].account_code) and that are no control account
// (FAILED_PRECONDITION naming it, saying why).
func CheckAccounts(e Entry, known func(code string) bool) error {
	var v errs.Violations
	var control []errs.FieldViolation
	for i, l := range e.Lines {
		f := fmt.Sprintf("lines[%d].account_code", i)
		if !known(l.Account) {
			v.Add(f, "no account has code %q", l.Account)
			continue
		}
		if why, ok := ControlAccounts[l.Account]; ok {
			control = append(control, errs.FieldViolation{Field: f, Description: "a manual entry cannot post to a control account: " + why})
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(control) > 0 {
		return &errs.Error{Kind: errs.FailedPrecondition, Violations: control,
			Message: fmt.Sprintf("%s: %s", control[0].Field, control[0].Description)}
	}
	return nil
}

// NewManual is validated manual entry e (ValidateManual) ready to post,
// with id: kind KindManual, referencing itself.
func NewManual(e Entry, id string) Entry {
	e.ID, e.Kind, e.Reference, e.ReversesID = id, KindManual, ManualReference(id), ""
	return e
}

// ManualReversal is what a person says when reversing a manual entry.
type ManualReversal struct {
	// Reason is why (the reversal's memo), trimmed (NormalizeMemo).
	Reason string
	// Date is the day the reversal posts on (UTC midnight), or zero for the
	// day it posts: a chosen date reverses an accrual on the first day of
	// the next period, say.
	Date time.Time
}

// CheckReversalDate checks a chosen reversal date as entered: not after
// today (UTC) plus MaxDaysAhead, as a manual entry's. Zero (today) is
// fine.
func CheckReversalDate(d, now time.Time) error {
	if latest := civil.Today(now).AddDate(0, 0, MaxDaysAhead); d.After(latest) {
		return errs.Invalid("reversal_date", "must not be after %s", civil.FormatDate(latest))
	}
	return nil
}

// ReverseManual is the reversal of manual entry e for r, with id: e's
// lines with the sides swapped, r's reason as its memo, dated on r's date
// or, without one, when it posts (on the first open day when that is
// later, and never before e). A chosen date before e's is
// INVALID_ARGUMENT naming reversal_date; one in the closed period is
// refused when it posts. An entry that is no manual one is
// FAILED_PRECONDITION: the document that posted it is what is corrected;
// one reversed already (reversedBy, the reversal's id, not empty) too.
func ReverseManual(e Entry, reversedBy string, r ManualReversal, id string) (Entry, error) {
	if e.Kind != KindManual {
		article := "a"
		if e.Kind != "" && strings.ContainsRune("aeiou", rune(e.Kind[0])) {
			article = "an"
		}
		return Entry{}, errs.FailedPreconditionf("journal entry %s is %s %s entry, not a manual one: correct the document that posted it (%s) instead",
			e.ID, article, e.Kind, e.Reference)
	}
	if reversedBy != "" {
		return Entry{}, errs.FailedPreconditionf("journal entry %s is reversed already, by entry %s: an entry is reversed once", e.ID, reversedBy)
	}
	if !r.Date.IsZero() && r.Date.Before(e.Date) {
		return Entry{}, errs.Invalid("reversal_date", "must not be before %s, the date of the entry it reverses", civil.FormatDate(e.Date))
	}
	out := e.Reverse(KindManualReversal, e.Reference)
	out.ID, out.Memo, out.Date = id, r.Reason, r.Date
	return out, nil
}

// ManualStore posts manual entries and their reversals.
type ManualStore interface {
	// GetEntry reads one entry of the journal.
	GetEntry(ctx context.Context, id string) (Entry, error)
	// CreateManualEntry checks e's accounts (CheckAccounts) and posts
	// e, made by NewManual. A requestID seen before returns its entry.
	CreateManualEntry(ctx context.Context, e Entry, requestID string) (Entry, error)
	// ReverseManualEntry posts the reversal (ReverseManual) of manual
	// entry id, with id reversalID; two reversals of one entry, however
	// concurrent, never both post. A chosen date in the closed period is
	// FAILED_PRECONDITION naming reversal_date. A requestID seen before
	// returns its reversal.
	ReverseManualEntry(ctx context.Context, id string, r ManualReversal, reversalID, requestID string) (Entry, error)
}
