package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/feed"
)

// The earliest date a requested quantity can be promised, with several
// purchase orders and backorders ahead of the request.
func TestPromise(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	mustItem(t, s, "P-1", "10")
	mustItem(t, s, "P-2", "10")
	mustAdjust(t, s, "P-1", "MAIN", "5")
	c := mustCustomer(t, s, "Acme")
	sup := mustSupplier(t, s, "Parts")
	today := time.Now().UTC().Format(time.DateOnly)

	// Two orders take 3 and then want 6: 2 more reserved, 4 backordered;
	// nothing available.
	for _, q := range []string{"3", "6"} {
		o := mustOrder(t, s, newOrder(c.ID, "", line("P-1", q)))
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	// Open purchase orders: PO-000001 10 on 2030-04-01, PO-000002 5 on
	// 2030-03-01 (two lines), PO-000003 3 on 2030-02-01; a draft does not
	// count.
	po := func(ordered bool, lines ...purchasing.Line) {
		t.Helper()
		o, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: lines}, "")
		if err != nil {
			t.Fatal(err)
		}
		if ordered {
			if _, err := s.OrderPurchaseOrder(ctx, o.ID, 0, ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	po(true, poLine("P-1", "10", "1", "2030-04-01"))
	po(true, poLine("P-1", "2", "1", "2030-03-01"), poLine("P-1", "3", "1", "2030-03-01"), poLine("P-2", "100", "1", "2030-01-01"))
	po(true, poLine("P-1", "3", "1", "2030-02-01"))
	po(false, poLine("P-1", "100", "1", "2030-01-15"))

	promised := func(sku, qty string) (string, stock.Availability) {
		t.Helper()
		a, err := s.Promise(ctx, sku, dec(qty))
		if err != nil {
			t.Fatal(err)
		}
		p := a.Promise
		if p == nil || p.Reason == "" || !p.Requested.Equal(dec(qty)) {
			t.Fatalf("promise of %s %s = %+v", qty, sku, p)
		}
		if p.Date.IsZero() {
			return "", a
		}
		return p.Date.Format(time.DateOnly) + " " + p.PurchaseOrder, a
	}
	// 0 available - 4 backordered: + 3 on 02-01 = -1, + 5 on 03-01 = 4,
	// + 10 on 04-01 = 14.
	for _, tc := range []struct{ qty, want string }{
		{"0.5", "2030-03-01 PO-000002"},
		{"4", "2030-03-01 PO-000002"},
		{"4.001", "2030-04-01 PO-000001"},
		{"14", "2030-04-01 PO-000001"},
		{"14.01", ""},
	} {
		got, a := promised("P-1", tc.qty)
		if got != tc.want {
			t.Errorf("promise of %s = %q, want %q", tc.qty, got, tc.want)
		}
		if !a.Available().IsZero() || a.Incoming.String() != "18" {
			t.Errorf("availability = %+v", a)
		}
	}
	// Stock on hand covers it: today; else the purchase order.
	mustAdjust(t, s, "P-2", "MAIN", "2")
	for _, tc := range []struct{ qty, want string }{
		{"2", today + " "},
		{"2.5", "2030-01-01 PO-000002"},
		{"102", "2030-01-01 PO-000002"},
		{"102.5", ""},
	} {
		if got, _ := promised("P-2", tc.qty); got != tc.want {
			t.Errorf("promise of %s P-2 = %q, want %q", tc.qty, got, tc.want)
		}
	}

	// Receiving PO-000003 fills 3 of the backorder (oldest first): 0
	// available, 1 backordered; + 5 on 03-01 = 4, + 10 on 04-01 = 14.
	pos, _, err := s.ListPurchaseOrders(ctx, purchasing.ListQuery{PageSize: 10})
	if err != nil {
		t.Fatal(err)
	}
	var febID string
	for _, o := range pos {
		if o.Number == "PO-000003" {
			febID = o.ID
		}
	}
	if _, err := s.ReceivePurchaseOrder(ctx, febID, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("3")}}, ""); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ qty, date string }{
		{"1", "2030-03-01"}, // 0 - 1 + 5 = 4 on 03-01
		{"4", "2030-03-01"},
		{"4.5", "2030-04-01"},
		{"14", "2030-04-01"},
		{"14.5", ""},
	} {
		a, err := s.Promise(ctx, "P-1", dec(tc.qty))
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if !a.Promise.Date.IsZero() {
			got = a.Promise.Date.Format(time.DateOnly)
		}
		if got != tc.date {
			t.Errorf("after the receipt, promise of %s = %+v, want %q", tc.qty, a.Promise, tc.date)
		}
	}

	// A late purchase order (expected before today) counts as arriving today.
	p2 := stock.PromiseFor(stock.Availability{SKU: "X"}, dec("1"), dec("0"),
		[]stock.IncomingReceipt{{Date: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), Quantity: dec("1"), PurchaseOrder: "PO-1"}},
		time.Date(2026, 5, 5, 0, 0, 0, 0, time.UTC))
	if p2.Date.Format(time.DateOnly) != "2026-05-05" || p2.PurchaseOrder != "PO-1" {
		t.Errorf("late receipt promise = %+v", p2)
	}
	if _, err := s.Promise(ctx, "NOPE", dec("1")); err == nil {
		t.Error("promise of an unknown SKU")
	}
}

// sentSchedule is the promise_schedule of a stock.changed payload p, a
// "date=quantity" string per step (no date for what is available now).
func sentSchedule(p map[string]any) []string {
	var out []string
	for _, e := range p["promise_schedule"].([]any) {
		m := e.(map[string]any)
		d, _ := m["date"].(string)
		out = append(out, d+"="+m["quantity"].(string))
	}
	return out
}

// The promise schedule of an availability (what GetAvailability and the
// stock.changed events carry) answers, for every quantity, what Promise
// answers: 10 available, 20 incoming on 2030-12-01 (two lines, one entry)
// and 30 on 2030-12-15; then a backorder of 20 eats the first receipt.
func TestPromiseSchedule(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustItem(t, s, "S-1", "10")
	mustAdjust(t, s, "S-1", "MAIN", "10")
	c := mustCustomer(t, s, "Acme")
	sup := mustSupplier(t, s, "Parts")
	for _, lines := range [][]purchasing.Line{
		{poLine("S-1", "12", "1", "2030-12-01"), poLine("S-1", "8", "1", "2030-12-01")},
		{poLine("S-1", "30", "1", "2030-12-15")},
	} {
		o, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: lines}, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.OrderPurchaseOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
	}
	today := time.Now().UTC().Format(time.DateOnly)
	// check compares the schedule Availability reads and the last
	// stock.changed event carries with want, and each quantity's promise
	// by the schedule with Promise's.
	check := func(when, want string) {
		t.Helper()
		a, err := s.Availability(ctx, "S-1")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range a.Schedule() {
			d := ""
			if !e.Date.IsZero() {
				d = e.Date.Format(time.DateOnly)
			}
			got = append(got, d+"="+e.Quantity.String())
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%s: schedule = %v, want %s", when, got, want)
		}
		var last feed.Event
		for _, e := range allEvents(t, pool) {
			if e.Type == stock.EventChanged && e.Key == "S-1" {
				last = e
			}
		}
		if sent := sentSchedule(payload(t, last)); fmt.Sprint(sent) != want {
			t.Errorf("%s: stock.changed schedule = %v, want %s", when, sent, want)
		}
		for _, q := range []string{"5", "10", "25", "30", "31", "50", "60", "61", "70"} {
			byPromise := ""
			p, err := s.Promise(ctx, "S-1", dec(q))
			if err != nil {
				t.Fatal(err)
			}
			if !p.Promise.Date.IsZero() {
				byPromise = p.Promise.Date.Format(time.DateOnly)
			}
			bySchedule := ""
			for _, e := range a.Schedule() {
				if e.Quantity.GreaterThanOrEqual(dec(q)) {
					bySchedule = today
					if !e.Date.IsZero() {
						bySchedule = e.Date.Format(time.DateOnly)
					}
					break
				}
			}
			if bySchedule != byPromise {
				t.Errorf("%s: %s promised %q by the schedule, %q by Promise", when, q, bySchedule, byPromise)
			}
		}
	}
	check("ordered", "[=10 2030-12-01=30 2030-12-15=60]")

	// An order of 30 reserves the 10 and backorders 20, which the receipt
	// of 2030-12-01 fills first: nothing more until 2030-12-15.
	o := mustOrder(t, s, newOrder(c.ID, "", line("S-1", "30")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	check("backordered", "[=0 2030-12-15=30]")

	// Cancelling it gives back the stock and drops the backorder.
	if _, err := s.CancelOrder(ctx, o.ID, 0, "changed mind", ""); err != nil {
		t.Fatal(err)
	}
	check("cancelled", "[=10 2030-12-01=30 2030-12-15=60]")
}
