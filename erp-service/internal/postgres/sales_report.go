package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/platform/errs"
)

var _ reporting.SalesStore = (*Store)(nil)

// salesKeys are the grouping columns of each grouping, in row order.
var salesKeys = map[reporting.SalesGroup][]string{
	reporting.ByCustomerAndItem: {"i.customer_id", "l.sku", "i.currency_code"},
	reporting.ByCustomer:        {"i.customer_id", "i.currency_code"},
	reporting.ByItem:            {"l.sku", "i.currency_code"},
	reporting.ByCurrency:        {"i.currency_code"},
}

// SalesReport implements reporting.SalesStore: one aggregate over the
// lines of the invoices in range (the issue-date index), grouped by the
// grouping's key, never across currencies. A page after the first sums
// only the groups after its key: the condition on the key comes before
// the grouping. Per customer, and per item and per currency unless for
// one customer, the daily totals (migrations 0014, 0015) stand in for the
// lines.
func (s *Store) SalesReport(ctx context.Context, q reporting.SalesQuery) ([]reporting.SalesRow, error) {
	keys, ok := salesKeys[q.Group]
	if !ok {
		return nil, fmt.Errorf("sales report: unknown grouping %d", q.Group)
	}
	if q.Group == reporting.ByCustomer || (q.CustomerID == "" && (q.Group == reporting.ByItem || q.Group == reporting.ByCurrency)) {
		return s.salesFromDailyTotals(ctx, q)
	}
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
	byCustomer := slices.Contains(keys, "i.customer_id")
	if q.After != nil {
		var after []string
		for _, k := range keys {
			switch k {
			case "i.customer_id":
				if _, err := uuid.Parse(q.After.CustomerID); err != nil {
					return nil, errs.Invalid("page_token", "is not a token returned by this report")
				}
				after = append(after, arg(&args, q.After.CustomerID)+"::uuid")
			case "l.sku":
				after = append(after, arg(&args, q.After.SKU))
			default:
				after = append(after, arg(&args, q.After.Currency))
			}
		}
		cond += " AND (" + strings.Join(keys, ", ") + ") > (" + strings.Join(after, ", ") + ")"
	}
	customer, name, join := "''", "''", ""
	if byCustomer {
		customer, name, join = "i.customer_id::text", "min(c.name)", "\nJOIN customers c ON c.id = i.customer_id"
	}
	sku := "''"
	if slices.Contains(keys, "l.sku") {
		sku = "l.sku"
	}
	limit := ""
	if q.Limit > 0 {
		limit = "\nLIMIT " + arg(&args, q.Limit+1)
	}
	group := strings.Join(keys, ", ")
	rows, err := s.pool.Query(ctx, `SELECT `+customer+`, `+name+`, `+sku+`, i.currency_code,
	sum(l.quantity), sum(l.net_amount), count(DISTINCT i.id)
FROM invoices i
JOIN invoice_lines l ON l.invoice_id = i.id`+join+`
WHERE i.status <> 'VOID' AND i.issue_date BETWEEN $1 AND $2`+cond+`
GROUP BY `+group+`
ORDER BY `+group+limit, args...)
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.SalesRow, error) {
		r := reporting.SalesRow{Group: q.Group}
		err := row.Scan(&r.CustomerID, &r.CustomerName, &r.SKU, &r.Currency, &r.Quantity, &r.Net, &r.Invoices)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	return out, nil
}

// salesFromDailyTotals is the report per customer, per item or per
// currency from the daily totals: the rows of a group are adjacent in
// the primary key, so a page reads the days of its own groups only.
func (s *Store) salesFromDailyTotals(ctx context.Context, q reporting.SalesQuery) ([]reporting.SalesRow, error) {
	args := []any{q.Start, q.End}
	cond := ""
	if q.Currency != "" {
		cond += " AND t.currency_code = " + arg(&args, q.Currency)
	}
	customer, sku := "NULL", "''"
	var table, group string
	switch q.Group {
	case reporting.ByCustomer:
		table, group, customer = "sales_daily_customers", "t.customer_id, t.currency_code", "t.customer_id"
		if q.CustomerID != "" {
			if _, err := uuid.Parse(q.CustomerID); err != nil {
				return nil, errs.Invalid("customer_id", "must be the id (a UUID) of a customer")
			}
			cond += " AND t.customer_id = " + arg(&args, q.CustomerID) + "::uuid"
		}
	case reporting.ByItem:
		table, group, sku = "sales_daily_items", "t.sku, t.currency_code", "t.sku"
	default:
		table, group = "sales_daily_currencies", "t.currency_code"
	}
	if q.After != nil {
		switch q.Group {
		case reporting.ByCustomer:
			if _, err := uuid.Parse(q.After.CustomerID); err != nil {
				return nil, errs.Invalid("page_token", "is not a token returned by this report")
			}
			cond += " AND (t.customer_id, t.currency_code) > (" + arg(&args, q.After.CustomerID) + "::uuid, " + arg(&args, q.After.Currency) + ")"
		case reporting.ByItem:
			cond += " AND (t.sku, t.currency_code) > (" + arg(&args, q.After.SKU) + ", " + arg(&args, q.After.Currency) + ")"
		default:
			cond += " AND t.currency_code > " + arg(&args, q.After.Currency)
		}
	}
	limit := ""
	if q.Limit > 0 {
		limit = "\nLIMIT " + arg(&args, q.Limit+1)
	}
	page := `SELECT ` + customer + ` AS customer_id, ` + sku + ` AS sku, t.currency_code,
  sum(t.quantity) AS quantity, sum(t.net_amount) AS net_amount, sum(t.invoices)::bigint AS invoices
FROM ` + table + ` t
WHERE t.day BETWEEN $1 AND $2` + cond + `
GROUP BY ` + group + `
HAVING sum(t.invoices) > 0
ORDER BY ` + group + limit
	sql := `SELECT '', '', g.sku, g.currency_code, g.quantity, g.net_amount, g.invoices FROM (` + page + `) g`
	if q.Group == reporting.ByCustomer {
		// The page is summed first; only its customers' names are read.
		sql = `SELECT g.customer_id::text, c.name, '', g.currency_code, g.quantity, g.net_amount, g.invoices
FROM (` + page + `) g
JOIN customers c ON c.id = g.customer_id
ORDER BY g.customer_id, g.currency_code`
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (reporting.SalesRow, error) {
		r := reporting.SalesRow{Group: q.Group}
		err := row.Scan(&r.CustomerID, &r.CustomerName, &r.SKU, &r.Currency, &r.Quantity, &r.Net, &r.Invoices)
		return r, err
	})
	if err != nil {
		return nil, fmt.Errorf("sales report: %w", err)
	}
	return out, nil
}
