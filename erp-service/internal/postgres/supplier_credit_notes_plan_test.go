package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/payables"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/platform/listing"
)

// ListSupplierCreditNotes by bill or by supplier reads its page from the
// (column, id) index in id order, never a scan or a sort of all the
// credit notes; unfiltered, from the primary key.
func TestListSupplierCreditNotesPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO suppliers (id, name, currency_code)
		  SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'S' || g, 'EUR' FROM generate_series(1, 100) g;
		INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
		  SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid, 'PO-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid, 'EUR', 'RECEIVED', 100
		  FROM generate_series(1, 1000) g;
		INSERT INTO supplier_bills (id, number, supplier_id, purchase_order_id, supplier_invoice_number, currency_code,
		    invoice_date, due_date, subtotal, tax_amount, total, paid, credited, status)
		  SELECT ('00000000-0000-0000-0003-' || lpad(to_hex(g), 12, '0'))::uuid, 'BILL-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid, 'I' || g, 'EUR',
		    '2030-01-01', '2030-02-01', 100, 0, 100, 0, 100, 'PAID'
		  FROM generate_series(1, 1000) g;
		INSERT INTO supplier_credit_notes (id, number, bill_id, supplier_id, purchase_order_id, currency_code, credit_date,
		    reason, subtotal, tax_amount, total)
		  SELECT gen_random_uuid(), 'SCN-' || g, ('00000000-0000-0000-0003-' || lpad(to_hex(g % 1000 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0001-' || lpad(to_hex((g % 1000 + 1) % 100 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0002-' || lpad(to_hex(g % 1000 + 1), 12, '0'))::uuid, 'EUR', '2030-01-02', 'r', 1, 0, 1
		  FROM generate_series(1, 30000) g;
		ANALYZE suppliers; ANALYZE purchase_orders; ANALYZE supplier_bills; ANALYZE supplier_credit_notes`); err != nil {
		t.Fatal(err)
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM supplier_credit_notes ORDER BY id LIMIT 1 OFFSET 20`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ filter, index string }{
		{`bill_id = "00000000-0000-0000-0003-000000000007"`, "supplier_credit_notes_bill_idx"},
		{`supplier_id = "00000000-0000-0000-0001-000000000007"`, "supplier_credit_notes_supplier_idx"},
		{``, "supplier_credit_notes_pkey"},
	} {
		conds, err := listing.ParseFilter(tc.filter, payables.CreditFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.SupplierCreditNotesSQL(payables.ListQuery{Filter: conds, PageSize: 50, After: after}))
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan on supplier_credit_notes") {
				t.Errorf("filter %q after %q: want a read of %s:\n%s", tc.filter, after, tc.index, plan)
			}
		}
	}
}
