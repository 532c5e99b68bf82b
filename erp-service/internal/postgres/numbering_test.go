package postgres_test

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

// Invoices and credit notes are numbered in one unbroken series each:
// postings refused for the closed period and requests racing their own
// retry, all concurrent with the ones that succeed, leave no hole.
func TestInvoiceAndCreditNoteNumbersHaveNoGaps(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Numbered GmbH")
	mustTaxedItem(t, s, "NUM-1", "10.00", "0.19")
	mustAdjust(t, s, "NUM-1", "MAIN", "100")
	through := utcToday().AddDate(0, 0, -10)
	const orders = 12
	shipped := func() []string {
		var ids []string
		for range orders {
			o := mustOrder(t, s, newOrder(c.ID, "", line("NUM-1", "2")))
			if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, o.ID)
		}
		return ids
	}
	// Invoices issued before the period closes, to be credited in it.
	var early []string
	for _, orderID := range shipped() {
		inv, err := s.CreateInvoice(ctx, orderID, through.AddDate(0, 0, -2), newID(t), "")
		if err != nil {
			t.Fatal(err)
		}
		early = append(early, inv.ID)
	}
	ids := shipped()
	mustClose(t, s, through)

	// Each order: an invoice refused for the closed period, then the same
	// invoice twice at once under one request id.
	var wg sync.WaitGroup
	for i, orderID := range ids {
		wg.Go(func() {
			_, err := s.CreateInvoice(ctx, orderID, through, newID(t), "")
			closedErr(t, "invoice in the closed period", err, through)
			id, req := newID(t), fmt.Sprintf("invoice-%d", i)
			var inner sync.WaitGroup
			for range 2 {
				inner.Go(func() {
					if _, err := s.CreateInvoice(ctx, orderID, utcToday(), id, req); err != nil {
						t.Errorf("invoice of order %d: %v", i, err)
					}
				})
			}
			inner.Wait()
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	checkSeries(t, pool, "invoices", "INV-", 2*orders)

	// Each early invoice: a credit note refused for the closed period,
	// one refused for crediting more than the line, then one that posts.
	for i, invoiceID := range early {
		wg.Go(func() {
			_, err := s.CreateCreditNote(ctx, credit(t, invoiceID, through.Format(time.DateOnly), qtyLine(1, "1", "MAIN")), "")
			closedErr(t, "credit note in the closed period", err, through)
			if _, err := s.CreateCreditNote(ctx, credit(t, invoiceID, "", qtyLine(1, "3", "MAIN")), ""); err == nil {
				t.Errorf("credit note for 3 of invoice %d's 2 posted", i)
			}
			if _, err := s.CreateCreditNote(ctx, credit(t, invoiceID, "", qtyLine(1, "1", "MAIN")), ""); err != nil {
				t.Errorf("credit note of invoice %d: %v", i, err)
			}
		})
	}
	wg.Wait()
	checkSeries(t, pool, "credit_notes", "CN-", orders)

	// Numbering goes on from the last number issued.
	inv := shippedInvoice(t, s, c.ID, "NUM-1", time.Time{})
	if want := fmt.Sprintf("INV-%06d", 2*orders+1); inv.Number != want {
		t.Errorf("next invoice = %s, want %s", inv.Number, want)
	}
}

// checkSeries asserts that the numbers of table are prefix followed by 1
// to n, each once.
func checkSeries(t *testing.T, pool *pgxpool.Pool, table, prefix string, n int) {
	t.Helper()
	rows, err := pool.Query(context.Background(), `SELECT number FROM `+table)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var num string
		if err := rows.Scan(&num); err != nil {
			t.Fatal(err)
		}
		got = append(got, num)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	sort.Strings(got)
	want := make([]string, n)
	for i := range want {
		want[i] = fmt.Sprintf("%s%06d", prefix, i+1)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s numbers = %v, want %v", table, got, want)
	}
}

// The counters start where the sequences were: an upgraded database
// numbers its next invoice after the last one issued, and its first
// credit note 1.
func TestMigrationStartsCountersAtTheSequences(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "erpnumbers"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, migrationsUpTo(t, "0033_supplier_credit_notes.sql")); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `SELECT nextval('invoice_number_seq') FROM generate_series(1, 41)`); err != nil {
		t.Fatal(err)
	}
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		t.Fatal(err)
	}
	var invoice, creditNote int64
	if err := pool.QueryRow(ctx, `SELECT next_document_number('invoice'), next_document_number('credit_note')`).Scan(&invoice, &creditNote); err != nil {
		t.Fatal(err)
	}
	if invoice != 42 || creditNote != 1 {
		t.Errorf("next numbers: invoice %d, credit note %d; want 42 and 1", invoice, creditNote)
	}
}
