package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
)

var journalFilter = map[string]column{
	"kind":          {expr: "kind"},
	"reference":     {expr: "reference", reference: true},
	"currency_code": {expr: "currency_code"},
}

// queueJournal queues, into b, posting entries (checked with Check; ids
// assigned where empty) with two statements. The database checks again at
// commit that every entry balances.
func queueJournal(b *pgx.Batch, entries []ledger.Entry, actor string) error {
	if len(entries) == 0 {
		return nil
	}
	var ids, kinds, refs, curs, reverses, actors, memos []string
	var lineIDs, accounts, dates, lineReverses []string
	var lineNumbers []int32
	var debits, credits []decimal.Decimal
	for i := range entries {
		e := &entries[i]
		if err := e.Check(); err != nil {
			return err
		}
		if e.ID == "" {
			id, err := uuid.NewV7()
			if err != nil {
				return fmt.Errorf("journal entry id: %w", err)
			}
			e.ID = id.String()
		}
		ids, kinds, refs, curs = append(ids, e.ID), append(kinds, e.Kind), append(refs, e.Reference), append(curs, e.Currency)
		reverses, actors, memos = append(reverses, e.ReversesID), append(actors, actor), append(memos, e.Memo)
		date := ""
		if !e.Date.IsZero() {
			date = civil.FormatDate(e.Date)
		}
		for n, l := range e.Lines {
			lineIDs, lineNumbers, accounts = append(lineIDs, e.ID), append(lineNumbers, int32(n+1)), append(accounts, l.Account)
			dates, lineReverses = append(dates, date), append(lineReverses, e.ReversesID)
			debits, credits = append(debits, l.Debit), append(credits, l.Credit)
		}
	}
	b.Queue(`INSERT INTO journal_entries (id, kind, reference, currency_code, reverses_id, actor)
		SELECT id::uuid, kind, reference, currency_code, NULLIF(reverses_id, '')::uuid, actor
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
		  AS e(id, kind, reference, currency_code, reverses_id, actor)`, ids, kinds, refs, curs, reverses, actors)
	// Memos (of manual entries and their reversals) beside the journal;
	// the entries documents post have none, and no statement.
	if slices.ContainsFunc(memos, func(m string) bool { return m != "" }) {
		b.Queue(`INSERT INTO journal_entry_memos (entry_id, memo)
			SELECT id::uuid, memo FROM unnest($1::text[], $2::text[]) AS m(id, memo) WHERE memo <> ''`, ids, memos)
	}
	// A reversal is never dated before the entry it reverses (a payment
	// received a day ahead, an invoice issued ahead, reversed today), nor
	// in a closed period: it goes to the first open day. Any other line
	// dated in a closed period fails the statement (the trigger
	// journal_lines_period_open, migration 0028). The period's lock is
	// taken shared here already, in a statement before the insert, so the
	// day a reversal reads is the one the trigger checks against.
	b.Queue(`SELECT pg_advisory_xact_lock_shared(` + periodLockSpace + `, 0)`)
	q := b.Queue(`WITH p AS (SELECT closed_through FROM ledger_period)
		INSERT INTO journal_lines (entry_id, line_number, account_code, debit, credit, entry_date)
		SELECT n.entry_id::uuid, n.line_number, n.account_code, n.debit, n.credit,
		  greatest(coalesce(NULLIF(n.entry_date, '')::date, `+postingDaySQL+`),
		    (SELECT max(`+entryDateSQL+`) FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
		     WHERE e.id = NULLIF(n.reverses_id, '')::uuid),
		    CASE WHEN n.reverses_id <> '' THEN (SELECT closed_through + 1 FROM p) END)
		FROM unnest($1::text[], $2::int[], $3::text[], $4::numeric[], $5::numeric[], $6::text[], $7::text[])
		  AS n(entry_id, line_number, account_code, debit, credit, entry_date, reverses_id)`,
		lineIDs, lineNumbers, accounts, debits, credits, dates, lineReverses)
	q.Fn = func(br pgx.BatchResults) error {
		_, err := br.Exec()
		return periodClosed(err)
	}
	queueBalances(b, entries)
	return nil
}

// periodClosed turns err, when it is the refusal of a journal line dated
// in the closed period, into a failed precondition with the database's
// message, which names the closed-through day and the line's date.
func periodClosed(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == periodClosedCode {
		return errs.Wrap(errs.FailedPrecondition, err, "%s", pgErr.Message)
	}
	return err
}

// closedPeriodAt names field (the document's date) in err when err is the
// refusal of a posting dated in the closed period, so that a caller can
// point at the date to change, as a shipment's refusal names its
// ship_date. Any other error is returned as it is.
func closedPeriodAt(err error, field string) error {
	var e *errs.Error
	var pgErr *pgconn.PgError
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) > 0 ||
		!errors.As(err, &pgErr) || pgErr.Code != periodClosedCode {
		return err
	}
	return &errs.Error{Kind: e.Kind, Message: field + ": " + e.Message, Cause: e.Cause,
		Violations: []errs.FieldViolation{{Field: field, Description: e.Message}}}
}

// periodLockSpace is the first key of the period's advisory lock (the
// second is 0): postings hold it shared, a close or reopen exclusively
// (migration 0028).
const periodLockSpace = "1002"

// periodClosedCode is the SQLSTATE of a journal line refused for its date
// in the closed period (migration 0028).
const periodClosedCode = "SEA01"

// postingDaySQL is the day of posting, UTC, by the database's clock: the
// date of an entry posted without one (migration 0024's default).
const postingDaySQL = `(now() AT TIME ZONE 'UTC')::date`

// entryDateSQL is the date of line l of entry e: its entry_date (every
// line of an entry carries the entry's), or for lines posted before
// migration 0024 the day (UTC) of the entry's post_time.
const entryDateSQL = `coalesce(l.entry_date, (e.post_time AT TIME ZONE 'UTC')::date)`

// balanceSlots is how many rows account_balances keeps per account and
// currency.
const balanceSlots = 8

// queueBalances queues, into b, adding entries' lines to the per-account
// balances (one row per account and currency, in the slot of the
// transaction's id). Rows are written in key order, so two postings in one
// slot lock them in the same order.
func queueBalances(b *pgx.Batch, entries []ledger.Entry) {
	type key struct{ account, currency string }
	sums := map[key][2]decimal.Decimal{}
	var keys []key
	for _, e := range entries {
		for _, l := range e.Lines {
			k := key{l.Account, e.Currency}
			s, ok := sums[k]
			if !ok {
				keys = append(keys, k)
				s = [2]decimal.Decimal{decimal.Zero, decimal.Zero}
			}
			sums[k] = [2]decimal.Decimal{s[0].Add(l.Debit), s[1].Add(l.Credit)}
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if c := strings.Compare(a.account, b.account); c != 0 {
			return c
		}
		return strings.Compare(a.currency, b.currency)
	})
	accounts, currencies := make([]string, len(keys)), make([]string, len(keys))
	debits, credits := make([]decimal.Decimal, len(keys)), make([]decimal.Decimal, len(keys))
	for i, k := range keys {
		accounts[i], currencies[i] = k.account, k.currency
		debits[i], credits[i] = sums[k][0], sums[k][1]
	}
	b.Queue(`INSERT INTO account_balances AS b (account_code, currency_code, slot, debit, credit)
		SELECT account_code, currency_code, (pg_current_xact_id()::text::bigint % `+strconv.Itoa(balanceSlots)+`)::smallint, debit, credit
		FROM unnest($1::text[], $2::text[], $3::numeric[], $4::numeric[]) WITH ORDINALITY
		  AS s(account_code, currency_code, debit, credit, n)
		ORDER BY n
		ON CONFLICT (account_code, currency_code, slot)
		DO UPDATE SET debit = b.debit + excluded.debit, credit = b.credit + excluded.credit`,
		accounts, currencies, debits, credits)
}

// ListEntries implements ledger.Store: a keyset page in the journal's
// order, by writing transaction and then id, ended with a token only where
// no entry can commit behind it (see cutAtHorizon). The entries are picked
// and checked against the horizon in a sub-select, their lines joined on.
func (s *Store) ListEntries(ctx context.Context, q ledger.ListQuery) ([]ledger.Entry, bool, error) {
	sql, args, err := entriesSQL(q)
	if err != nil {
		return nil, false, err
	}
	var out []ledger.Entry
	var more bool
	err = readThrough(ctx, func() (bool, error) {
		var settled []bool
		out, settled, err = s.readEntries(ctx, sql, args)
		if err != nil {
			return false, err
		}
		keep, m, cut := cutAtHorizon(settled, q.PageSize)
		out, more = out[:keep], m
		return cut, nil
	})
	if err != nil {
		return nil, false, fmt.Errorf("list journal entries: %w", err)
	}
	return out, more, nil
}

// entriesSQL is the query of a ListEntries page and its arguments: the
// entries after the token's entry in (xid, id) order, each with whether it
// is settled, from the same snapshot as the scan, and their lines.
func entriesSQL(q ledger.ListQuery) (string, []any, error) {
	var args []any
	filter, err := where(q.Filter, journalFilter, &args)
	if err != nil {
		return "", nil, err
	}
	after, err := afterID(&args, q.After, `(xid, id) > (SELECT xid, id FROM journal_entries WHERE id = $after::uuid)`)
	if err != nil {
		return "", nil, err
	}
	return `SELECT e.id, e.kind, e.reference, e.currency_code, coalesce(e.reverses_id::text, ''), e.post_time,
			` + entryDateSQL + `, coalesce(m.memo, ''), e.settled,
			l.account_code, a.name, l.debit, l.credit
		FROM (SELECT *, xid < pg_snapshot_xmin(pg_current_snapshot()) AS settled FROM journal_entries
		      WHERE ` + and(filter, after) + ` ORDER BY xid, id LIMIT ` + arg(&args, q.PageSize+1) + `) e
		JOIN journal_lines l ON l.entry_id = e.id
		JOIN accounts a ON a.code = l.account_code
		LEFT JOIN journal_entry_memos m ON m.entry_id = e.id
		ORDER BY e.xid, e.id, l.line_number`, args, nil
}

// readEntries reads a page of ListEntries: the entries with their lines,
// and whether each entry is settled.
func (s *Store) readEntries(ctx context.Context, sql string, args []any) ([]ledger.Entry, []bool, error) {
	var out []ledger.Entry
	var settled []bool
	err := s.readPage(ctx, sql, args, func(rows pgx.Rows) error {
		var err error
		out, settled, err = scanEntries(rows)
		return err
	})
	return out, settled, err
}

// scanEntries reads entries with their lines, a row per line in entry
// order (as entriesSQL selects them), and whether each entry is settled.
func scanEntries(rows pgx.Rows) ([]ledger.Entry, []bool, error) {
	defer rows.Close()
	var out []ledger.Entry
	var settled []bool
	for rows.Next() {
		var e ledger.Entry
		var l ledger.Line
		var ok bool
		if err := rows.Scan(&e.ID, &e.Kind, &e.Reference, &e.Currency, &e.ReversesID, &e.PostTime, &e.Date, &e.Memo, &ok,
			&l.Account, &l.AccountName, &l.Debit, &l.Credit); err != nil {
			return nil, nil, err
		}
		if n := len(out); n > 0 && out[n-1].ID == e.ID {
			out[n-1].Lines = append(out[n-1].Lines, l)
			continue
		}
		e.Lines = []ledger.Line{l}
		out, settled = append(out, e), append(settled, ok)
	}
	return out, settled, rows.Err()
}

// TrialBalance implements ledger.Store.
func (s *Store) TrialBalance(ctx context.Context, currency string) ([]ledger.BalanceRow, error) {
	// The balances kept by queueBalances: the journal's sums without
	// reading the journal.
	rows, err := s.pool.Query(ctx, `SELECT b.account_code, a.name, b.currency_code, sum(b.debit), sum(b.credit)
		FROM account_balances b
		JOIN accounts a ON a.code = b.account_code
		WHERE $1 = '' OR b.currency_code = $1
		GROUP BY b.account_code, a.name, b.currency_code
		ORDER BY b.account_code, b.currency_code`, currency)
	if err != nil {
		return nil, fmt.Errorf("trial balance: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.BalanceRow, error) {
		var r ledger.BalanceRow
		err := row.Scan(&r.Account, &r.AccountName, &r.Currency, &r.Debit, &r.Credit)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("trial balance: %w", err)
	}
	return out, nil
}

// PeriodBalance implements ledger.Store: the lines of the entries dated
// from start (when not zero) to end, both included, summed per account and
// currency. Unlike TrialBalance it reads the journal.
func (s *Store) PeriodBalance(ctx context.Context, currency string, start, end time.Time) ([]ledger.BalanceRow, error) {
	var from any
	if !start.IsZero() {
		from = start
	}
	rows, err := s.pool.Query(ctx, `SELECT l.account_code, a.name, e.currency_code, sum(l.debit), sum(l.credit)
		FROM journal_entries e
		JOIN journal_lines l ON l.entry_id = e.id
		JOIN accounts a ON a.code = l.account_code
		WHERE `+entryDateSQL+` <= $2::date
		  AND ($1::date IS NULL OR `+entryDateSQL+` >= $1::date)
		  AND ($3 = '' OR e.currency_code = $3)
		GROUP BY l.account_code, a.name, e.currency_code
		ORDER BY l.account_code, e.currency_code`, from, end, currency)
	if err != nil {
		return nil, fmt.Errorf("period balance: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.BalanceRow, error) {
		var r ledger.BalanceRow
		err := row.Scan(&r.Account, &r.AccountName, &r.Currency, &r.Debit, &r.Credit)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("period balance: %w", err)
	}
	return out, nil
}

// PeriodLines implements ledger.Store: read from the journal (its lines
// carry their dates), as PeriodBalance.
func (s *Store) PeriodLines(ctx context.Context, currency string, start, end time.Time, limit int) ([]ledger.DatedLine, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+entryDateSQL+` AS d, e.id::text, e.kind, e.reference, e.currency_code,
		  l.line_number, l.account_code, a.name, l.debit, l.credit, coalesce(e.reverses_id::text, ''), e.post_time,
		  coalesce(m.memo, '')
		FROM journal_entries e
		JOIN journal_lines l ON l.entry_id = e.id
		JOIN accounts a ON a.code = l.account_code
		LEFT JOIN journal_entry_memos m ON m.entry_id = e.id
		WHERE `+entryDateSQL+` BETWEEN $1::date AND $2::date
		  AND ($3 = '' OR e.currency_code = $3)
		ORDER BY d, e.xid, e.id, l.line_number
		LIMIT $4`, start, end, currency, limit)
	if err != nil {
		return nil, fmt.Errorf("journal lines: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.DatedLine, error) {
		var l ledger.DatedLine
		err := row.Scan(&l.Date, &l.EntryID, &l.Kind, &l.Reference, &l.Currency, &l.LineNumber, &l.Account, &l.AccountName,
			&l.Debit, &l.Credit, &l.ReversesID, &l.PostTime, &l.Memo)
		return l, err
	})
	if err != nil {
		return nil, fmt.Errorf("journal lines: %w", err)
	}
	return out, nil
}
