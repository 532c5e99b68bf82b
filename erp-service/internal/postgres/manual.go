package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

var _ ledger.ManualStore = (*Store)(nil)

// getEntry reads journal entry id with its lines.
func getEntry(ctx context.Context, q querier, id string) (ledger.Entry, error) {
	if !canonicalID(&id) {
		return ledger.Entry{}, errs.NotFoundf("journal entry %q", id)
	}
	rows, err := q.Query(ctx, `SELECT e.id, e.kind, e.reference, e.currency_code, coalesce(e.reverses_id::text, ''), e.post_time,
			`+entryDateSQL+`, coalesce(m.memo, ''), true, l.account_code, a.name, l.debit, l.credit
		FROM journal_entries e
		JOIN journal_lines l ON l.entry_id = e.id
		JOIN accounts a ON a.code = l.account_code
		LEFT JOIN journal_entry_memos m ON m.entry_id = e.id
		WHERE e.id = $1
		ORDER BY l.line_number`, id)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("get journal entry %s: %w", id, err)
	}
	list, _, err := scanEntries(rows)
	if err != nil {
		return ledger.Entry{}, fmt.Errorf("get journal entry %s: %w", id, err)
	}
	if len(list) == 0 {
		return ledger.Entry{}, errs.NotFoundf("journal entry %q", id)
	}
	return list[0], nil
}

// GetEntry implements ledger.ManualStore.
func (s *Store) GetEntry(ctx context.Context, id string) (ledger.Entry, error) {
	return getEntry(ctx, s.pool, id)
}

// CreateManualEntry implements ledger.ManualStore. The accounts are read
// with BEGIN; the entry posts as every entry does (queueJournal), so a
// date in the closed period is refused by the database.
// A posting dated in the closed period is FAILED_PRECONDITION naming
// entry_date.
func (s *Store) CreateManualEntry(ctx context.Context, e ledger.Entry, requestID string) (ledger.Entry, error) {
	out, err := s.createManualEntry(ctx, e, requestID)
	return out, closedPeriodAt(err, "entry_date")
}

// createManualEntry is CreateManualEntry but for naming the date of a posting refused
// for the closed period.
func (s *Store) createManualEntry(ctx context.Context, e ledger.Entry, requestID string) (ledger.Entry, error) {
	const method = "CreateJournalEntry"
	actor := auth.Actor(ctx)
	codes := make([]string, len(e.Lines))
	for i, l := range e.Lines {
		codes[i] = l.Account
	}
	var known []string
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: e.ID, digest: requestid.FromContext(ctx)}
		known = nil
		b.Queue(`SELECT coalesce(array_agg(code), '{}') FROM accounts WHERE code = ANY($1)`, codes).
			QueryRow(func(row pgx.Row) error { return row.Scan(&known) })
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		if err := ledger.CheckAccounts(e, func(code string) bool { return slices.Contains(known, code) }); err != nil {
			return err
		}
		var w pgx.Batch
		if err := queueJournal(&w, []ledger.Entry{e}, actor); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, &w).Close(); err != nil {
			return fmt.Errorf("post journal entry %s: %w", e.ID, err)
		}
		return nil
	})
	id := e.ID
	switch {
	case claimLost(err):
		if id, err = s.previous(ctx, requestID, method); err != nil {
			return ledger.Entry{}, err
		}
	case err != nil:
		return ledger.Entry{}, err
	}
	return s.GetEntry(ctx, id)
}

// ReverseManualEntry implements ledger.ManualStore. The entry's key lock
// queues reversals of one entry: each looks for a reversal after the one
// before it committed, and the unique index journal_entries_reversed_once
// backs that up. A chosen date is checked against the period under the
// period's lock, held shared until commit as every posting holds it: the
// posting itself would move a reversal out of the closed period, which is
// right for a reversal dated when it posts but not for a chosen day.
func (s *Store) ReverseManualEntry(ctx context.Context, id string, rev ledger.ManualReversal, reversalID, requestID string) (ledger.Entry, error) {
	const method = "ReverseJournalEntry"
	if !canonicalID(&id) {
		return ledger.Entry{}, errs.NotFoundf("journal entry %q", id)
	}
	actor := auth.Actor(ctx)
	var cl claim
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: reversalID, digest: requestid.FromContext(ctx)}
		pg.QueueKeyLock(b, ledger.ManualReference(id))
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		e, err := getEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		var by string
		err = tx.QueryRow(ctx, reversalSQL, id).Scan(&by)
		if err != nil && !pg.IsNoRows(err) {
			return fmt.Errorf("reversal of journal entry %s: %w", id, err)
		}
		r, err := ledger.ReverseManual(e, by, rev, reversalID)
		if err != nil {
			return err
		}
		if !rev.Date.IsZero() {
			if err := checkOpen(ctx, tx, rev.Date, "reversal_date"); err != nil {
				return err
			}
		}
		var w pgx.Batch
		if err := queueJournal(&w, []ledger.Entry{r}, actor); err != nil {
			return err
		}
		err = tx.SendBatch(ctx, &w).Close()
		if pg.IsUniqueViolation(err, "journal_entries_reversed_once") {
			return errs.FailedPreconditionf("journal entry %s is reversed already: an entry is reversed once", id)
		}
		if err != nil {
			return fmt.Errorf("reverse journal entry %s: %w", id, err)
		}
		return nil
	})
	out := reversalID
	switch {
	case claimLost(err):
		if out, err = s.previous(ctx, requestID, method); err != nil {
			return ledger.Entry{}, err
		}
	case err != nil:
		return ledger.Entry{}, err
	}
	return s.GetEntry(ctx, out)
}

// checkOpen refuses day, the chosen date of field, when the books are
// closed through it (FAILED_PRECONDITION naming field), with the message
// of the database's own refusal (migration 0028). It takes the period's
// lock shared, which the transaction then holds: a close waits for it.
func checkOpen(ctx context.Context, tx pgx.Tx, day time.Time, field string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock_shared(`+periodLockSpace+`, 0)`); err != nil {
		return fmt.Errorf("lock the period: %w", err)
	}
	// A statement of its own, after the lock: its snapshot has a close
	// that committed while the lock was awaited.
	var closed *time.Time
	if err := tx.QueryRow(ctx, `SELECT closed_through FROM ledger_period`).Scan(&closed); err != nil {
		return fmt.Errorf("read the period: %w", err)
	}
	if closed == nil || day.After(*closed) {
		return nil
	}
	c := civil.FormatDate(*closed)
	msg := fmt.Sprintf("the books are closed through %s: %s %s is in the closed period; date it on %s or later, or have an admin reopen the period",
		c, field, civil.FormatDate(day), civil.FormatDate(closed.AddDate(0, 0, 1)))
	return &errs.Error{Kind: errs.FailedPrecondition, Message: field + ": " + msg,
		Violations: []errs.FieldViolation{{Field: field, Description: msg}}}
}

// reversalSQL looks up the reversal of manual entry $1, from the unique
// index journal_entries_reversed_once (its kind a literal, so that even a
// generic plan sees the index's predicate hold).
const reversalSQL = `SELECT id::text FROM journal_entries WHERE reverses_id = $1 AND kind = '` + ledger.KindManualReversal + `'`
