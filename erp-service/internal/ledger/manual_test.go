package ledger

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/errs"
)

func debit(acct, amount string) Line  { return Line{Account: acct, Debit: d(amount), Credit: d("0")} }
func credit(acct, amount string) Line { return Line{Account: acct, Debit: d("0"), Credit: d(amount)} }

// fieldsOf is the fields an INVALID_ARGUMENT names; nil for another error.
func fieldsOf(err error) []string {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
		return nil
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestValidateManual(t *testing.T) {
	t.Parallel()
	now := time.Date(2030, 5, 10, 12, 0, 0, 0, time.UTC)
	ok := Entry{Memo: "accrual", Currency: "EUR", Lines: []Line{debit(Revenue, "10.50"), credit(Cash, "10"), credit(Cash, "0.5")}}
	if err := ValidateManual(ok, now); err != nil {
		t.Errorf("balanced entry: %v", err)
	}
	for _, tc := range []struct {
		name  string
		edit  func(*Entry)
		field string
	}{
		{"unbalanced", func(e *Entry) { e.Lines[2] = credit(Cash, "0.49") }, "lines"},
		{"no memo", func(e *Entry) { e.Memo = "" }, "memo"},
		{"long memo", func(e *Entry) { e.Memo = strings.Repeat("é", MaxMemoLength+1) }, "memo"},
		{"unknown currency", func(e *Entry) { e.Currency = "XXY" }, "currency_code"},
		{"one line", func(e *Entry) { e.Lines = e.Lines[:1] }, "lines"},
		{"no account", func(e *Entry) { e.Lines[0].Account = "" }, "lines[0].account_code"},
		{"both sides", func(e *Entry) { e.Lines[1].Debit = d("1") }, "lines[1].debit"},
		{"neither side", func(e *Entry) { e.Lines[1].Credit = d("0") }, "lines[1].debit"},
		{"negative", func(e *Entry) { e.Lines[1] = credit(Cash, "-10") }, "lines[1].credit"},
		{"sub-cent", func(e *Entry) { e.Lines[2] = credit(Cash, "0.505") }, "lines[2].credit"},
		{"JPY decimals", func(e *Entry) {
			e.Currency, e.Lines = "JPY", []Line{debit(Revenue, "10.5"), credit(Cash, "10"), credit(Cash, "1")}
		}, "lines[0].debit"},
		{"two days ahead", func(e *Entry) { e.Date = time.Date(2030, 5, 12, 0, 0, 0, 0, time.UTC) }, "entry_date"},
	} {
		e := ok
		e.Lines = append([]Line(nil), ok.Lines...)
		tc.edit(&e)
		if got := fieldsOf(ValidateManual(e, now)); len(got) != 1 || got[0] != tc.field {
			t.Errorf("%s: fields %v, want [%s]", tc.name, got, tc.field)
		}
	}
	// Tomorrow is allowed (time zones ahead of UTC).
	e := ok
	e.Date = time.Date(2030, 5, 11, 0, 0, 0, 0, time.UTC)
	if err := ValidateManual(e, now); err != nil {
		t.Errorf("dated tomorrow: %v", err)
	}
	// The unbalanced message names both sums.
	e.Lines = []Line{debit(Revenue, "10"), credit(Cash, "9")}
	if err := ValidateManual(e, now); err == nil || !strings.Contains(err.Error(), "debits 10.00, credits 9.00 (a difference of 1.00)") {
		t.Errorf("unbalanced: %v", err)
	}
	// In the currency's minor units, as the amounts are shown elsewhere.
	e.Currency, e.Lines = "KWD", []Line{debit(Revenue, "1.5"), credit(Cash, "1.499")}
	if err := ValidateManual(e, now); err == nil || !strings.Contains(err.Error(), "debits 1.500, credits 1.499 (a difference of 0.001)") {
		t.Errorf("unbalanced in KWD: %v", err)
	}
}

func TestCheckAccounts(t *testing.T) {
	t.Parallel()
	known := func(c string) bool { return c != "9999" }
	if err := CheckAccounts(Entry{Lines: []Line{debit(Revenue, "1"), credit(Cash, "1")}}, known); err != nil {
		t.Errorf("ordinary accounts: %v", err)
	}
	if got := fieldsOf(CheckAccounts(Entry{Lines: []Line{debit("9999", "1"), credit(AccountsReceivable, "1")}}, known)); len(got) != 1 || got[0] != "lines[0].account_code" {
		t.Errorf("unknown account: %v", got)
	}
	for acct := range ControlAccounts {
		err := CheckAccounts(Entry{Lines: []Line{debit(Cash, "1"), credit(acct, "1")}}, known)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].account_code" ||
			!strings.Contains(e.Message, "must equal") {
			t.Errorf("control account %s: %v", acct, err)
		}
	}
}

func TestReverseManual(t *testing.T) {
	t.Parallel()
	e := NewManual(Entry{Memo: "m", Currency: "EUR", Lines: []Line{debit(Revenue, "2"), credit(Cash, "2")}}, "e1")
	if e.Kind != KindManual || e.Reference != "journalEntries/e1" {
		t.Errorf("manual = %+v", e)
	}
	r, err := ReverseManual(e, "", ManualReversal{Reason: "typo"}, "r1")
	if err != nil || r.ID != "r1" || r.Kind != KindManualReversal || r.ReversesID != "e1" || r.Memo != "typo" || r.Reference != e.Reference ||
		!r.Lines[0].Credit.Equal(d("2")) || r.Check() != nil {
		t.Errorf("reversal = %+v %v", r, err)
	}
	if _, err := ReverseManual(e, "r0", ManualReversal{Reason: "again"}, "r2"); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("reversed twice: %v", err)
	}
	if _, err := ReverseManual(r, "", ManualReversal{Reason: "undo"}, "r3"); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("reversal of a reversal: %v", err)
	}
	// A chosen date: from the entry's date on, and not after tomorrow.
	e.Date = time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
	if r, err := ReverseManual(e, "", ManualReversal{Reason: "accrual", Date: e.Date.AddDate(0, 0, 1)}, "r5"); err != nil || !r.Date.Equal(e.Date.AddDate(0, 0, 1)) {
		t.Errorf("reversal on April 1 = %+v %v", r, err)
	}
	if _, err := ReverseManual(e, "", ManualReversal{Reason: "accrual", Date: e.Date.AddDate(0, 0, -1)}, "r6"); !errors.Is(err, errs.ErrInvalidArgument) ||
		!strings.Contains(err.Error(), "reversal_date") || !strings.Contains(err.Error(), "2026-03-31") {
		t.Errorf("reversal before the entry: %v", err)
	}
	now := time.Date(2026, 4, 10, 23, 0, 0, 0, time.UTC)
	if err := CheckReversalDate(time.Date(2026, 4, 11, 0, 0, 0, 0, time.UTC), now); err != nil {
		t.Errorf("reversal tomorrow: %v", err)
	}
	if err := CheckReversalDate(time.Date(2026, 4, 12, 0, 0, 0, 0, time.UTC), now); !errors.Is(err, errs.ErrInvalidArgument) || !strings.Contains(err.Error(), "reversal_date") {
		t.Errorf("reversal in two days: %v", err)
	}
	inv := Entry{ID: "i1", Kind: KindInvoice, Reference: "invoices/x"}
	if _, err := ReverseManual(inv, "", ManualReversal{Reason: "undo"}, "r4"); err == nil || !strings.Contains(err.Error(), "journal entry i1 is an invoice entry, not a manual one") {
		t.Errorf("reversal of an invoice entry: %v", err)
	}
}
