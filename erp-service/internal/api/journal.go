package api

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/money"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// CreateJournalEntry posts a manual entry (ledger.ValidateManual,
// ledger.CheckAccounts).
func (h *Ledger) CreateJournalEntry(ctx context.Context, req *erpv1.CreateJournalEntryRequest) (*erpv1.JournalEntry, error) {
	pe := req.GetJournalEntry()
	var v errs.Violations
	e := ledger.Entry{Memo: ledger.NormalizeMemo(pe.GetMemo()), Currency: pe.GetCurrencyCode()}
	date, err := parseDate("entry_date", pe.GetEntryDate())
	mustMerge(&v, err)
	e.Date = date
	for i, pl := range pe.GetLines() {
		f := fmt.Sprintf("lines[%d].", i)
		l := ledger.Line{Account: pl.GetAccountCode()}
		l.Debit = lineAmount(&v, f+"debit", e.Currency, pl.GetDebit())
		l.Credit = lineAmount(&v, f+"credit", e.Currency, pl.GetCredit())
		e.Lines = append(e.Lines, l)
	}
	if err := combine("journal_entry", v.Err(), ledger.ValidateManual(e, time.Now())); err != nil {
		return nil, err
	}
	id, err := newID()
	if err != nil {
		return nil, err
	}
	out, err := h.store.CreateManualEntry(ctx, ledger.NewManual(e, id), req.GetRequestId())
	if err != nil {
		return nil, prefixFields("journal_entry", err)
	}
	return entryToProto(out), nil
}

// lineAmount is a manual line's debit or credit (field): zero when unset,
// in the entry's currency (an amount without a currency code is in it).
// Its places are checked with the line (ledger.ValidateManual).
func lineAmount(v *errs.Violations, field, currency string, m *moneyv1.Money) decimal.Decimal {
	if m == nil || m.GetAmount() == "" {
		return decimal.Zero
	}
	if c := m.GetCurrencyCode(); c != "" && c != currency {
		v.Add(field+".currency_code", "must be the entry's currency_code %q, got %q", currency, c)
		return decimal.Zero
	}
	d, err := money.ParseDecimal(m.GetAmount())
	if err != nil {
		v.Add(field+".amount", "%v", err)
		return decimal.Zero
	}
	return d
}

// ReverseJournalEntry reverses a manual entry once (ledger.ReverseManual).
func (h *Ledger) ReverseJournalEntry(ctx context.Context, req *erpv1.ReverseJournalEntryRequest) (*erpv1.JournalEntry, error) {
	id, err := ids.UUID("id", req.GetId())
	if err != nil {
		return nil, err
	}
	var v errs.Violations
	reason, err := reverseReason(req.GetReason(), ledger.MaxMemoLength)
	mustMerge(&v, err)
	date, err := parseDate("reversal_date", req.GetReversalDate())
	mustMerge(&v, err)
	if err == nil {
		mustMerge(&v, ledger.CheckReversalDate(date, time.Now()))
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	rid, err := newID()
	if err != nil {
		return nil, err
	}
	out, err := h.store.ReverseManualEntry(ctx, id, ledger.ManualReversal{Reason: reason, Date: date}, rid, req.GetRequestId())
	if err != nil {
		return nil, err
	}
	return entryToProto(out), nil
}

// reverseReason is a reversal's reason, trimmed: required, at most max
// characters.
func reverseReason(s string, limit int) (string, error) {
	r := ledger.NormalizeMemo(s)
	switch {
	case r == "":
		return "", errs.Invalid("reason", "is required: say why it is reversed")
	case utf8.RuneCountInString(r) > limit:
		return "", errs.Invalid("reason", "must be at most %d characters", limit)
	}
	return r, nil
}
