package postgres_test

import (
	"context"
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/api"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

// migrationsUpTo is the migrations up to and including the file named last.
func migrationsUpTo(t *testing.T, last string) fs.FS {
	t.Helper()
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	out := fstest.MapFS{}
	for _, n := range names {
		if n > last {
			break
		}
		b, err := fs.ReadFile(migrations.FS, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &fstest.MapFile{Data: b}
	}
	return out
}

// Adjustments recorded before their ledger rows named them get their
// reference from migration 0015, and read back; no other row changes.
func TestAdjustmentReferencesMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "erp_0015"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pg.Migrate(ctx, pool, migrationsUpTo(t, "0014_sales_daily_totals.sql")); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool, api.EventEncoder{})
	mustCostedItem(t, s, "M-1", "10", "4.00")
	// Rows as the adjustments and a purchase order receipt wrote them.
	if _, err := pool.Exec(ctx, `
		INSERT INTO stock_levels (sku, warehouse, on_hand) VALUES ('M-1', 'MAIN', 7);
		INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, reason, reference, actor) VALUES
		  ('01900000-0000-7000-8000-000000000001', 'M-1', 'MAIN', 'receipt', 5, 0, 'receipt', '', 'old'),
		  ('01900000-0000-7000-8000-000000000002', 'M-1', 'MAIN', 'adjustment', -1, 0, 'damage', '', 'old'),
		  ('01900000-0000-7000-8000-000000000003', 'M-1', 'MAIN', 'receipt', 3, 0, 'receipt', 'purchaseOrders/x', 'old')`); err != nil {
		t.Fatal(err)
	}
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		t.Fatal(err)
	}
	rows, _ := pool.Query(ctx, `SELECT reference FROM stock_moves ORDER BY id`)
	refs, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"stockAdjustments/01900000-0000-7000-8000-000000000001",
		"stockAdjustments/01900000-0000-7000-8000-000000000002", "purchaseOrders/x"}
	if fmt.Sprint(refs) != fmt.Sprint(want) {
		t.Errorf("references = %v, want %v", refs, want)
	}
	adj, err := s.GetAdjustment(ctx, "01900000-0000-7000-8000-000000000002")
	if err != nil || adj.Quantity.String() != "-1" || adj.Reason != "damage" {
		t.Errorf("old adjustment read back = %+v, %v", adj, err)
	}
	// The ledger is append-only again.
	if _, err := pool.Exec(ctx, `UPDATE stock_moves SET reason = 'x'`); err == nil {
		t.Error("stock_moves took an update after the migration")
	}
}

// Items with stock incoming on purchase orders placed before ordering
// changed availability versions get a new version from migration 0017, so
// that copies taken before can be replaced; no other item changes.
func TestIncomingVersionsMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "erp_0017"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pg.Migrate(ctx, pool, migrationsUpTo(t, "0016_request_digest.sql")); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool, api.EventEncoder{})
	for _, sku := range []string{"M-IN", "M-DONE", "M-DRAFT", "M-NONE"} {
		mustCostedItem(t, s, sku, "10", "4.00")
	}
	sup := mustSupplier(t, s, "Old Supply")
	open := newOrderIDFor(t, s, sup.ID, "M-IN")
	done := newOrderIDFor(t, s, sup.ID, "M-DONE")
	newOrderIDFor(t, s, sup.ID, "M-DRAFT")
	// Orders placed (and one received) as the binaries before wrote them:
	// no new availability version.
	for _, q := range []string{
		`UPDATE purchase_orders SET status = 'ORDERED' WHERE id = '` + open + `'`,
		`UPDATE purchase_order_lines SET open = true WHERE order_id = '` + open + `'`,
		`UPDATE purchase_orders SET status = 'RECEIVED' WHERE id = '` + done + `'`,
		`UPDATE purchase_order_lines SET received_quantity = quantity WHERE order_id = '` + done + `'`,
	} {
		if _, err := pool.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		t.Fatal(err)
	}
	rows, _ := pool.Query(ctx, `SELECT sku || ' ' || version FROM stock_totals ORDER BY sku`)
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if want := "[M-DONE 0 M-DRAFT 0 M-IN 1 M-NONE 0]"; fmt.Sprint(got) != want {
		t.Errorf("versions = %v, want %s", got, want)
	}
}

// Payments reversed before a reversal cleared their unallocated amount
// get it cleared by migration 0020; posted payments keep theirs.
func TestReversedPaymentsMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "erp_0020"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pg.Migrate(ctx, pool, migrationsUpTo(t, "0019_purchase_order_closed.sql")); err != nil {
		t.Fatal(err)
	}
	// This store posts journal entries with their dates (migration 0024)
	// into open periods (0028) and reads invoices' credited amounts
	// (0032): the columns and the period are there while it writes the
	// old payments, and gone again before the migrations run, as in a
	// database of that time.
	if _, err := pool.Exec(ctx, `ALTER TABLE journal_lines ADD COLUMN entry_date date;
		ALTER TABLE invoices ADD COLUMN credited_amount numeric NOT NULL DEFAULT 0;
		CREATE TABLE ledger_period (closed_through date); INSERT INTO ledger_period VALUES (NULL)`); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool, api.EventEncoder{})
	c := mustCustomer(t, s, "Old Payer")
	kept, err := s.CreatePayment(ctx, pay(t, c.ID, "30"), "")
	if err != nil {
		t.Fatal(err)
	}
	reversed, err := s.CreatePayment(ctx, pay(t, c.ID, "40"), "")
	if err != nil {
		t.Fatal(err)
	}
	// Reversed as the binaries before wrote it: its credit left in place.
	if _, err := pool.Exec(ctx, `UPDATE payments SET status = 'REVERSED', revision = 2 WHERE id = $1`, reversed.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `ALTER TABLE journal_lines DROP COLUMN entry_date; ALTER TABLE invoices DROP COLUMN credited_amount;
		DROP TABLE ledger_period`); err != nil {
		t.Fatal(err)
	}
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{kept.ID: "30.00 EUR", reversed.ID: "0.00 EUR"} {
		if p, err := s.GetPayment(ctx, id); err != nil || p.Unallocated.String() != want {
			t.Errorf("payment %s unallocated = %s, %v; want %s", id, p.Unallocated, err, want)
		}
	}
}

// Invoices cancelled by credit notes with nothing paid, which binaries
// before CREDITED left PAID, become CREDITED in migration 0035 (revision
// + 1), and their orders with no PAID invoice INVOICED again; an invoice
// paid and credited together stays PAID, and so does an order with a paid
// invoice beside a credited one.
func TestInvoiceCreditedMigration(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "erp_0035"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	if err := pg.Migrate(ctx, pool, migrationsUpTo(t, "0034_gapless_document_numbers.sql")); err != nil {
		t.Fatal(err)
	}
	// This store writes CREDITED, which the check of that time refuses:
	// the check is off while it writes, and the rows are then made what
	// the binaries of that time wrote.
	if _, err := pool.Exec(ctx, `ALTER TABLE invoices DROP CONSTRAINT invoices_status_check`); err != nil {
		t.Fatal(err)
	}
	s := postgres.New(pool, api.EventEncoder{})
	c := mustCustomer(t, s, "Credited Before")
	mustTaxedCostedItem(t, s, "MIG-1", "10", "0.19", "4")
	mustAdjust(t, s, "MIG-1", "MAIN", "20")
	o1, credited := invoicedOrder(t, s, c.ID, "MIG-1", "1")
	if _, err := s.CreateCreditNote(ctx, credit(t, credited.ID, "", qtyLine(1, "1", "")), ""); err != nil {
		t.Fatal(err)
	}
	o2, mixed := invoicedOrder(t, s, c.ID, "MIG-1", "2")
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "11.90", mixed.ID, "11.90"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, mixed.ID, "", qtyLine(1, "1", "")), ""); err != nil {
		t.Fatal(err)
	}
	o3 := mustOrder(t, s, newOrder(c.ID, "", line("MIG-1", "2")))
	if _, err := s.ConfirmOrder(ctx, o3.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	var parts []string
	for range 2 {
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o3.ID, Lines: ship(1, "1")}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o3.ID, day("2026-01-01"), newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		parts = append(parts, inv.ID)
	}
	if _, err := s.CreatePayment(ctx, pay(t, c.ID, "11.90", parts[0], "11.90"), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCreditNote(ctx, credit(t, parts[1], "", qtyLine(1, "1", "")), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE sales_orders SET status = 'PAID' WHERE id = ANY($1::uuid[])`, []string{o1.ID, o2.ID, o3.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `UPDATE invoices SET status = 'PAID' WHERE status = 'CREDITED';
		ALTER TABLE invoices ADD CONSTRAINT invoices_status_check CHECK (status IN ('OPEN', 'PARTIALLY_PAID', 'PAID', 'OVERDUE', 'VOID'))`); err != nil {
		t.Fatal(err)
	}
	revision := func(table, id string) (rev int64) {
		t.Helper()
		if err := pool.QueryRow(ctx, `SELECT revision FROM `+table+` WHERE id = $1`, id).Scan(&rev); err != nil {
			t.Fatal(err)
		}
		return rev
	}
	before := map[string]int64{}
	for _, id := range []string{credited.ID, mixed.ID, parts[0], parts[1]} {
		before[id] = revision("invoices", id)
	}
	for _, id := range []string{o1.ID, o2.ID, o3.ID} {
		before[id] = revision("sales_orders", id)
	}

	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id   string
		want invoicing.Status
		bump int64
	}{
		{credited.ID, invoicing.CancelledByCredit, 1}, {mixed.ID, invoicing.Paid, 0},
		{parts[0], invoicing.Paid, 0}, {parts[1], invoicing.CancelledByCredit, 1},
	} {
		got, err := s.GetInvoice(ctx, tc.id)
		if err != nil || got.Status != tc.want || got.Revision != before[tc.id]+tc.bump {
			t.Errorf("invoice %s after 0035 = %s rev %d, %v; want %s rev %d", got.Number, got.Status, got.Revision, err,
				tc.want, before[tc.id]+tc.bump)
		}
	}
	for _, tc := range []struct {
		id   string
		want sales.Status
		bump int64
	}{
		{o1.ID, sales.Invoiced, 1}, {o2.ID, sales.Paid, 0}, {o3.ID, sales.Paid, 0},
	} {
		got, err := s.GetOrder(ctx, tc.id)
		if err != nil || got.Status != tc.want || got.Revision != before[tc.id]+tc.bump {
			t.Errorf("order %s after 0035 = %s rev %d, %v; want %s rev %d", got.Number, got.Status, got.Revision, err,
				tc.want, before[tc.id]+tc.bump)
		}
	}
	if _, err := pool.Exec(ctx, `UPDATE invoices SET status = 'BOGUS' WHERE id = $1`, credited.ID); err == nil {
		t.Error("the status check lets any status in")
	}
}
