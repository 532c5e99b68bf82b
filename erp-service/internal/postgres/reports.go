package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/money"
)

// agingBucketSQL is reporting.BucketOf of invoice i's due date seen on $1:
// open amounts are summed per bucket in the database.
const agingBucketSQL = `CASE WHEN $1::date - i.due_date <= 0 THEN 0 WHEN $1::date - i.due_date <= 30 THEN 1
	WHEN $1::date - i.due_date <= 60 THEN 2 WHEN $1::date - i.due_date <= 90 THEN 3 ELSE 4 END`

// postedDaySQL is the day the entry of kind KIND with reference REF
// posts on in the journal (the date its lines carry), else FALLBACK: the
// day a void or a reversal counts from in the reports as of a day, as in
// a dated trial balance. It is not always the day it was made: a
// reversal is never dated before the entry it reverses (a payment
// received a day ahead), nor in the closed period (with the books closed
// through today, it posts tomorrow). Read from the reference index.
const postedDaySQL = `coalesce((SELECT max(` + entryDateSQL + `) FROM journal_entries e JOIN journal_lines l ON l.entry_id = e.id
	WHERE e.reference = REF AND e.kind = 'KIND'), FALLBACK)`

// postedDay is postedDaySQL of the entry of kind with reference ref
// (SQL), else fallback (SQL).
func postedDay(kind, ref, fallback string) string {
	return strings.NewReplacer("KIND", kind, "REF", ref, "FALLBACK", fallback).Replace(postedDaySQL)
}

// paymentReversedDaySQL is the day the reversal of payment "y" posts on
// (a reversed payment's update_time is its reversal, as it is final, for
// a reversal that posted nothing).
var paymentReversedDaySQL = postedDay("payment_reversal", `'payments/' || y.id`, `(y.update_time AT TIME ZONE 'UTC')::date`)

// openAsOfSQL selects, from invoice "i", those open on $1 (a date) in
// currency $2 (all when empty), with their open amount on that day in
// column "open" of "pd": issued on or before $1, not voided by then (its
// void_date, which migration 0037's trigger sets to the day its void
// posts on; update_time, the void, should one lack it), and not paid
// in full by the allocations dated on or before $1 (their payment's
// received date, migration 0030) of payments not reversed by then (the
// day the reversal posts on), nor by the credit notes dated on or before
// $1. What a later credit note took back from the invoice's allocations
// (credit_note_takebacks) was still allocated on $1 when it had been
// received by then. So the open amounts on $1 less the customers' credit
// then are 1100 Accounts receivable through $1.
var openAsOfSQL = `invoices i
	CROSS JOIN LATERAL (SELECT i.total
		  - coalesce((SELECT sum(a.amount) FROM payment_allocations a JOIN payments y ON y.id = a.payment_id
		      WHERE a.invoice_id = i.id AND a.received_date <= $1::date
		        AND NOT (y.status = 'REVERSED' AND ` + paymentReversedDaySQL + ` <= $1::date)), 0)
		  - coalesce((SELECT sum(t.amount) FROM credit_notes n JOIN credit_note_takebacks t ON t.credit_note_id = n.id
		      JOIN payments y ON y.id = t.payment_id
		      WHERE n.invoice_id = i.id AND n.credit_date > $1::date AND t.received_date <= $1::date
		        AND NOT (y.status = 'REVERSED' AND ` + paymentReversedDaySQL + ` <= $1::date)), 0)
		  - coalesce((SELECT sum(n.total) FROM credit_notes n WHERE n.invoice_id = i.id AND n.credit_date <= $1::date), 0) AS open) pd
	WHERE i.issue_date <= $1::date AND ($2 = '' OR i.currency_code = $2)
	  AND (i.status <> 'VOID' OR coalesce(i.void_date, (i.update_time AT TIME ZONE 'UTC')::date) > $1::date)
	  AND pd.open > 0`

// openNowSQL is openAsOfSQL for a day that is today or later, when the
// invoices as they are now are the invoices as they were: the open ones
// only, with their open amount kept on the invoice.
const openNowSQL = `invoices i CROSS JOIN LATERAL (SELECT i.total - i.paid_amount - i.credited_amount AS open) pd
	WHERE i.status NOT IN ('VOID', 'PAID', 'CREDITED') AND i.issue_date <= $1::date AND ($2 = '' OR i.currency_code = $2)`

// agingDatedAfterSQL tells whether anything that changes what invoices
// have open is dated after $1 (today or later): a payment received a day
// ahead (payments_received_date_idx, migration 0038), or, with the books
// closed through $1, a void or payment reversal (posted on the first open
// day).
const agingDatedAfterSQL = `SELECT EXISTS (SELECT 1 FROM ledger_period WHERE closed_through >= $1::date)
	OR EXISTS (SELECT 1 FROM payments WHERE received_date > $1::date)`

// OpenAmounts implements reporting.Store: the invoices as they were on
// asOf. For a past day they are read from each customer's invoices (every
// one issued by then, not only those open now) and their allocations; for
// today or later from the open invoices alone, unless something is dated
// after asOf (agingDatedAfterSQL): then from the history too.
func (s *Store) OpenAmounts(ctx context.Context, asOf time.Time, currency string, pageSize int, after string) ([]reporting.Open, bool, error) {
	today := time.Now().UTC().Truncate(24 * time.Hour)
	history := asOf.Before(today)
	if !history {
		if err := s.pool.QueryRow(ctx, agingDatedAfterSQL, asOf).Scan(&history); err != nil {
			return nil, false, fmt.Errorf("open amounts: %w", err)
		}
	}
	return s.openAmounts(ctx, asOf, currency, pageSize, after, history)
}

// openAmounts is OpenAmounts from the invoices' history (openAsOfSQL) or
// from the open invoices (openNowSQL).
func (s *Store) openAmounts(ctx context.Context, asOf time.Time, currency string, pageSize int, after string, history bool) ([]reporting.Open, bool, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	open := openNowSQL
	if history {
		open = openAsOfSQL
	}
	rows, err := s.pool.Query(ctx, `WITH page AS (
			SELECT c.id, c.name FROM customers c
			WHERE c.id > $3::uuid AND EXISTS (SELECT 1 FROM `+open+` AND i.customer_id = c.id)
			ORDER BY c.id LIMIT $4
		)
		SELECT p.id, p.name, x.currency_code, max(x.due_date), sum(x.open)
		FROM page p CROSS JOIN LATERAL (SELECT i.currency_code, i.due_date, pd.open FROM `+open+` AND i.customer_id = p.id) x
		GROUP BY p.id, p.name, x.currency_code, `+strings.ReplaceAll(agingBucketSQL, "i.due_date", "x.due_date")+`
		ORDER BY p.id, x.currency_code, max(x.due_date)`, asOf, currency, after, pageSize+1)
	if err != nil {
		return nil, false, fmt.Errorf("open amounts: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.Open, error) {
		var o reporting.Open
		err := row.Scan(&o.CustomerID, &o.CustomerName, &o.Currency, &o.Due, &o.Amount)
		return o, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("open amounts: %w", err)
	}
	// Keep pageSize customers.
	seen, cut := 0, len(out)
	for i, o := range out {
		if i == 0 || out[i-1].CustomerID != o.CustomerID {
			seen++
			if seen > pageSize {
				cut = i
				break
			}
		}
	}
	return out[:cut], cut < len(out), nil
}

// ValuationTotals implements reporting.Store: one aggregate, each item's
// value rounded as ValuationRow.Value rounds it (numeric round is half away
// from zero, as money.Round).
func (s *Store) ValuationTotals(ctx context.Context, asOf time.Time) ([]money.Money, error) {
	codes := money.Codes()
	units := make([]int32, len(codes))
	for i, c := range codes {
		units[i] = money.MinorUnits(c)
	}
	totals := `stock_totals`
	args := []any{codes, units}
	if !asOf.IsZero() {
		// Every item's on hand at the end of the day, from the moves.
		totals = `(SELECT m.sku, sum(m.on_hand_delta) AS on_hand FROM stock_moves m
			WHERE ` + moveDaySQL + ` <= $3::date GROUP BY m.sku)`
		args = append(args, asOf)
	}
	rows, err := s.pool.Query(ctx, `SELECT i.currency_code, sum(round(t.on_hand * i.standard_cost, c.units))
		FROM `+totals+` t JOIN items i ON i.sku = t.sku
		JOIN unnest($1::text[], $2::int[]) AS c(code, units) ON c.code = i.currency_code
		WHERE t.on_hand <> 0
		GROUP BY i.currency_code ORDER BY i.currency_code`, args...)
	if err != nil {
		return nil, fmt.Errorf("stock valuation totals: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (money.Money, error) {
		var m money.Money
		err := row.Scan(&m.Currency, &m.Amount)
		return m, err
	})
	if err != nil {
		return nil, fmt.Errorf("stock valuation totals: %w", err)
	}
	return out, nil
}

// moveDaySQL is the day stock move "m" counts from in the valuation as of
// a date (migration 0030's stock_move_day, which its index is on).
const moveDaySQL = `stock_move_day(m.move_date, m.created_at)`

// valuationAsOfSQL is Valuation as of day $3: items by SKU, each with its
// on hand summed from stock_moves (sku, stock_move_day) up to the day.
const valuationAsOfSQL = `SELECT i.sku, t.on_hand, i.currency_code, i.standard_cost
	FROM items i CROSS JOIN LATERAL (SELECT coalesce(sum(m.on_hand_delta), 0) AS on_hand FROM stock_moves m
		WHERE m.sku = i.sku AND ` + moveDaySQL + ` <= $3::date) t
	WHERE i.sku > $1 AND t.on_hand <> 0 ORDER BY i.sku LIMIT $2`

// Valuation implements reporting.Store.
func (s *Store) Valuation(ctx context.Context, asOf time.Time, pageSize int, after string) ([]reporting.ValuationRow, bool, error) {
	q := `SELECT t.sku, t.on_hand, i.currency_code, i.standard_cost
		FROM stock_totals t JOIN items i ON i.sku = t.sku
		WHERE t.sku > $1 AND t.on_hand <> 0 ORDER BY t.sku LIMIT $2`
	args := []any{after, pageSize + 1}
	if !asOf.IsZero() {
		q, args = valuationAsOfSQL, append(args, asOf)
	}
	rows, err := s.pool.Query(ctx, q, args...)
	if err != nil {
		return nil, false, fmt.Errorf("stock valuation: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.ValuationRow, error) {
		var r reporting.ValuationRow
		err := row.Scan(&r.SKU, &r.OnHand, &r.UnitCost.Currency, &r.UnitCost.Amount)
		return r, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("stock valuation: %w", err)
	}
	if len(out) > pageSize {
		return out[:pageSize], true, nil
	}
	return out, false, nil
}
