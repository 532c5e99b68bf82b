package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/platform/listing"
)

// Every filter of ListSupplierBills reads its page from its (column, id)
// index in id order, never a scan or a sort of all the bills.
func TestListBillsPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO suppliers (id, name, currency_code)
		  SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'S' || g, 'EUR' FROM generate_series(1, 100) g;
		INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
		  SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid, 'PO-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid, 'EUR', 'RECEIVED', 1
		  FROM generate_series(1, 1000) g;
		INSERT INTO supplier_bills (id, number, supplier_id, purchase_order_id, supplier_invoice_number, currency_code,
		    invoice_date, due_date, subtotal, tax_amount, total, paid, status)
		  SELECT gen_random_uuid(), 'BILL-' || g, ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0002-' || lpad(to_hex(g % 1000 + 1), 12, '0'))::uuid, 'I' || g, 'EUR',
		    '2030-01-01', '2030-02-01', 1, 0, 1, CASE WHEN g % 3 = 0 THEN 0 ELSE 1 END,
		    CASE WHEN g % 3 = 0 THEN 'OPEN' ELSE 'PAID' END
		  FROM generate_series(1, 30000) g;
		ANALYZE suppliers; ANALYZE purchase_orders; ANALYZE supplier_bills`); err != nil {
		t.Fatal(err)
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM supplier_bills ORDER BY id LIMIT 1 OFFSET 50`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ filter, index string }{
		{`supplier_id = "00000000-0000-0000-0001-000000000007"`, "supplier_bills_supplier_idx"},
		{`purchase_order_id = "00000000-0000-0000-0002-000000000007"`, "supplier_bills_order_idx"},
		{`status = "OPEN"`, "supplier_bills_status_idx"},
		{``, "supplier_bills_pkey"},
	} {
		conds, err := listing.ParseFilter(tc.filter, payables.BillFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.BillsSQL(payables.ListQuery{Filter: conds, PageSize: 50, After: after}))
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan on supplier_bills") {
				t.Errorf("filter %q after %q: want a read of %s:\n%s", tc.filter, after, tc.index, plan)
			}
		}
	}
}

// Every filter of ListSupplierPayments reads its page from its
// (column, id) index in id order, never a scan or a sort of all the
// payments.
func TestListSupplierPaymentsPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO suppliers (id, name, currency_code)
		  SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'S' || g, 'EUR' FROM generate_series(1, 100) g;
		INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
		  SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid, 'PO-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid, 'EUR', 'RECEIVED', 1
		  FROM generate_series(1, 100) g;
		INSERT INTO supplier_bills (id, number, supplier_id, purchase_order_id, supplier_invoice_number, currency_code,
		    invoice_date, due_date, subtotal, tax_amount, total, paid, status)
		  SELECT ('00000000-0000-0000-0003-' || lpad(to_hex(g), 12, '0'))::uuid, 'BILL-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0002-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid, 'I' || g, 'EUR',
		    '2030-01-01', '2030-02-01', 100, 0, 100, 100, 'PAID'
		  FROM generate_series(1, 3000) g;
		INSERT INTO supplier_payments (id, number, bill_id, supplier_id, currency_code, amount, paid_date)
		  SELECT gen_random_uuid(), 'SPAY-' || g,
		    ('00000000-0000-0000-0003-' || lpad(to_hex(g % 3000 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0001-' || lpad(to_hex((g % 3000 + 1) % 100 + 1), 12, '0'))::uuid, 'EUR', 10, '2030-01-15'
		  FROM generate_series(1, 30000) g;
		ANALYZE suppliers; ANALYZE purchase_orders; ANALYZE supplier_bills; ANALYZE supplier_payments`); err != nil {
		t.Fatal(err)
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM supplier_payments ORDER BY id LIMIT 1 OFFSET 50`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ filter, index string }{
		{`supplier_id = "00000000-0000-0000-0001-000000000007"`, "supplier_payments_supplier_idx"},
		{`bill_id = "00000000-0000-0000-0003-000000000007"`, "supplier_payments_bill_idx"},
		{``, "supplier_payments_pkey"},
	} {
		conds, err := listing.ParseFilter(tc.filter, payables.PaymentFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.SupplierPaymentsSQL(payables.ListQuery{Filter: conds, PageSize: 50, After: after}))
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan on supplier_payments") || strings.Contains(plan, "Sort") {
				t.Errorf("filter %q after %q: want a read of %s in id order:\n%s", tc.filter, after, tc.index, plan)
			}
		}
	}
}

// A page of the payables report reads the open bills from their partial
// index in (supplier, currency) order and stops after the page: never a
// scan or a sort of all the bills, with or without a supplier or a page
// token.
func TestPayablesReportPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO suppliers (id, name, currency_code)
		  SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'S' || g, 'EUR' FROM generate_series(1, 2000) g;
		INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
		  SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid, 'PO-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'EUR', 'RECEIVED', 1
		  FROM generate_series(1, 2000) g;
		INSERT INTO supplier_bills (id, number, supplier_id, purchase_order_id, supplier_invoice_number, currency_code,
		    invoice_date, due_date, subtotal, tax_amount, total, paid, status)
		  SELECT gen_random_uuid(), 'BILL-' || g, ('00000000-0000-0000-0001-' || lpad(to_hex(g % 2000 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0002-' || lpad(to_hex(g % 2000 + 1), 12, '0'))::uuid, 'I' || g,
		    CASE WHEN g % 7 = 0 THEN 'USD' ELSE 'EUR' END,
		    '2030-01-01', '2030-02-01', 1, 0, 1, CASE WHEN g % 3 = 0 THEN 0 ELSE 1 END,
		    CASE WHEN g % 3 = 0 THEN 'OPEN' ELSE 'PAID' END
		  FROM generate_series(1, 30000) g;
		INSERT INTO supplier_payments (id, number, bill_id, supplier_id, currency_code, amount, paid_date)
		  SELECT gen_random_uuid(), 'SPAY-' || b.number, b.id, b.supplier_id, b.currency_code, 1, '2030-01-05'
		  FROM supplier_bills b WHERE b.status = 'PAID';
		INSERT INTO supplier_credit_notes (id, number, bill_id, supplier_id, purchase_order_id, currency_code, credit_date,
		    reason, subtotal, tax_amount, total)
		  SELECT gen_random_uuid(), 'SCN-' || b.number, b.id, b.supplier_id, b.purchase_order_id, b.currency_code, '2030-01-03',
		    'r', 0.1, 0, 0.1
		  FROM supplier_bills b WHERE b.status = 'OPEN' AND b.number LIKE '%7';
		ANALYZE suppliers; ANALYZE purchase_orders; ANALYZE supplier_bills; ANALYZE supplier_payments; ANALYZE supplier_credit_notes`); err != nil {
		t.Fatal(err)
	}
	after := &payables.ReportKey{SupplierID: "00000000-0000-0000-0001-000000000100", Currency: "EUR"}
	for _, q := range []payables.ReportQuery{
		{Limit: 50},
		{Limit: 50, After: after},
		{Limit: 50, SupplierID: "00000000-0000-0000-0001-000000000007"},
	} {
		q.AsOf = day("2030-01-15")
		plan := planOf(t, pool)(postgres.PayablesSQL(q))
		// What is under the page's Limit is read in order; only the page
		// (a sort of at most Limit+1 rows) may be sorted again above it.
		_, page, _ := strings.Cut(plan, "Limit")
		if !strings.Contains(page, "supplier_bills_open_idx") || strings.Contains(page, "Seq Scan on supplier_bills") ||
			strings.Contains(page, "Sort") || strings.Contains(page, "HashAggregate") {
			t.Errorf("%+v: want a read of supplier_bills_open_idx in order:\n%s", q, plan)
		}
		// As of a past day: every bill of the page's suppliers in
		// (supplier, currency) order, each bill's payments and credit
		// notes from their bill indexes.
		plan = planOf(t, pool)(postgres.PayablesAsOfSQL(q))
		_, page, _ = strings.Cut(plan, "Limit")
		if !strings.Contains(page, "supplier_bills_supplier_currency_idx") || strings.Contains(page, "Seq Scan") ||
			strings.Contains(page, "Sort") || strings.Contains(page, "HashAggregate") ||
			!strings.Contains(page, "supplier_payments_bill_idx") || !strings.Contains(page, "supplier_credit_notes_bill_idx") {
			t.Errorf("%+v as of a past day: want a read of supplier_bills_supplier_currency_idx in order, payments and credit notes by bill:\n%s", q, plan)
		}
	}
	// Whether anything is dated after the day: two index probes, and the
	// period's one row.
	plan := planOf(t, pool)(postgres.DatedAfterSQL, []any{day("2030-01-15")}, nil)
	if strings.Contains(strings.ReplaceAll(plan, "Seq Scan on ledger_period", ""), "Seq Scan") ||
		!strings.Contains(plan, "supplier_payments_paid_date_idx") ||
		!strings.Contains(plan, "supplier_credit_notes_credit_date_idx") {
		t.Errorf("dated after: want reads of the date indexes:\n%s", plan)
	}
}
