package postgres_test

import (
	"context"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/api"
	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func migrate(ctx context.Context, url string) error {
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	return pg.Migrate(ctx, pool, migrations.FS)
}

// newStore returns a store on a fresh, migrated database, and its pool for
// looking at rows directly.
func newStore(t *testing.T) (*postgres.Store, *pgxpool.Pool) {
	t.Helper()
	url := pgtest.NewDB(t, "erp", migrate)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 16})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgres.New(pool, api.EventEncoder{}), pool
}

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func eur(s string) money.Money { return money.Money{Currency: "EUR", Amount: dec(s)} }

// count returns the number of rows of a table.
func count(t *testing.T, pool *pgxpool.Pool, table string) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM "+table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// rowCounts counts the rows of every table a write may touch.
func rowCounts(t *testing.T, pool *pgxpool.Pool) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, tbl := range []string{"customers", "items", "stock_totals", "stock_levels", "stock_moves",
		"sales_orders", "sales_order_lines", "idempotency_keys", "outbox_events", "warehouses"} {
		out[tbl] = count(t, pool, tbl)
	}
	return out
}

func newID(t testing.TB) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

func mustCustomer(t *testing.T, s *postgres.Store, name string) customer.Customer {
	t.Helper()
	c := customer.Customer{ID: newID(t), Name: name}
	if err := customer.PrepareNew(&c); err != nil {
		t.Fatal(err)
	}
	out, err := s.CreateCustomer(context.Background(), c, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustItem(t *testing.T, s *postgres.Store, sku, price string) catalog.Item {
	t.Helper()
	it := catalog.Item{SKU: sku, Name: "Item " + sku, ListPrice: eur(price)}
	if err := catalog.PrepareNew(&it, nil); err != nil {
		t.Fatal(err)
	}
	out, err := s.CreateItem(context.Background(), it, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustAdjust(t *testing.T, s *postgres.Store, sku, warehouse, qty string) stock.Adjustment {
	t.Helper()
	reason := "receipt"
	if dec(qty).IsNegative() {
		reason = "correction" // a receipt is positive
	}
	a := stock.Adjustment{ID: newID(t), SKU: sku, Warehouse: warehouse, Quantity: dec(qty), Reason: reason}
	if err := stock.PrepareAdjustment(&a); err != nil {
		t.Fatal(err)
	}
	out, err := s.Adjust(context.Background(), a, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// allEvents reads the whole feed once every committed event is readable
// (the feed holds events back while any older transaction on the server,
// of any test, is still open).
func allEvents(t *testing.T, pool *pgxpool.Pool) []feed.Event {
	t.Helper()
	r := feed.NewReader(pool)
	want := count(t, pool, "outbox_events")
	deadline := time.Now().Add(10 * time.Second)
	for {
		var out []feed.Event
		var after feed.Cursor
		for {
			evs, err := r.List(context.Background(), after, 1000)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, evs...)
			if len(evs) < 1000 {
				break
			}
			after = evs[len(evs)-1].Cursor
		}
		if len(out) >= want {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("feed serves %d events, the table has %d", len(out), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// payload decodes an event payload as generic JSON.
func payload(t *testing.T, e feed.Event) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(e.Payload, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// checkLedger asserts that stock_levels and stock_totals are exactly the
// sums of the ledger and that no level breaks a stock rule.
func checkLedger(t *testing.T, pool *pgxpool.Pool) {
	t.Helper()
	ctx := context.Background()
	var bad int
	err := pool.QueryRow(ctx, `
		SELECT count(*) FROM stock_levels l
		FULL JOIN (SELECT sku, warehouse, sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved
		           FROM stock_moves GROUP BY sku, warehouse) m
		  ON m.sku = l.sku AND m.warehouse = l.warehouse
		WHERE l.on_hand IS DISTINCT FROM m.on_hand OR l.reserved IS DISTINCT FROM m.reserved`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d stock levels differ from the sums of the ledger", bad)
	}
	err = pool.QueryRow(ctx, `
		SELECT count(*) FROM stock_totals t
		LEFT JOIN (SELECT sku, sum(on_hand) AS on_hand, sum(reserved) AS reserved FROM stock_levels GROUP BY sku) l
		  ON l.sku = t.sku
		WHERE t.on_hand <> coalesce(l.on_hand, 0) OR t.reserved <> coalesce(l.reserved, 0)`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d stock totals differ from the sums of their levels", bad)
	}
	err = pool.QueryRow(ctx, `SELECT count(*) FROM stock_levels WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand`).Scan(&bad)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d stock levels break a stock rule", bad)
	}
}
