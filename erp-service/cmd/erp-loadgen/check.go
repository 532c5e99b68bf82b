package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/postgres"
)

// invariants are counts of rows breaking a rule of the schema; each must
// be zero.
var invariants = []struct{ what, query string }{
	{"stock levels differing from the ledger", `SELECT count(*) FROM stock_levels l
		FULL JOIN (SELECT sku, warehouse, sum(on_hand_delta) AS o, sum(reserved_delta) AS r FROM stock_moves GROUP BY 1, 2) m
		  ON m.sku = l.sku AND m.warehouse = l.warehouse
		WHERE l.on_hand IS DISTINCT FROM m.o OR l.reserved IS DISTINCT FROM m.r`},
	{"stock totals differing from their levels", `SELECT count(*) FROM stock_totals t
		LEFT JOIN (SELECT sku, sum(on_hand) AS o, sum(reserved) AS r FROM stock_levels GROUP BY 1) l ON l.sku = t.sku
		WHERE t.on_hand <> coalesce(l.o, 0) OR t.reserved <> coalesce(l.r, 0)`},
	{"journal entries that do not balance", `SELECT count(*) FROM journal_entries e
		LEFT JOIN (SELECT entry_id, sum(debit) AS d, sum(credit) AS c FROM journal_lines GROUP BY 1) l ON l.entry_id = e.id
		WHERE l.d IS NULL OR l.d <> l.c OR l.d = 0`},
	{"kept account balances differing from the journal", `SELECT count(*) FROM
		(SELECT account_code, currency_code, sum(debit) AS d, sum(credit) AS c FROM account_balances GROUP BY 1, 2) b
		FULL JOIN (SELECT l.account_code, e.currency_code, sum(l.debit) AS d, sum(l.credit) AS c
		           FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id GROUP BY 1, 2) j
		  ON j.account_code = b.account_code AND j.currency_code = b.currency_code
		WHERE b.d IS DISTINCT FROM j.d OR b.c IS DISTINCT FROM j.c`},
	{"currencies whose trial balance does not sum to zero", `SELECT count(*) FROM
		(SELECT currency_code FROM account_balances GROUP BY 1 HAVING sum(debit) <> sum(credit)) x`},
	{"invoices whose paid amount is not their allocations", `SELECT count(*) FROM invoices i
		LEFT JOIN (SELECT invoice_id, sum(amount) AS a FROM payment_allocations GROUP BY 1) a ON a.invoice_id = i.id
		WHERE i.paid_amount <> coalesce(a.a, 0)`},
	{"invoices whose status does not follow their payments", `SELECT count(*) FROM invoices WHERE status <> 'VOID' AND (
		(paid_amount + credited_amount >= total) <> (status IN ('PAID', 'CREDITED'))
		OR (status = 'CREDITED') <> (paid_amount = 0 AND credited_amount > 0 AND paid_amount + credited_amount >= total)
		OR (status = 'OVERDUE') <> (overdue AND paid_amount + credited_amount < total)
		OR (status = 'PARTIALLY_PAID' AND paid_amount = 0) OR total <> subtotal + tax_total)`},
	{"daily sales totals differing from the invoices, their voids and credit notes", postgres.SalesTotalsDrift},
	{"invoices whose lines do not sum to them", `SELECT count(*) FROM invoices i
		JOIN (SELECT invoice_id, sum(net_amount) AS n, sum(tax_amount) AS t FROM invoice_lines GROUP BY 1) l ON l.invoice_id = i.id
		WHERE l.n <> i.subtotal OR l.t <> i.tax_total`},
	{"payments whose unallocated amount is not amount minus allocations", `SELECT count(*) FROM payments p
		LEFT JOIN (SELECT payment_id, sum(amount) AS a FROM payment_allocations GROUP BY 1) a ON a.payment_id = p.id
		WHERE p.unallocated <> p.amount - coalesce(a.a, 0)`},
	{"order lines whose reservation differs from the ledger", `SELECT count(*) FROM (
		SELECT order_id, sku, sum(reserved_quantity) AS r FROM sales_order_lines GROUP BY 1, 2) x
		LEFT JOIN (SELECT substr(reference, 13)::uuid AS order_id, sku, sum(reserved_delta) AS r FROM stock_moves
		           WHERE reference LIKE 'salesOrders/%' GROUP BY 1, 2) m ON m.order_id = x.order_id AND m.sku = x.sku
		WHERE x.r <> coalesce(m.r, 0)`},
	{"shipped quantities differing from shipment lines", `SELECT count(*) FROM sales_order_lines o
		LEFT JOIN (SELECT s.order_id, l.line_number, sum(l.quantity) AS q FROM shipment_lines l JOIN shipments s ON s.id = l.shipment_id
		           GROUP BY 1, 2) y ON y.order_id = o.order_id AND y.line_number = o.line_number
		WHERE o.shipped_quantity <> coalesce(y.q, 0)`},
	{"inventory account differing from receipts minus shipments at standard cost", `SELECT count(*) FROM
		(SELECT (SELECT coalesce(sum(debit - credit), 0) FROM account_balances WHERE account_code = '1200')
		      - (SELECT coalesce(sum(round(m.on_hand_delta * i.standard_cost, 2)), 0) FROM stock_moves m JOIN items i ON i.sku = m.sku
		         WHERE m.kind = 'receipt')
		      + (SELECT coalesce(sum(cost), 0) FROM shipment_lines) AS diff) x WHERE diff <> 0`},
}

// Check runs every invariant query and returns an error naming those
// broken.
func Check(ctx context.Context, pool *pgxpool.Pool) error {
	var broken []string
	for _, inv := range invariants {
		var n int64
		if err := pool.QueryRow(ctx, inv.query).Scan(&n); err != nil {
			return fmt.Errorf("check %s: %w", inv.what, err)
		}
		if n != 0 {
			broken = append(broken, fmt.Sprintf("%d %s", n, inv.what))
		}
	}
	if len(broken) > 0 {
		return fmt.Errorf("invariants broken: %s", strings.Join(broken, "; "))
	}
	return nil
}
