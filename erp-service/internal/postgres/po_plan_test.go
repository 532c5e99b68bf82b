package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/listing"
)

// ListPurchaseOrders filtered by SKU reads the orders with a line of the
// item from purchase_order_lines (sku, order_id), from the token's id on
// and in id order (no sort of all of the item's orders), also when
// narrowed by status or supplier; never a scan of the orders or lines.
func TestListPurchaseOrdersPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO items (sku, name, unit_of_measure, currency_code, list_price, standard_cost, tax_rate)
		  SELECT 'P-' || g, 'Item', 'pcs', 'EUR', 1, 1, 0 FROM generate_series(1, 500) g;
		INSERT INTO suppliers (id, name, currency_code)
		  SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid, 'S' || g, 'EUR' FROM generate_series(1, 50) g;
		INSERT INTO purchase_orders (id, number, supplier_id, currency_code, status, total)
		  SELECT ('00000000-0000-0000-0001-' || lpad(to_hex(g), 12, '0'))::uuid, 'PO-' || g,
		    ('00000000-0000-0000-0000-' || lpad(to_hex(g % 50 + 1), 12, '0'))::uuid, 'EUR',
		    (ARRAY['DRAFT', 'ORDERED', 'RECEIVED', 'CANCELLED'])[g % 4 + 1], 3
		  FROM generate_series(1, 30000) g;
		INSERT INTO purchase_order_lines (order_id, line_number, sku, quantity, unit_cost, expected_date, amount)
		  SELECT id, n, 'P-' || ((row_number() OVER () * 7 + n * 13) % 500 + 1), 1, 1, '2030-01-01', 1
		  FROM purchase_orders, generate_series(1, 3) n;
		`); err != nil {
		t.Fatal(err)
	}
	// As autovacuum leaves them.
	for _, table := range []string{"purchase_orders", "purchase_order_lines"} {
		if _, err := pool.Exec(ctx, "VACUUM ANALYZE "+table); err != nil {
			t.Fatal(err)
		}
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT order_id::text FROM purchase_order_lines WHERE sku = 'P-7' ORDER BY order_id LIMIT 1 OFFSET 50`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, filter := range []string{
		`sku = "P-7"`,
		`sku = "P-7" AND status = "ORDERED"`,
		`supplier_id = "00000000-0000-0000-0000-000000000003" AND sku = "P-7"`,
	} {
		conds, err := listing.ParseFilter(filter, purchasing.OrderFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.PurchaseOrdersSQL(purchasing.ListQuery{Filter: conds, PageSize: 50, After: after}))
			// The page's own lines are sorted after the join: only the
			// inner query (above the outer join's sort) must not sort.
			inner := plan[strings.Index(plan, "Limit"):]
			if !strings.Contains(plan, "purchase_order_lines_sku_order_idx") || strings.Contains(plan, "Seq Scan") ||
				strings.Contains(inner, "Sort") {
				t.Errorf("filter %q after %q: want a read of purchase_order_lines_sku_order_idx in id order:\n%s", filter, after, plan)
			}
		}
	}
	for _, filter := range []string{`sku != "P-7"`, `sku > "P"`, `sku = "P-7" AND sku = "P-8"`} {
		conds, err := listing.ParseFilter(filter, purchasing.OrderFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = postgres.PurchaseOrdersSQL(purchasing.ListQuery{Filter: conds, PageSize: 50})
		if got := violations(t, err); len(got) != 1 || got[0] != "filter" {
			t.Errorf("filter %q: %v", filter, got)
		}
	}
}

// ListPurchaseOrders by SKU lists each order with a line of the item
// once, in id order, a page at a time, narrowed by the other conditions.
func TestListPurchaseOrdersBySKU(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	mustItem(t, s, "F-A", "1")
	mustItem(t, s, "F-B", "1")
	when := time.Now().UTC().Truncate(24 * time.Hour)
	pl := func(sku string) purchasing.Line {
		return purchasing.Line{SKU: sku, Quantity: dec("1"), UnitCost: dec("1"), ExpectedDate: when}
	}
	sup := mustSupplier(t, s, "Parts")
	var want []string
	for _, lines := range [][]purchasing.Line{{pl("F-A"), pl("F-A")}, {pl("F-B")}, {pl("F-B"), pl("F-A")}, {pl("F-A")}} {
		o, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: lines}, "")
		if err != nil {
			t.Fatal(err)
		}
		if lines[len(lines)-1].SKU == "F-A" {
			want = append(want, o.Number)
		}
	}
	list := func(filter string, size int) []string {
		conds, err := listing.ParseFilter(filter, purchasing.OrderFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		after := ""
		for {
			page, more, err := s.ListPurchaseOrders(ctx, purchasing.ListQuery{Filter: conds, PageSize: size, After: after})
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page {
				got = append(got, o.Number)
			}
			if !more {
				return got
			}
			after = page[len(page)-1].ID
		}
	}
	for _, size := range []int{1, 2, 50} {
		if got := list(`sku = "F-A"`, size); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("sku = F-A, pages of %d: %v, want %v", size, got, want)
		}
	}
	if got := list(`sku = "F-A" AND status = "DRAFT" AND supplier_id = "`+sup.ID+`"`, 2); len(got) != 3 {
		t.Errorf("sku = F-A, drafts of the supplier: %v", got)
	}
	if got := list(`sku = "F-A" AND status = "ORDERED"`, 2); len(got) != 0 {
		t.Errorf("sku = F-A, ordered: %v", got)
	}
	if got := list(`sku = "NONE"`, 2); len(got) != 0 {
		t.Errorf("sku = NONE: %v", got)
	}
}
