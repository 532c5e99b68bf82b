package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

func mustSupplier(t *testing.T, s *postgres.Store, name string) purchasing.Supplier {
	t.Helper()
	return mustSupplierIn(t, s, name, "")
}

// mustSupplierIn creates a supplier billing in currency (the default for "").
func mustSupplierIn(t *testing.T, s *postgres.Store, name, currency string) purchasing.Supplier {
	t.Helper()
	sup := purchasing.Supplier{ID: newID(t), Name: name, CurrencyCode: currency}
	if err := purchasing.PrepareSupplier(&sup); err != nil {
		t.Fatal(err)
	}
	out, err := s.CreateSupplier(context.Background(), sup, "")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func poLine(sku, qty, cost, date string) purchasing.Line {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		panic(err)
	}
	return purchasing.Line{SKU: sku, Quantity: dec(qty), UnitCost: dec(cost), ExpectedDate: d}
}

func TestSuppliers(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	sup := purchasing.Supplier{ID: newID(t), Name: "Parts"}
	if err := purchasing.PrepareSupplier(&sup); err != nil {
		t.Fatal(err)
	}
	a, err := s.CreateSupplier(ctx, sup, "sup-1")
	if err != nil {
		t.Fatal(err)
	}
	sup2 := sup
	sup2.ID = newID(t)
	b, err := s.CreateSupplier(ctx, sup2, "sup-1")
	if err != nil || b.ID != a.ID || count(t, pool, "suppliers") != 1 {
		t.Fatalf("retried create = %+v, %v (%d suppliers)", b, err, count(t, pool, "suppliers"))
	}
	if a.CurrencyCode != "EUR" || a.Version != 1 {
		t.Errorf("created = %+v", a)
	}
	mustSupplier(t, s, "Other")
	list, more, err := s.ListSuppliers(ctx, purchasing.ListQuery{PageSize: 1})
	if err != nil || len(list) != 1 || !more || list[0].ID != a.ID {
		t.Fatalf("page 1 = %+v %v %v", list, more, err)
	}
	conds, err := listing.ParseFilter(`name = "Other"`, purchasing.SupplierFilterFields...)
	if err != nil {
		t.Fatal(err)
	}
	if list, _, err := s.ListSuppliers(ctx, purchasing.ListQuery{PageSize: 10, Filter: conds}); err != nil || len(list) != 1 || list[0].Name != "Other" {
		t.Fatalf("filtered = %+v %v", list, err)
	}
	rename := func(cur purchasing.Supplier) (purchasing.Supplier, error) {
		return purchasing.ApplySupplier(cur, purchasing.Supplier{Name: "Parts Ltd"}, []string{"name"})
	}
	if _, err := s.UpdateSupplier(ctx, a.ID, 5, rename); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale update: %v", err)
	}
	u, err := s.UpdateSupplier(ctx, a.ID, 1, rename)
	if err != nil || u.Name != "Parts Ltd" || u.Version != 2 {
		t.Fatalf("update = %+v %v", u, err)
	}
	if again, err := s.UpdateSupplier(ctx, a.ID, 2, rename); err != nil || again.Version != 2 {
		t.Fatalf("unchanged update = %+v %v", again, err)
	}
	if _, err := s.GetSupplier(ctx, newID(t)); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("get missing: %v", err)
	}
	var types []string
	for _, e := range allEvents(t, pool) {
		types = append(types, e.Type)
	}
	if fmt.Sprint(types) != "[supplier.created supplier.created supplier.updated]" {
		t.Errorf("events = %v", types)
	}
}

func TestPurchaseOrderLifecycle(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "P-1", "20", "8.005")
	mustKgCostedItem(t, s, "P-2", "5", "1")
	sup := mustSupplier(t, s, "Parts")

	// Bad references are INVALID_ARGUMENT naming the fields; nothing written.
	bad := purchasing.Order{ID: newID(t), SupplierID: newID(t), Lines: []purchasing.Line{poLine("NOPE", "1", "1", "2030-01-01")}}
	if got := violations(t, func() error { _, err := s.CreatePurchaseOrder(ctx, bad, ""); return err }()); fmt.Sprint(got) != "[supplier_id lines[0].sku]" {
		t.Errorf("bad references: %v", got)
	}
	if count(t, pool, "purchase_orders") != 0 {
		t.Fatal("a refused create wrote")
	}

	o := purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: []purchasing.Line{
		poLine("P-1", "10", "7.50", "2030-03-01"),
		poLine("P-2", "3", "0.333", "2030-02-01"),
		poLine("P-1", "4", "7.50", "2030-02-15"),
	}}
	po, err := s.CreatePurchaseOrder(ctx, o, "po-1")
	if err != nil {
		t.Fatal(err)
	}
	if po.Number != "PO-000001" || po.Status != purchasing.Draft || po.Currency != "EUR" || po.Total.String() != "106" ||
		po.Lines[1].Amount.String() != "1" || po.Revision != 1 {
		t.Errorf("created = %+v", po) // 75.00 + 1.00 (0.999 rounded) + 30.00
	}
	a, err := s.Availability(ctx, "P-1")
	if err != nil || !a.Incoming.IsZero() || !a.NextReceiptDate.IsZero() {
		t.Errorf("a draft is not incoming: %+v %v", a, err)
	}
	// Receiving a draft is refused.
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("1")}}, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("receiving a draft: %v", err)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 7, ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale order: %v", err)
	}
	ordered, err := s.OrderPurchaseOrder(ctx, po.ID, 1, "ord-1")
	if err != nil || ordered.Status != purchasing.Ordered || ordered.Revision != 2 {
		t.Fatalf("ordered = %+v %v", ordered, err)
	}
	if again, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil || again.Revision != 2 {
		t.Errorf("ordering again = %+v %v", again, err)
	}
	a, _ = s.Availability(ctx, "P-1")
	if a.Incoming.String() != "14" || a.NextReceiptDate.Format(time.DateOnly) != "2030-02-15" {
		t.Errorf("P-1 incoming %s next %s", a.Incoming, a.NextReceiptDate)
	}

	// Over-receiving is FAILED_PRECONDITION naming the line; nothing written.
	before := rowCounts(t, pool)
	_, err = s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 3, Quantity: dec("1")}, {LineNumber: 2, Quantity: dec("3.5")}}, "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].quantity" {
		t.Fatalf("over-receiving: %v", err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 9, Quantity: dec("1")}}, ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown line: %v", err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "NOWHERE", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("1")}}, ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown warehouse: %v", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused receipts wrote: %v -> %v", before, after)
	}

	// A partial receipt, retried under its request_id.
	recv := []purchasing.ReceiptLine{{LineNumber: 3, Quantity: dec("4")}, {LineNumber: 1, Quantity: dec("2.5")}}
	r1, err := s.ReceivePurchaseOrder(ctx, po.ID, "", recv, "rec-1")
	if err != nil {
		t.Fatal(err)
	}
	if r1.Status != purchasing.PartiallyReceived || r1.Revision != 3 || r1.Lines[0].Received.String() != "2.5" || r1.Lines[2].Received.String() != "4" {
		t.Errorf("received = %+v", r1)
	}
	r2, err := s.ReceivePurchaseOrder(ctx, po.ID, "", recv, "rec-1")
	if err != nil || r2.Revision != 3 {
		t.Errorf("retried receipt = %+v %v", r2, err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, newOrderID(t, s, sup.ID), "", recv, "rec-1"); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("request_id reused for another order: %v", err)
	}
	a, _ = s.Availability(ctx, "P-1")
	if a.OnHand.String() != "6.5" || a.Incoming.String() != "7.5" || a.NextReceiptDate.Format(time.DateOnly) != "2030-03-01" || a.Version != 2 {
		t.Errorf("P-1 after receipt: %+v", a)
	}
	// Inventory valued at standard cost: 6.5 x 8.005 = 52.0325 -> 52.03;
	// payables at the order's cost: 6.5 x 7.50 = 48.75; the 3.28 bought
	// below standard is a purchase price variance credit.
	if bal := checkJournal(t, s, pool); bal[ledger.Inventory] != "52.03" || bal[ledger.AccountsPayable] != "-48.75" ||
		bal[ledger.PurchasePriceVariance] != "-3.28" {
		t.Errorf("trial balance = %v", bal)
	}
	var moves int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM stock_moves WHERE kind = 'receipt' AND reference = $1`, "purchaseOrders/"+po.ID).Scan(&moves); err != nil || moves != 2 {
		t.Errorf("receipt moves = %d %v", moves, err)
	}
	checkLedger(t, pool)

	// The rest arrives; a received order has nothing left to cancel.
	done, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("7.5")}, {LineNumber: 2, Quantity: dec("3")}}, "")
	if err != nil || done.Status != purchasing.Received {
		t.Fatalf("final receipt = %+v %v", done, err)
	}
	if _, err := s.CancelPurchaseOrder(ctx, po.ID, 0, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("cancel after the last receipt: %v", err)
	}
	a, _ = s.Availability(ctx, "P-1")
	if !a.Incoming.IsZero() || !a.NextReceiptDate.IsZero() {
		t.Errorf("nothing incoming after the last receipt: %+v", a)
	}
	conds, _ := listing.ParseFilter(`status = "RECEIVED"`, purchasing.OrderFilterFields...)
	if list, _, err := s.ListPurchaseOrders(ctx, purchasing.ListQuery{PageSize: 10, Filter: conds}); err != nil || len(list) != 1 || len(list[0].Lines) != 3 {
		t.Errorf("received orders = %+v %v", list, err)
	}

	var types []string
	for _, e := range allEvents(t, pool) {
		if e.Type != "item.created" && e.Type != "supplier.created" {
			types = append(types, e.Type)
		}
	}
	want := "[purchase_order.created stock.changed stock.changed purchase_order.ordered stock.changed purchase_order.received " +
		"purchase_order.created stock.changed stock.changed purchase_order.received]"
	if fmt.Sprint(types) != want {
		t.Errorf("events = %v\nwant %v", types, want)
	}
}

// newOrderID creates another draft purchase order and returns its id.
func newOrderID(t *testing.T, s *postgres.Store, supplierID string) string {
	t.Helper()
	o := purchasing.Order{ID: newID(t), SupplierID: supplierID, Lines: []purchasing.Line{poLine("P-2", "1", "1", "2030-01-01")}}
	out, err := s.CreatePurchaseOrder(context.Background(), o, "")
	if err != nil {
		t.Fatal(err)
	}
	return out.ID
}

func TestCancelPurchaseOrder(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "P-1", "20", "8")
	sup := mustSupplier(t, s, "Parts")
	id := newOrderIDFor(t, s, sup.ID, "P-1")
	if _, err := s.OrderPurchaseOrder(ctx, id, 0, ""); err != nil {
		t.Fatal(err)
	}
	c, err := s.CancelPurchaseOrder(ctx, id, 2, "can-1")
	if err != nil || c.Status != purchasing.Cancelled || c.Revision != 3 {
		t.Fatalf("cancelled = %+v %v", c, err)
	}
	if again, err := s.CancelPurchaseOrder(ctx, id, 0, ""); err != nil || again.Revision != 3 {
		t.Errorf("cancel again = %+v %v", again, err)
	}
	if a, _ := s.Availability(ctx, "P-1"); !a.Incoming.IsZero() {
		t.Errorf("a cancelled order is incoming: %s", a.Incoming)
	}
	if _, err := s.OrderPurchaseOrder(ctx, id, 0, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("ordering a cancelled order: %v", err)
	}
}

func newOrderIDFor(t *testing.T, s *postgres.Store, supplierID, sku string) string {
	t.Helper()
	o := purchasing.Order{ID: newID(t), SupplierID: supplierID, Lines: []purchasing.Line{poLine(sku, "5", "1", "2030-01-01")}}
	out, err := s.CreatePurchaseOrder(context.Background(), o, "")
	if err != nil {
		t.Fatal(err)
	}
	return out.ID
}

// TestPurchaseOrdersChangeAvailability: ordering, cancelling and receiving
// a purchase order change what is incoming of its SKUs, and each such
// change is a new availability version with a stock.changed event that
// carries the incoming quantity and the next receipt date after it, in
// version order per SKU. A draft cancelled was never incoming: no event.
func TestPurchaseOrdersChangeAvailability(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "IN-1", "20", "8")
	mustCostedItem(t, s, "IN-2", "5", "1")
	sup := mustSupplier(t, s, "Parts")
	create := func(lines ...purchasing.Line) string {
		t.Helper()
		o, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: lines}, "")
		if err != nil {
			t.Fatal(err)
		}
		return o.ID
	}
	later := create(poLine("IN-1", "10", "7", "2030-05-01"))
	sooner := create(poLine("IN-1", "5", "7", "2030-04-01"), poLine("IN-2", "1", "1", "2030-04-02"))
	draft := create(poLine("IN-1", "1", "7", "2030-01-01"))
	short := create(poLine("IN-2", "3", "1", "2030-06-01"), poLine("IN-2", "1", "1", "2030-07-01"))
	type seen struct{ version, incoming, next, onHand string }
	var want []string
	step := func(what string, do func() error, expect map[string]seen) {
		t.Helper()
		if err := do(); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for _, sku := range []string{"IN-1", "IN-2"} {
			e, ok := expect[sku]
			if !ok {
				continue
			}
			want = append(want, fmt.Sprintf("%s v%s incoming %s next %q on hand %s", sku, e.version, e.incoming, e.next, e.onHand))
			a, err := s.Availability(ctx, sku)
			next := ""
			if !a.NextReceiptDate.IsZero() {
				next = a.NextReceiptDate.Format(time.DateOnly)
			}
			if err != nil || fmt.Sprint(a.Version) != e.version || a.Incoming.String() != e.incoming || next != e.next || a.OnHand.String() != e.onHand {
				t.Errorf("%s: %s = %+v, %v; want %+v", what, sku, a, err, e)
			}
		}
	}
	step("order the later one", func() error { _, err := s.OrderPurchaseOrder(ctx, later, 0, ""); return err },
		map[string]seen{"IN-1": {"1", "10", "2030-05-01", "0"}})
	step("order the sooner one", func() error { _, err := s.OrderPurchaseOrder(ctx, sooner, 0, ""); return err },
		map[string]seen{"IN-1": {"2", "15", "2030-04-01", "0"}, "IN-2": {"1", "1", "2030-04-02", "0"}})
	step("order it again", func() error { _, err := s.OrderPurchaseOrder(ctx, sooner, 0, ""); return err }, nil)
	step("cancel a draft", func() error { _, err := s.CancelPurchaseOrder(ctx, draft, 0, ""); return err }, nil)
	step("cancel the sooner one", func() error { _, err := s.CancelPurchaseOrder(ctx, sooner, 0, ""); return err },
		map[string]seen{"IN-1": {"3", "10", "2030-05-01", "0"}, "IN-2": {"2", "0", "", "0"}})
	step("receive part of the later one", func() error {
		_, err := s.ReceivePurchaseOrder(ctx, later, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("4")}}, "")
		return err
	}, map[string]seen{"IN-1": {"4", "6", "2030-05-01", "4"}})
	step("receive the rest", func() error {
		_, err := s.ReceivePurchaseOrder(ctx, later, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("6")}}, "")
		return err
	}, map[string]seen{"IN-1": {"5", "0", "", "10"}})
	// Closing a partially received order short: what arrived stays, the
	// rest is no longer incoming, as when an ordered one is cancelled.
	step("order another", func() error { _, err := s.OrderPurchaseOrder(ctx, short, 0, ""); return err },
		map[string]seen{"IN-2": {"3", "4", "2030-06-01", "0"}})
	step("receive part of it", func() error {
		_, err := s.ReceivePurchaseOrder(ctx, short, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("1")}}, "")
		return err
	}, map[string]seen{"IN-2": {"4", "3", "2030-06-01", "1"}})
	step("close it short", func() error {
		o, err := s.CancelPurchaseOrder(ctx, short, 0, "")
		if err == nil && (o.Status != purchasing.Closed || o.Lines[0].Received.String() != "1") {
			err = fmt.Errorf("closed order = %+v", o)
		}
		return err
	}, map[string]seen{"IN-2": {"5", "0", "", "1"}})
	step("close it again", func() error { _, err := s.CancelPurchaseOrder(ctx, short, 0, ""); return err }, nil)
	if _, err := s.ReceivePurchaseOrder(ctx, short, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("1")}}, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("receiving a closed order: %v", err)
	}

	var got []string
	for _, e := range allEvents(t, pool) {
		if e.Type != "stock.changed" {
			continue
		}
		p := payload(t, e)
		next, _ := p["next_receipt_date"].(string)
		got = append(got, fmt.Sprintf("%s v%v incoming %v next %q on hand %v", e.Key, p["version"], p["incoming"], next, p["on_hand"]))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stock.changed events:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var closed []string
	for _, e := range allEvents(t, pool) {
		if e.Key == short && strings.HasPrefix(e.Type, "purchase_order.") {
			closed = append(closed, fmt.Sprintf("%s %v", e.Type, payload(t, e)["status"]))
		}
	}
	if want := "[purchase_order.created PURCHASE_ORDER_STATUS_DRAFT purchase_order.ordered PURCHASE_ORDER_STATUS_ORDERED " +
		"purchase_order.received PURCHASE_ORDER_STATUS_PARTIALLY_RECEIVED purchase_order.closed PURCHASE_ORDER_STATUS_CLOSED]"; fmt.Sprint(closed) != want {
		t.Errorf("events of the closed order = %v\nwant %s", closed, want)
	}
	checkLedger(t, pool)
}
