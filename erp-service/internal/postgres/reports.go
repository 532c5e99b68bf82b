package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/money"
)

// agingBucketSQL is reporting.BucketOf of invoice i's due date seen on $1:
// open amounts are summed per bucket in the database.
const agingBucketSQL = `CASE WHEN $1::date - i.due_date <= 0 THEN 0 WHEN $1::date - i.due_date <= 30 THEN 1
	WHEN $1::date - i.due_date <= 60 THEN 2 WHEN $1::date - i.due_date <= 90 THEN 3 ELSE 4 END`

// OpenAmounts implements reporting.Store.
func (s *Store) OpenAmounts(ctx context.Context, asOf time.Time, currency string, pageSize int, after string) ([]reporting.Open, bool, error) {
	if after == "" {
		after = "00000000-0000-0000-0000-000000000000"
	}
	rows, err := s.pool.Query(ctx, `WITH page AS (
			SELECT c.id, c.name FROM customers c
			WHERE c.id > $3::uuid AND EXISTS (SELECT 1 FROM invoices i
				WHERE i.customer_id = c.id AND i.status NOT IN ('VOID', 'PAID') AND i.issue_date <= $1
				  AND ($2 = '' OR i.currency_code = $2))
			ORDER BY c.id LIMIT $4
		)
		SELECT p.id, p.name, i.currency_code, max(i.due_date), sum(i.total - i.paid_amount - i.credited_amount)
		FROM page p JOIN invoices i ON i.customer_id = p.id
		WHERE i.status NOT IN ('VOID', 'PAID') AND i.issue_date <= $1 AND ($2 = '' OR i.currency_code = $2)
		GROUP BY p.id, p.name, i.currency_code, `+agingBucketSQL+`
		ORDER BY p.id, i.currency_code, max(i.due_date)`, asOf, currency, after, pageSize+1)
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
func (s *Store) ValuationTotals(ctx context.Context) ([]money.Money, error) {
	codes := money.Codes()
	units := make([]int32, len(codes))
	for i, c := range codes {
		units[i] = money.MinorUnits(c)
	}
	rows, err := s.pool.Query(ctx, `SELECT i.currency_code, sum(round(t.on_hand * i.standard_cost, c.units))
		FROM stock_totals t JOIN items i ON i.sku = t.sku
		JOIN unnest($1::text[], $2::int[]) AS c(code, units) ON c.code = i.currency_code
		WHERE t.on_hand <> 0
		GROUP BY i.currency_code ORDER BY i.currency_code`, codes, units)
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

// Valuation implements reporting.Store.
func (s *Store) Valuation(ctx context.Context, pageSize int, after string) ([]reporting.ValuationRow, bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT t.sku, t.on_hand, i.currency_code, i.standard_cost
		FROM stock_totals t JOIN items i ON i.sku = t.sku
		WHERE t.sku > $1 AND t.on_hand <> 0 ORDER BY t.sku LIMIT $2`, after, pageSize+1)
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
