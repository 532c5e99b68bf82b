package postgres

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/errs"
)

var _ reporting.SalesStore = (*Store)(nil)

// SalesReport implements reporting.SalesStore: one aggregate over the
// lines of the invoices in range (the issue-date index), grouped four ways
// at once, never across currencies.
func (s *Store) SalesReport(ctx context.Context, q reporting.SalesQuery) ([]reporting.SalesRow, error) {
	args := []any{q.Start, q.End}
	cond := ""
	if q.Currency != "" {
		cond += " AND i.currency_code = " + arg(&args, q.Currency)
	}
	if q.CustomerID != "" {
		if _, err := uuid.Parse(q.CustomerID); err != nil {
			return nil, errs.Invalid("customer_id", "must be the id (a UUID) of a customer")
		}
		cond += " AND i.customer_id = " + arg(&args, q.CustomerID) + "::uuid"
	}
	rows, err := s.pool.Query(ctx, `SELECT grouping(i.customer_id, l.sku),
			coalesce(i.customer_id::text, ''), coalesce(min(c.name), ''), coalesce(l.sku, ''), i.currency_code,
			sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
		FROM invoices i
		JOIN invoice_lines l ON l.invoice_id = i.id
		JOIN customers c ON c.id = i.customer_id
		WHERE i.status <> 'VOID' AND i.issue_date BETWEEN $1 AND $2`+cond+`
		GROUP BY GROUPING SETS ((i.customer_id, l.sku, i.currency_code), (i.customer_id, i.currency_code),
			(l.sku, i.currency_code), (i.currency_code))
		ORDER BY 1, 2, 4, 5`, args...)
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.SalesRow, error) {
		var r reporting.SalesRow
		var g int32
		if err := row.Scan(&g, &r.CustomerID, &r.CustomerName, &r.SKU, &r.Currency, &r.Quantity, &r.Net, &r.Invoices); err != nil {
			return r, err
		}
		// grouping() sets bit 1 when the customer is rolled up, bit 0 the SKU.
		r.Group = map[int32]reporting.SalesGroup{0: reporting.ByCustomerAndItem, 1: reporting.ByCustomer,
			2: reporting.ByItem, 3: reporting.ByCurrency}[g]
		return r, nil
	})
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	return out, nil
}
