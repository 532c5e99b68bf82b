package postgres_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/erp-service/internal/stock"
)

// Stock that arrives fills backorders, oldest order first, in the receipt's
// transaction, never reserving more than is on hand.
func TestBackordersFilledOnArrival(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "B-1", "10", "4")
	mustCostedItem(t, s, "B-2", "10", "4")
	c := mustCustomer(t, s, "Acme")
	o1 := mustOrder(t, s, newOrder(c.ID, "", line("B-1", "3"), line("B-2", "1")))
	o2 := mustOrder(t, s, newOrder(c.ID, "", line("B-1", "2")))
	o3 := mustOrder(t, s, newOrder(c.ID, "", line("B-1", "4")))
	draft := mustOrder(t, s, newOrder(c.ID, "", line("B-1", "1")))
	// Confirmed newest first: the fill goes by the orders' age all the same.
	for _, id := range []string{o3.ID, o2.ID, o1.ID} {
		o, err := s.ConfirmOrder(ctx, id, 0, "")
		if err != nil || !o.Backordered {
			t.Fatalf("confirm %s = %+v %v", id, o, err)
		}
	}
	mark := count(t, pool, "outbox_events")

	// A receipt adjustment of 4: o1 takes 3, o2 1 of its 2, o3 nothing.
	adj := mustAdjust(t, s, "B-1", "MAIN", "4")
	if adj.Availability.OnHand.String() != "4" || adj.Availability.Reserved.String() != "4" || adj.Availability.Version != 1 {
		t.Errorf("availability after the receipt = %+v", adj.Availability)
	}
	got := func(id string) sales.Order {
		o, err := s.GetOrder(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	g1, g2, g3 := got(o1.ID), got(o2.ID), got(o3.ID)
	if g1.Lines[0].Reserved.String() != "3" || !g1.Lines[0].Backordered.IsZero() || g1.Lines[1].Backordered.String() != "1" || !g1.Backordered || g1.Revision != 3 {
		t.Errorf("o1 = %+v", g1)
	}
	if g2.Lines[0].Reserved.String() != "1" || g2.Lines[0].Backordered.String() != "1" || g2.Revision != 3 {
		t.Errorf("o2 = %+v", g2)
	}
	if !g3.Lines[0].Reserved.IsZero() || g3.Revision != 2 {
		t.Errorf("o3 = %+v", g3)
	}
	if d := got(draft.ID); !d.Lines[0].Reserved.IsZero() || d.Revision != 1 {
		t.Errorf("draft = %+v", d)
	}
	evs := allEvents(t, pool)[mark:]
	var types []string
	for _, e := range evs {
		types = append(types, e.Type+"/"+e.Key)
	}
	want := fmt.Sprint([]string{"stock.changed/B-1", "sales_order.updated/" + o1.ID, "sales_order.updated/" + o2.ID})
	if fmt.Sprint(types) != want {
		t.Errorf("events = %v\nwant %v", types, want)
	}
	if p := payload(t, evs[1]); p["revision"] != "3" || p["lines"].([]any)[0].(map[string]any)["reserved_quantity"] != "3" {
		t.Errorf("sales_order.updated payload = %v", p)
	}

	// o2 ships what it holds and is partially shipped; a purchase order
	// receipt of 10 then fills o2's last 1 and o3's 4, leaving 5 free.
	if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o2.ID}, newID(t), ""); err != nil {
		t.Fatal(err)
	}
	sup := mustSupplier(t, s, "Parts")
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID,
		Lines: []purchasing.Line{poLine("B-1", "10", "4", "2030-01-01")}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "EAST", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("10")}}, ""); err == nil {
		t.Fatal("received into a warehouse that does not exist")
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("10")}}, ""); err != nil {
		t.Fatal(err)
	}
	g2, g3 = got(o2.ID), got(o3.ID)
	if g2.Status != sales.PartiallyShipped || g2.Lines[0].Reserved.String() != "1" || g2.Backordered {
		t.Errorf("o2 = %+v", g2)
	}
	if g3.Lines[0].Reserved.String() != "4" || g3.Backordered {
		t.Errorf("o3 = %+v", g3)
	}
	a, err := s.Availability(ctx, "B-1")
	if err != nil || a.OnHand.String() != "13" || a.Reserved.String() != "8" {
		t.Errorf("B-1 = %+v %v", a, err)
	}
	// B-2 did not arrive: o1's B-2 line is still backordered.
	if g1 := got(o1.ID); g1.Lines[1].Backordered.String() != "1" {
		t.Errorf("o1 = %+v", g1)
	}
	checkLedger(t, pool)
	var bad int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sales_order_lines l JOIN sales_orders o ON o.id = l.order_id
		WHERE o.status IN ('CONFIRMED', 'PARTIALLY_SHIPPED', 'SHIPPED')
		  AND l.reserved_quantity + l.backordered_quantity + l.shipped_quantity <> l.quantity`).Scan(&bad); err != nil || bad != 0 {
		t.Errorf("%d lines whose reserved + backordered + shipped is not their quantity (%v)", bad, err)
	}
}

// A backorder placed or released where no stock moves (nothing on hand)
// moves the promise schedule only while stock is incoming: then the SKU
// gets a new availability version with its stock.changed event, by a
// confirm, a create that confirms and a cancel alike; else nothing is
// emitted and the version stays.
func TestBackorderScheduleEvents(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustItem(t, s, "IN-1", "10")
	mustItem(t, s, "NONE-1", "10")
	c := mustCustomer(t, s, "Acme")
	// 5 of IN-1 incoming on 2030-01-01.
	if _, err := s.OrderPurchaseOrder(ctx, newOrderIDFor(t, s, mustSupplier(t, s, "Parts").ID, "IN-1"), 0, ""); err != nil {
		t.Fatal(err)
	}
	// check compares the stock.changed events since mark, as
	// "sku@version schedule", with want, and each SKU's version with what
	// Availability reads.
	check := func(when string, mark int, want string, versions map[string]int64) {
		t.Helper()
		var got []string
		for _, e := range allEvents(t, pool)[mark:] {
			if e.Type != stock.EventChanged {
				continue
			}
			p := payload(t, e)
			got = append(got, fmt.Sprintf("%s@%s %v", e.Key, p["version"], sentSchedule(p)))
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%s: stock.changed = %v, want %s", when, got, want)
		}
		for sku, v := range versions {
			if a, err := s.Availability(ctx, sku); err != nil || a.Version != v {
				t.Errorf("%s: %s version = %d (%v), want %d", when, sku, a.Version, err, v)
			}
		}
	}

	mark := count(t, pool, "outbox_events")
	o := mustOrder(t, s, newOrder(c.ID, "", line("IN-1", "4"), line("NONE-1", "2")))
	o, err := s.ConfirmOrder(ctx, o.ID, 0, "")
	if err != nil || !o.Backordered {
		t.Fatalf("confirm = %+v %v", o, err)
	}
	check("confirm", mark, "[IN-1@2 [=0 2030-01-01=1]]", map[string]int64{"IN-1": 2, "NONE-1": 0})

	mark = count(t, pool, "outbox_events")
	n := newOrder(c.ID, "", line("IN-1", "1"))
	n.Confirm = true
	mustOrder(t, s, n)
	// The receipt's step is gone: it covers no more than is available now.
	check("create confirmed", mark, "[IN-1@3 [=0]]", map[string]int64{"IN-1": 3})

	mark = count(t, pool, "outbox_events")
	if _, err := s.CancelOrder(ctx, o.ID, 0, "", ""); err != nil {
		t.Fatal(err)
	}
	check("cancel", mark, "[IN-1@4 [=0 2030-01-01=4]]", map[string]int64{"IN-1": 4, "NONE-1": 0})

	// Nothing incoming: a backorder leaves the schedule as it was.
	mark = count(t, pool, "outbox_events")
	n = newOrder(c.ID, "", line("NONE-1", "3"))
	n.Confirm = true
	mustOrder(t, s, n)
	check("backorder of NONE-1", mark, "[]", map[string]int64{"NONE-1": 0})
	checkLedger(t, pool)
}
