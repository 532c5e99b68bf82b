package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/pg"
)

// Every filter ListStockMoves accepts reads its page from an index: an
// item's card from (sku, xid, id), in its order (no sort of all of the
// item's moves), also when narrowed (then the planner may sort the few it
// estimates), a document's moves from the reference index, the whole
// ledger from (xid, id) in its order. Never a scan of the ledger. The
// token's place is a lookup of the primary key.
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
	if err := pool.QueryRow(ctx, `SELECT id::text FROM stock_moves WHERE sku = 'S-7' ORDER BY xid, id LIMIT 1 OFFSET 50`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter, index string
		ordered       bool
	}{
		{`sku = "S-7"`, "stock_moves_sku_xid_idx", true},
		{`sku = "S-7" AND warehouse = "EAST"`, "stock_moves_sku", false},
		{`sku = "S-7" AND kind = "adjustment"`, "stock_moves_sku", false},
		{`reference = "salesOrders/300"`, "stock_moves_reference_idx", false},
		{``, "stock_moves_xid_idx", true},
	} {
		conds, err := listing.ParseFilter(tc.filter, stock.MoveFilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.MovesSQL(stock.MoveQuery{Filter: conds, PageSize: 100, After: after}))
			if !strings.Contains(plan, tc.index) || strings.Contains(plan, "Seq Scan") || tc.ordered && strings.Contains(plan, "Sort") ||
				usesSuperseded(plan) {
				t.Errorf("filter %q after %q: want a read of %s (ordered: %v):\n%s", tc.filter, after, tc.index, tc.ordered, plan)
			}
		}
	}
}

// superseded are the indexes of the ledgers in id order that migration
// 0022's (xid, id) indexes replaced; no list reads them (migration 0026
// drops them).
var superseded = []string{"stock_moves_sku_idx", "journal_entries_kind_idx", "journal_entries_currency_code_idx"}

// usesSuperseded reports whether plan reads a superseded index.
func usesSuperseded(plan string) bool {
	for _, idx := range superseded {
		if strings.Contains(plan, " "+idx+" ") || strings.HasSuffix(plan, " "+idx) || strings.Contains(plan, " "+idx+"\n") {
			return true
		}
	}
	return false
}

// planOf returns a function giving the plan, as one text, of the query
// and arguments a store's SQL builder returns (failing the test on the
// builder's error): plan := planOf(t, pool)(postgres.BillsSQL(q)).
func planOf(t *testing.T, pool *pgxpool.Pool) func(sql string, args []any, err error) string {
	return func(sql string, args []any, err error) string {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		lines, err := explain(context.Background(), pool, sql, args)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(lines, "\n")
	}
}

// explain returns the plan of a read-through list's page query, planned as
// the store runs it (readPage): generic, at SSD page costs.
func explain(ctx context.Context, pool *pgxpool.Pool, sql string, args []any) ([]string, error) {
	var b pgx.Batch
	pg.QueueKeyedPlans(&b)
	var lines []string
	b.Queue("EXPLAIN "+sql, args...).Query(func(rows pgx.Rows) error {
		var err error
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	err := pool.SendBatch(ctx, &b).Close()
	return lines, err
}

// Every filter of ListJournalEntries reads its page of entries from an
// index in its order: the journal's (xid, id), or (kind, xid, id) and
// (currency_code, xid, id), never a sort of all the entries of a kind;
// a document's entries from the reference index. Only the page's lines
// are sorted, after the join.
func TestListEntriesPlans(t *testing.T) {
	t.Parallel()
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `
		INSERT INTO journal_entries (id, kind, reference, currency_code, actor)
		  SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(g), 12, '0'))::uuid,
		    (ARRAY['shipment', 'invoice', 'payment'])[g % 3 + 1], 'invoices/' || g, CASE WHEN g % 4 = 0 THEN 'USD' ELSE 'EUR' END, 'x'
		  FROM generate_series(1, 30000) g;
		INSERT INTO journal_lines (entry_id, line_number, account_code, debit, credit)
		  SELECT id, n, CASE n WHEN 1 THEN '1000' ELSE '1100' END, CASE n WHEN 1 THEN 1 ELSE 0 END, CASE n WHEN 1 THEN 0 ELSE 1 END
		  FROM journal_entries, generate_series(1, 2) n;
		ANALYZE journal_entries; ANALYZE journal_lines`); err != nil {
		t.Fatal(err)
	}
	var last string
	if err := pool.QueryRow(ctx, `SELECT id::text FROM journal_entries WHERE kind = 'invoice' ORDER BY xid, id LIMIT 1 OFFSET 50`).Scan(&last); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		filter, index string
		ordered       bool
	}{
		{`kind = "invoice"`, "journal_entries_kind_xid_idx", true},
		{`currency_code = "USD"`, "journal_entries_currency_code_xid_idx", true},
		{`reference = "invoices/300"`, "journal_entries_reference_idx", false},
		{``, "journal_entries_xid_idx", true},
	} {
		conds, err := listing.ParseFilter(tc.filter, ledger.FilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		for _, after := range []string{"", last} {
			plan := planOf(t, pool)(postgres.EntriesSQL(ledger.ListQuery{Filter: conds, PageSize: 100, After: after}))
			// The page of entries is what lies under the Limit.
			_, page, _ := strings.Cut(plan, "Limit")
			if !strings.Contains(page, tc.index) || strings.Contains(plan, "Seq Scan on journal_entries") || tc.ordered && strings.Contains(page, "Sort") ||
				usesSuperseded(plan) {
				t.Errorf("filter %q after %q: want a read of %s (ordered: %v):\n%s", tc.filter, after, tc.index, tc.ordered, plan)
			}
		}
	}
}
