package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/listing"
)

// Every filter ListStockMoves accepts reads its page from an index: an
// item's card from (sku, id), in its order (no sort of all of the item's
// moves), also when narrowed (then the planner may sort the few it
// estimates), a document's moves from the reference index, the whole
// ledger from the primary key in its order. Never a scan of the ledger.
func TestListMovesPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO warehouses (code, name) VALUES ('EAST', 'East');
		INSERT INTO items (sku, name, unit_of_measure, currency_code, list_price, standard_cost, tax_rate)
		  SELECT 'S-' || g, 'Item', 'pcs', 'EUR', 1, 1, 0 FROM generate_series(1, 200) g;
		INSERT INTO stock_levels (sku, warehouse, on_hand, reserved, version)
		  SELECT 'S-' || g, w, 0, 0, 1 FROM generate_series(1, 200) g, (VALUES ('MAIN'), ('EAST')) v(w);
		INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, actor, reference)
		  SELECT gen_random_uuid(), 'S-' || (g % 200 + 1), CASE WHEN g % 2 = 0 THEN 'MAIN' ELSE 'EAST' END, 'adjustment', 1, 0, 'x',
		    CASE WHEN g % 3 = 0 THEN 'salesOrders/' || g ELSE '' END
		  FROM generate_series(1, 60000) g;
		ANALYZE stock_moves`); err != nil {
		t.Fatal(err)
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM stock_moves WHERE sku = 'S-7' ORDER BY id LIMIT 1 OFFSET 50`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter, index string
		ordered       bool
	}{
		{`sku = "S-7"`, "stock_moves_sku_idx", true},
		{`sku = "S-7" AND warehouse = "EAST"`, "stock_moves_sku_idx", false},
		{`sku = "S-7" AND kind = "adjustment"`, "stock_moves_sku_idx", false},
		{`reference = "salesOrders/300"`, "stock_moves_reference_idx", false},
		{``, "stock_moves_pkey", true},
	} {
		conds, err := listing.ParseFilter(tc.filter, stock.MoveFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			sql, args, err := postgres.MovesSQL(stock.MoveQuery{Filter: conds, PageSize: 100, After: after})
			if err != nil {
				t.Fatal(err)
			}
			rows, _ := pool.Query(ctx, "EXPLAIN "+sql, args...)
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan") || tc.ordered && strings.Contains(plan, "Sort") {
				t.Errorf("filter %q after %q: want a read of %s (ordered: %v):\n%s", tc.filter, after, tc.index, tc.ordered, plan)
			}
		}
	}
}
