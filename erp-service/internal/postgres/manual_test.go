package postgres_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// manual is a valid manual entry in EUR of debit/credit pairs
// (account, amount), debits first.
func manual(t *testing.T, memo string, date time.Time, lines ...ledger.Line) ledger.Entry {
	t.Helper()
	e := ledger.Entry{Memo: memo, Currency: "EUR", Date: date, Lines: lines}
	if err := ledger.ValidateManual(e, time.Now()); err != nil {
		t.Fatal(err)
	}
	return ledger.NewManual(e, newID(t))
}

func dr(account, amount string) ledger.Line {
	return ledger.Line{Account: account, Debit: dec(amount), Credit: dec("0")}
}

func cr(account, amount string) ledger.Line {
	return ledger.Line{Account: account, Debit: dec("0"), Credit: dec(amount)}
}

// manualEntries lists the entries of a kind.
func entriesOfKind(t *testing.T, s *postgres.Store, kind string) []ledger.Entry {
	t.Helper()
	conds, err := listing.ParseFilter(`kind = "`+kind+`"`, ledger.FilterFields...)
	if err != nil {
		t.Fatal(err)
	}
	list, _, err := s.ListEntries(context.Background(), ledger.ListQuery{Filter: conds, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// A manual entry posts on accounts that are no control account, dated as
// given (today by default), with its memo; it shows in the journal (kind
// manual) and the trial balance. A retry with its request id posts
// nothing more.
func TestManualJournalEntry(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()

	// One debit against two credits.
	e := manual(t, "  bank charges March  ", time.Time{}, dr(ledger.InventoryAdjustments, "100.50"), cr(ledger.Cash, "60.25"), cr(ledger.Cash, "40.25"))
	got, err := s.CreateManualEntry(ctx, e, "manual-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != e.ID || got.Kind != ledger.KindManual || got.Reference != "journalEntries/"+e.ID || got.Memo != e.Memo ||
		!got.Date.Equal(utcToday()) || len(got.Lines) != 3 || got.Lines[0].AccountName == "" || got.Lines[2].Credit.String() != "40.25" {
		t.Errorf("manual entry = %+v", got)
	}
	// The retry answers the first entry and posts nothing.
	rows := journalRows(t, pool)
	again := manual(t, "bank charges March", time.Time{}, dr(ledger.InventoryAdjustments, "100.50"), cr(ledger.Cash, "100.50"))
	if got2, err := s.CreateManualEntry(ctx, again, "manual-1"); err != nil || got2.ID != e.ID {
		t.Errorf("retry = %+v %v, want entry %s", got2, err, e.ID)
	}
	if journalRows(t, pool) != rows {
		t.Error("the retry posted")
	}
	if list := entriesOfKind(t, s, ledger.KindManual); len(list) != 1 || list[0].ID != e.ID || list[0].Memo != e.Memo {
		t.Errorf("manual entries = %+v", list)
	}
	bal := checkJournal(t, s, pool)
	if bal[ledger.InventoryAdjustments] != "100.5" || bal[ledger.Cash] != "-100.5" {
		t.Errorf("trial balance = %v", bal)
	}

	// Dated yesterday, it is in yesterday's period.
	y := utcToday().AddDate(0, 0, -1)
	if got, err := s.CreateManualEntry(ctx, manual(t, "yesterday", y, dr(ledger.Revenue, "1"), cr(ledger.TaxPayable, "1")), ""); err != nil || !got.Date.Equal(y) {
		t.Errorf("dated yesterday = %+v %v", got, err)
	}
	// An unknown account is INVALID_ARGUMENT naming its line.
	_, err = s.CreateManualEntry(ctx, manual(t, "x", time.Time{}, dr("9999", "1"), cr(ledger.Cash, "1")), "")
	var fe *errs.Error
	if !errors.As(err, &fe) || fe.Kind != errs.InvalidArgument || len(fe.Violations) != 1 || fe.Violations[0].Field != "lines[0].account_code" {
		t.Errorf("unknown account: %v", err)
	}
}

// Manual lines on the control accounts, whose balances must equal their
// subledgers (1100 the open invoices, 1200 the stock valuation, 2000 the
// open bills and what is received unbilled), are refused, saying why.
func TestManualEntryRefusesControlAccounts(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	rows := journalRows(t, pool)
	for _, acct := range []string{ledger.AccountsReceivable, ledger.Inventory, ledger.AccountsPayable} {
		for i, e := range []ledger.Entry{
			manual(t, "fix "+acct, time.Time{}, dr(acct, "10"), cr(ledger.Cash, "10")),
			manual(t, "fix "+acct, time.Time{}, dr(ledger.Cash, "10"), cr(acct, "10")),
		} {
			_, err := s.CreateManualEntry(ctx, e, "")
			field := "lines[0].account_code"
			if i == 1 {
				field = "lines[1].account_code"
			}
			if !failedOn(err, field) || !strings.Contains(err.Error(), acct+" ") || !strings.Contains(err.Error(), "must equal") {
				t.Errorf("manual line on %s: %v, want FAILED_PRECONDITION on %s saying why", acct, err, field)
			}
		}
	}
	if journalRows(t, pool) != rows {
		t.Error("refused entries posted")
	}
}

// A manual entry dated in the closed period is refused like any posting;
// its reversal, the entry being in a closed period, goes to the first open
// day.
func TestManualEntryClosedPeriod(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	today := utcToday()
	posted, err := s.CreateManualEntry(ctx, manual(t, "before the close", today.AddDate(0, 0, -1), dr(ledger.Revenue, "5"), cr(ledger.Cash, "5")), "")
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, s, today.AddDate(0, 0, -1))
	rows := journalRows(t, pool)
	_, err = s.CreateManualEntry(ctx, manual(t, "late", today.AddDate(0, 0, -2), dr(ledger.Revenue, "5"), cr(ledger.Cash, "5")), "")
	closedErrAt(t, "manual entry dated in the closed period", err, today.AddDate(0, 0, -1), "entry_date")
	if journalRows(t, pool) != rows {
		t.Error("the refused entry posted")
	}
	r, err := s.ReverseManualEntry(ctx, posted.ID, ledger.ManualReversal{Reason: "wrong account"}, newID(t), "")
	if err != nil || !r.Date.Equal(today) || r.ReversesID != posted.ID {
		t.Errorf("reversal of an entry in the closed period = %+v %v, want dated %s", r, err, today.Format(time.DateOnly))
	}
	// Closed through today, a manual entry of today is refused too.
	mustClose(t, s, today)
	_, err = s.CreateManualEntry(ctx, manual(t, "today", time.Time{}, dr(ledger.Revenue, "5"), cr(ledger.Cash, "5")), "")
	closedErr(t, "manual entry of today, closed through today", err, today)
}

// A manual entry is reversed once, with its reason as the reversal's memo
// and its lines' sides swapped; however many reversals race, one posts.
// Entries posted by documents are not reversed by hand.
func TestReverseManualEntry(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	e, err := s.CreateManualEntry(ctx, manual(t, "accrual", time.Time{}, dr(ledger.CostOfGoodsSold, "12.34"), cr(ledger.TaxPayable, "12.34")), "")
	if err != nil {
		t.Fatal(err)
	}
	const n = 6
	var wg sync.WaitGroup
	results := make([]ledger.Entry, n)
	errList := make([]error, n)
	for i := range n {
		wg.Go(func() {
			results[i], errList[i] = s.ReverseManualEntry(ctx, e.ID, ledger.ManualReversal{Reason: "posted twice"}, newID(t), "")
		})
	}
	wg.Wait()
	var won ledger.Entry
	ok := 0
	for i, err := range errList {
		switch {
		case err == nil:
			ok, won = ok+1, results[i]
		case !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "reversed already"):
			t.Errorf("racing reversal: %v", err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d of %d racing reversals posted, want 1", ok, n)
	}
	if won.Kind != ledger.KindManualReversal || won.ReversesID != e.ID || won.Memo != "posted twice" || won.Reference != e.Reference ||
		!won.Lines[0].Credit.Equal(dec("12.34")) || won.Lines[0].Account != ledger.CostOfGoodsSold || !won.Lines[1].Debit.Equal(dec("12.34")) {
		t.Errorf("reversal = %+v", won)
	}
	// Once more, later: refused, naming the reversal.
	if _, err := s.ReverseManualEntry(ctx, e.ID, ledger.ManualReversal{Reason: "again"}, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), won.ID) {
		t.Errorf("second reversal: %v", err)
	}
	// A reversal is no manual entry; neither reverses.
	if _, err := s.ReverseManualEntry(ctx, won.ID, ledger.ManualReversal{Reason: "undo"}, newID(t), ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("reversal of the reversal: %v", err)
	}
	if _, err := s.ReverseManualEntry(ctx, newID(t), ledger.ManualReversal{Reason: "undo"}, newID(t), ""); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("reversal of no entry: %v", err)
	}
	if bal := checkJournal(t, s, pool); bal[ledger.CostOfGoodsSold] != "0" || bal[ledger.TaxPayable] != "0" {
		t.Errorf("balances after the reversal = %v", bal)
	}
	if list := entriesOfKind(t, s, ledger.KindManualReversal); len(list) != 1 || list[0].ID != won.ID {
		t.Errorf("reversals listed = %+v", list)
	}
}

// A reversal may be dated on a chosen day, such as an accrual's on the
// first day of the next period: from the entry's date on, and not in the
// closed period, where a reversal dated when it posts would move to the
// first open day instead.
func TestReverseManualEntryOnAChosenDay(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	today := utcToday()
	post := func(memo string) ledger.Entry {
		e, err := s.CreateManualEntry(ctx, manual(t, memo, today.AddDate(0, 0, -5), dr(ledger.CostOfGoodsSold, "40.00"), cr(ledger.TaxPayable, "40.00")), "")
		if err != nil {
			t.Fatal(err)
		}
		return e
	}
	a, b := post("accrual a"), post("accrual b")
	r, err := s.ReverseManualEntry(ctx, a.ID, ledger.ManualReversal{Reason: "accrual reversed", Date: today.AddDate(0, 0, -4)}, newID(t), "")
	if err != nil || !r.Date.Equal(today.AddDate(0, 0, -4)) {
		t.Fatalf("reversal on a chosen day = %+v %v, want dated %s", r, err, today.AddDate(0, 0, -4).Format(time.DateOnly))
	}
	_, err = s.ReverseManualEntry(ctx, b.ID, ledger.ManualReversal{Reason: "early", Date: today.AddDate(0, 0, -6)}, newID(t), "")
	if !errors.Is(err, errs.ErrInvalidArgument) || !strings.Contains(err.Error(), "reversal_date") {
		t.Errorf("reversal before the entry: %v", err)
	}
	through := today.AddDate(0, 0, -2)
	mustClose(t, s, through)
	rows := journalRows(t, pool)
	_, err = s.ReverseManualEntry(ctx, b.ID, ledger.ManualReversal{Reason: "closed", Date: through}, newID(t), "")
	closedErrAt(t, "reversal on a closed day", err, through, "reversal_date")
	if journalRows(t, pool) != rows {
		t.Error("the refused reversal posted")
	}
	if r, err := s.ReverseManualEntry(ctx, b.ID, ledger.ManualReversal{Reason: "open", Date: through.AddDate(0, 0, 1)}, newID(t), ""); err != nil || !r.Date.Equal(through.AddDate(0, 0, 1)) {
		t.Errorf("reversal on the first open day = %+v %v", r, err)
	}
}

// A retried reversal (its request id) answers the reversal it made.
func TestReverseManualEntryRetry(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	e, err := s.CreateManualEntry(ctx, manual(t, "accrual", time.Time{}, dr(ledger.Revenue, "1"), cr(ledger.Cash, "1")), "")
	if err != nil {
		t.Fatal(err)
	}
	r1, err := s.ReverseManualEntry(ctx, e.ID, ledger.ManualReversal{Reason: "wrong"}, newID(t), "rev-1")
	if err != nil {
		t.Fatal(err)
	}
	if r2, err := s.ReverseManualEntry(ctx, e.ID, ledger.ManualReversal{Reason: "wrong"}, newID(t), "rev-1"); err != nil || r2.ID != r1.ID {
		t.Errorf("retried reversal = %+v %v, want %s", r2, err, r1.ID)
	}
}

// An entry's manual reversal is looked up in the unique index that keeps
// it single, not by reading the entries of its kind.
func TestReversalLookupPlan(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO journal_entries (id, kind, reference, currency_code, actor)
		  SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid,
		    (ARRAY['manual', 'invoice', 'payment'])[g % 3 + 1], 'journalEntries/' || g, 'EUR', 'x'
		  FROM generate_series(1, 20000) g;
		INSERT INTO journal_entries (id, kind, reference, currency_code, actor, reverses_id)
		  SELECT ('10000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid, 'manual_reversal', 'journalEntries/' || g, 'EUR', 'x',
		    ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid
		  FROM generate_series(3, 20000, 3) g;
		INSERT INTO journal_lines (entry_id, line_number, account_code, debit, credit)
		  SELECT id, n, CASE n WHEN 1 THEN '1000' ELSE '4000' END, CASE n WHEN 1 THEN 1 ELSE 0 END, CASE n WHEN 1 THEN 0 ELSE 1 END
		  FROM journal_entries, generate_series(1, 2) n;
		ANALYZE journal_entries`); err != nil {
		t.Fatal(err)
	}
	plan := planOf(t, pool)(postgres.ReversalSQL, []any{"00000000-0000-0000-0000-000000000003"}, nil)
	if !strings.Contains(plan, "journal_entries_reversed_once") || strings.Contains(plan, "Seq Scan") {
		t.Errorf("reversal lookup: want a read of journal_entries_reversed_once:\n%s", plan)
	}
}
