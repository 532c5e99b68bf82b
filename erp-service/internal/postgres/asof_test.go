package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/payment"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/errs"
)

// journalDates returns the distinct entry dates of the journal lines of
// the entries with reference ref.
func journalDates(t *testing.T, pool *pgxpool.Pool, ref string) []string {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT DISTINCT l.entry_date::text FROM journal_lines l
		JOIN journal_entries e ON e.id = l.entry_id WHERE e.reference = $1 ORDER BY 1`, ref)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var d string
		if err := rows.Scan(&d); err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// A shipment's date dates its cost of goods sold and its stock moves; it
// defaults to today, may not be after it, and not in the closed period.
func TestShipDate(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	today := utcToday()
	c := mustCustomer(t, s, "Ship Date Ltd")
	mustCostedItem(t, s, "SD-1", "10.00", "4.00")
	mustAdjust(t, s, "SD-1", "MAIN", "10")
	o := mustOrder(t, s, newOrder(c.ID, "", line("SD-1", "5")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}

	back := today.AddDate(0, 0, -3)
	sh, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "2"), ShipDate: back}, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !sh.ShipDate.Equal(back) {
		t.Errorf("ship date = %v, want %v", sh.ShipDate, back)
	}
	if got, err := s.GetShipment(ctx, sh.ID); err != nil || !got.ShipDate.Equal(back) {
		t.Errorf("GetShipment: ship date %v, %v; want %v", got.ShipDate, err, back)
	}
	if got := journalDates(t, pool, sh.Reference()); fmt.Sprint(got) != fmt.Sprint([]string{back.Format(time.DateOnly)}) {
		t.Errorf("cost of goods sold dated %v, want %s", got, back.Format(time.DateOnly))
	}
	var moveDate time.Time
	if err := pool.QueryRow(ctx, `SELECT DISTINCT move_date FROM stock_moves WHERE reason = $1`, sh.Reference()).Scan(&moveDate); err != nil || !moveDate.Equal(back) {
		t.Errorf("stock moves dated %v (%v), want %v", moveDate, err, back)
	}
	// The period of the ship date holds the cost of goods sold, the day
	// before does not.
	period, err := s.PeriodBalance(ctx, "EUR", back, back)
	if err != nil {
		t.Fatal(err)
	}
	cogs := ""
	for _, r := range period {
		if r.Account == "5000" {
			cogs = r.Balance().String()
		}
	}
	if cogs != "8" {
		t.Errorf("5000 on %s = %q, want 8", back.Format(time.DateOnly), cogs)
	}

	sh2, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1")}, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	if !sh2.ShipDate.Equal(today) {
		t.Errorf("default ship date = %v, want today %v", sh2.ShipDate, today)
	}

	shipments := count(t, pool, "shipments")
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1"), ShipDate: today.AddDate(0, 0, 1)}, newID(t), "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) == 0 || e.Violations[0].Field != "ship_date" {
		t.Errorf("ship date tomorrow: %v, want INVALID_ARGUMENT naming ship_date", err)
	}

	through := today.AddDate(0, 0, -2)
	mustClose(t, s, through)
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1"), ShipDate: through}, newID(t), "")
	closedErr(t, "shipment dated on the closed day", err, through)
	if n := count(t, pool, "shipments"); n != shipments {
		t.Errorf("%d shipments after refusals, want %d", n, shipments)
	}
	// A shipment that posts nothing (no standard cost) is refused too.
	mustItem(t, s, "SD-0", "10.00")
	mustAdjust(t, s, "SD-0", "MAIN", "1")
	o0 := mustOrder(t, s, newOrder(c.ID, "", line("SD-0", "1")))
	if _, err := s.ConfirmOrder(ctx, o0.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateShipment(ctx, shipping.NewShipment{OrderID: o0.ID, ShipDate: through.AddDate(0, 0, -1)}, newID(t), "")
	closedErr(t, "shipment without cost dated in the closed period", err, through)
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, Lines: ship(1, "1"), ShipDate: through.AddDate(0, 0, 1)}, newID(t), ""); err != nil {
		t.Errorf("shipment on the first open day: %v", err)
	}
	checkJournal(t, s, pool)
}

// The stock valuation as of a day sums the moves dated up to it: a
// shipment's on its ship date, a move written before migration 0030 on
// its created_at's day.
func TestStockValuationAsOf(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	today := utcToday()
	c := mustCustomer(t, s, "Valued Ltd")
	mustCostedItem(t, s, "VA-1", "10.00", "4.00")
	mustAdjust(t, s, "VA-1", "MAIN", "10")
	// Two moves of the past: one as earlier binaries wrote them (no
	// move_date), one dated.
	if _, err := pool.Exec(ctx, `INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, actor, created_at, move_date)
		VALUES (gen_random_uuid(), 'VA-1', 'MAIN', 'adjustment', 5, 0, 'old', now() - interval '10 days', NULL);
		INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, actor, move_date)
		VALUES (gen_random_uuid(), 'VA-1', 'MAIN', 'adjustment', 2, 0, 'old', (now() AT TIME ZONE 'UTC')::date - 5)`); err != nil {
		t.Fatal(err)
	}
	o := mustOrder(t, s, newOrder(c.ID, "", line("VA-1", "3")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID, ShipDate: today.AddDate(0, 0, -1)}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		daysBack int
		onHand   string // "" for no row
		total    string
	}{
		{11, "", ""},
		{10, "5", "20.00"},
		{5, "7", "28.00"},
		{1, "4", "16.00"}, // shipped on its ship date, before today's receipt
		{0, "14", "56.00"},
	} {
		asOf := today.AddDate(0, 0, -tc.daysBack)
		rows, more, err := s.Valuation(ctx, asOf, 10, "")
		if err != nil || more {
			t.Fatalf("valuation as of %v: %v (more %v)", asOf, err, more)
		}
		got := ""
		if len(rows) > 0 {
			got = rows[0].OnHand.String()
			if v := rows[0].Value().Format(); v != tc.total {
				t.Errorf("as of -%d days: value %s, want %s", tc.daysBack, v, tc.total)
			}
		}
		if got != tc.onHand {
			t.Errorf("as of -%d days: on hand %q, want %q", tc.daysBack, got, tc.onHand)
		}
		totals, err := s.ValuationTotals(ctx, asOf)
		if err != nil {
			t.Fatal(err)
		}
		total := ""
		if len(totals) > 0 {
			total = totals[0].Format()
		}
		if total != tc.total {
			t.Errorf("as of -%d days: totals %q, want %q", tc.daysBack, total, tc.total)
		}
	}
}

// A page of the valuation as of a day reads items by SKU and each item's
// on hand from stock_moves (sku, stock_move_day), never the whole ledger.
func TestStockValuationAsOfPlan(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	mustCostedItem(t, s, "PL-1", "10.00", "1.00")
	if _, err := pool.Exec(context.Background(), `
		INSERT INTO items (sku, name, list_price, currency_code, standard_cost, unit_of_measure)
		  SELECT 'P-' || lpad(g::text, 5, '0'), 'Item', 1, 'EUR', 1, 'ea' FROM generate_series(1, 2000) g;
		INSERT INTO stock_levels (sku, warehouse, on_hand) SELECT sku, 'MAIN', 0 FROM items WHERE sku LIKE 'P-%';
		INSERT INTO stock_moves (id, sku, warehouse, kind, on_hand_delta, reserved_delta, actor, move_date)
		  SELECT gen_random_uuid(), 'P-' || lpad((g % 2000 + 1)::text, 5, '0'), 'MAIN', 'adjustment', 1, 0, 'x',
		    (now() AT TIME ZONE 'UTC')::date - g % 400
		  FROM generate_series(1, 60000) g;
		ANALYZE items; ANALYZE stock_moves`); err != nil {
		t.Fatal(err)
	}
	for _, after := range []string{"", "P-01000"} {
		plan := planOf(t, pool)(postgres.ValuationAsOfSQL(utcToday().AddDate(0, 0, -30), after, 50))
		if !strings.Contains(plan, "stock_moves_sku_day_idx") || strings.Contains(plan, "Seq Scan on stock_moves") ||
			strings.Contains(plan, "Seq Scan on items") {
			t.Errorf("after %q: want items by key and stock_moves_sku_day_idx:\n%s", after, plan)
		}
	}
}

// The aging as of a day shows invoices as they were then: one paid
// after it open, one voided after it open, one paid by a payment reversed
// after it paid; payments received after it do not count.
func TestArAgingAsOf(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	today := utcToday()
	c := mustCustomer(t, s, "Aged Ltd")
	mustTaxedItem(t, s, "AG-1", "100.00", "0")
	mustAdjust(t, s, "AG-1", "MAIN", "10")
	issued := today.AddDate(0, 0, -20)
	invoice := func() string {
		t.Helper()
		o := mustOrder(t, s, newOrder(c.ID, "", line("AG-1", "1")))
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, issued, newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		return inv.ID
	}
	paidLater, voided, reversed := invoice(), invoice(), invoice()
	pay := func(inv, amount string, received time.Time) payment.Payment {
		t.Helper()
		p, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur(amount), ReceivedDate: received,
			Allocations: []payment.Allocation{{InvoiceID: inv, Amount: eur(amount)}}}, "")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	pay(paidLater, "100.00", today.AddDate(0, 0, -5))
	if _, err := s.VoidInvoice(ctx, voided, 0, "wrong", ""); err != nil {
		t.Fatal(err)
	}
	p := pay(reversed, "40.00", today.AddDate(0, 0, -15))
	if _, err := s.ReversePayment(ctx, p.ID, 0, "bounced", ""); err != nil {
		t.Fatal(err)
	}

	total := func(asOf time.Time) string {
		t.Helper()
		opens, _, err := s.OpenAmounts(ctx, asOf, "", 10, "")
		if err != nil {
			t.Fatal(err)
		}
		sum := dec("0")
		for _, o := range opens {
			sum = sum.Add(o.Amount)
		}
		return sum.StringFixed(2)
	}
	for _, tc := range []struct {
		daysBack int
		want     string
	}{
		{21, "0.00"},   // nothing issued yet
		{20, "300.00"}, // all three open
		{15, "260.00"}, // 40 paid of the third (reversed only today)
		{5, "160.00"},  // the first paid
		{0, "100.00"},  // the second void, the third's payment reversed
	} {
		if got := total(today.AddDate(0, 0, -tc.daysBack)); got != tc.want {
			t.Errorf("open as of -%d days = %s, want %s", tc.daysBack, got, tc.want)
		}
	}
	// Today's aging reads the open invoices only; from the history it is
	// the same.
	now, _, err := s.OpenAmounts(ctx, today, "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	history, _, err := postgres.OpenAmountsFromHistory(s, ctx, today, "", 10, "")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(now) != fmt.Sprint(history) {
		t.Errorf("aging today from the open invoices = %v, from the history = %v", now, history)
	}
}

// The aging as of a day counts the credit notes dated by then; a later
// credit note that took part of a paid invoice's payment back as credit
// leaves the invoice paid on the days before it.
func TestArAgingAsOfCountsCreditNotes(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	today := utcToday()
	c := mustCustomer(t, s, "Credited Ltd")
	mustTaxedItem(t, s, "AC-1", "100.00", "0")
	mustAdjust(t, s, "AC-1", "MAIN", "10")
	invoice := func() string {
		t.Helper()
		o := mustOrder(t, s, newOrder(c.ID, "", line("AC-1", "1")))
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		inv, err := s.CreateInvoice(ctx, o.ID, today.AddDate(0, 0, -20), newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		return inv.ID
	}
	conceded, paid := invoice(), invoice()
	creditOn := func(inv, amount string, daysBack int) {
		t.Helper()
		n := credit(t, inv, "", amountLine(1, amount))
		n.CreditDate = today.AddDate(0, 0, -daysBack)
		if _, err := s.CreateCreditNote(ctx, n, ""); err != nil {
			t.Fatal(err)
		}
	}
	creditOn(conceded, "30.00", 10)
	if _, err := s.CreatePayment(ctx, payment.Payment{ID: newID(t), CustomerID: c.ID, Amount: eur("100.00"), ReceivedDate: today.AddDate(0, 0, -15),
		Allocations: []payment.Allocation{{InvoiceID: paid, Amount: eur("100.00")}}}, ""); err != nil {
		t.Fatal(err)
	}
	creditOn(paid, "40.00", 5) // all of it beyond what was open: back to the payment as credit

	total := func(asOf time.Time, history bool) string {
		t.Helper()
		read := s.OpenAmounts
		if history {
			read = func(ctx context.Context, asOf time.Time, currency string, pageSize int, after string) ([]reporting.Open, bool, error) {
				return postgres.OpenAmountsFromHistory(s, ctx, asOf, currency, pageSize, after)
			}
		}
		opens, _, err := read(ctx, asOf, "", 10, "")
		if err != nil {
			t.Fatal(err)
		}
		sum := dec("0")
		for _, o := range opens {
			sum = sum.Add(o.Amount)
		}
		return sum.StringFixed(2)
	}
	for _, tc := range []struct {
		daysBack int
		want     string
	}{
		{18, "200.00"}, // both open
		{12, "100.00"}, // the second paid
		{8, "70.00"},   // 30 conceded on the first
		{3, "70.00"},   // the second's credit went back to its payment
	} {
		if got := total(today.AddDate(0, 0, -tc.daysBack), false); got != tc.want {
			t.Errorf("open as of -%d days = %s, want %s", tc.daysBack, got, tc.want)
		}
	}
	if now, history := total(today, false), total(today, true); now != "70.00" || history != now {
		t.Errorf("open today = %s from the open invoices, %s from the history; want 70.00", now, history)
	}
}
