package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/platform/listing"
)

// ListCreditNotes by invoice or by customer reads its page from the
// (column, id) index in id order, never a scan or a sort of all the
// credit notes; unfiltered, or by credit date alone, from the primary key.
func TestListCreditNotesPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO customers (id, name, currency_code)
		  SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'C' || g, 'EUR' FROM generate_series(1, 100) g;
		INSERT INTO sales_orders (id, number, customer_id, currency_code, status, total)
		  SELECT ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid, 'SO-' || g,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid, 'EUR', 'INVOICED', 100
		  FROM generate_series(1, 1000) g;
		INSERT INTO invoices (id, number, order_id, customer_id, currency_code, status, subtotal, tax_total, total,
		    credited_amount, issue_date, due_date)
		  SELECT ('00000000-0000-0000-0003-' || lpad(to_hex(g), 12, '0'))::uuid, 'INV-' || g,
		    ('00000000-0000-0000-0002-' || lpad(to_hex(g), 12, '0'))::uuid,
		    ('00000000-0000-0000-0001-' || lpad(to_hex(g % 100 + 1), 12, '0'))::uuid, 'EUR', 'PAID', 100, 0, 100, 100,
		    '2030-01-01', '2030-02-01'
		  FROM generate_series(1, 1000) g;
		INSERT INTO credit_notes (id, number, invoice_id, customer_id, currency_code, credit_date, reason, subtotal, tax_total, total)
		  SELECT gen_random_uuid(), 'CN-' || g, ('00000000-0000-0000-0003-' || lpad(to_hex(g % 1000 + 1), 12, '0'))::uuid,
		    ('00000000-0000-0000-0001-' || lpad(to_hex((g % 1000) % 100 + 1), 12, '0'))::uuid, 'EUR', '2030-01-02', 'r', 1, 0, 1
		  FROM generate_series(1, 30000) g;
		ANALYZE customers; ANALYZE sales_orders; ANALYZE invoices; ANALYZE credit_notes`); err != nil {
		t.Fatal(err)
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM credit_notes ORDER BY id LIMIT 1 OFFSET 20`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ filter, index string }{
		{`invoice_id = "00000000-0000-0000-0003-000000000007"`, "credit_notes_invoice_idx"},
		{`customer_id = "00000000-0000-0000-0001-000000000007"`, "credit_notes_customer_idx"},
		{``, "credit_notes_pkey"},
		{`credit_date >= "2030-01-01" AND credit_date <= "2030-01-31"`, "credit_notes_pkey"},
		{`customer_id = "00000000-0000-0000-0001-000000000007" AND credit_date = "2030-01-02"`, "credit_notes_customer_idx"},
	} {
		conds, err := listing.ParseFilter(tc.filter, invoicing.CreditFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.CreditNotesSQL(invoicing.CreditListQuery{Filter: conds, PageSize: 50, After: after}))
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan on credit_notes") {
				t.Errorf("filter %q after %q: want a read of %s:\n%s", tc.filter, after, tc.index, plan)
			}
		}
	}
}
