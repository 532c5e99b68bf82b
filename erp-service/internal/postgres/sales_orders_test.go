package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

func line(sku, qty string) sales.NewLine {
	return sales.NewLine{SKU: sku, Quantity: dec(qty), Discount: decimal.Zero}
}

func newOrder(customerID, ref string, lines ...sales.NewLine) sales.NewOrder {
	return sales.NewOrder{CustomerID: customerID, CurrencyCode: "EUR", ExternalRef: ref, Lines: lines}
}

func mustOrder(t *testing.T, s *postgres.Store, n sales.NewOrder) sales.Order {
	t.Helper()
	if err := sales.ValidateNew(n); err != nil {
		t.Fatal(err)
	}
	o, err := s.CreateOrder(context.Background(), n, newID(t), "")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// violations returns the fields an InvalidArgument error names.
func violations(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument", err)
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestCreateOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustKgItem(t, s, "W-1", "19.99")
	mustKgItem(t, s, "W-2", "5.00")
	usd := catalog.Item{SKU: "U-1", Name: "Dollar item", ListPrice: money.Money{Currency: "USD", Amount: dec("1")}}
	_ = catalog.PrepareNew(&usd, nil)
	if _, err := s.CreateItem(ctx, usd, ""); err != nil {
		t.Fatal(err)
	}

	price := eur("4.00")
	l2 := line("W-2", "2.5")
	l2.UnitPrice, l2.Discount = &price, dec("12.5")
	o := mustOrder(t, s, newOrder(c.ID, "opp-1", line("W-1", "3"), l2))
	if o.Number != "SO-000001" || o.Status != sales.Draft || o.Revision != 1 || o.CreateTime.IsZero() {
		t.Errorf("order = %+v", o)
	}
	if o.Lines[0].UnitPrice.Format() != "19.99" || o.Lines[0].Amount.Format() != "59.97" || o.Lines[1].Amount.Format() != "8.75" {
		t.Errorf("lines = %+v", o.Lines)
	}
	if o.Total.String() != "68.72 EUR" {
		t.Errorf("total = %s, want 68.72 EUR", o.Total)
	}
	got, err := s.GetOrder(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Total.String() != "68.72 EUR" || len(got.Lines) != 2 || got.Lines[1].Number != 2 || !got.Lines[1].Discount.Equal(dec("12.5")) {
		t.Errorf("read back = %+v", got)
	}
	if o2 := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "1"))); o2.Number != "SO-000002" {
		t.Errorf("second number = %s", o2.Number)
	}

	// Bad references: unknown SKU, a list price in another currency, an
	// unknown customer. Nothing is written.
	before := rowCounts(t, pool)
	_, err = s.CreateOrder(ctx, newOrder(newID(t), "", line("W-1", "1"), line("NOPE", "1"), line("U-1", "1")), newID(t), "r")
	want := []string{"customer_id", "lines[1].sku", "lines[2].unit_price"}
	if got := violations(t, err); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("violations = %v, want %v", got, want)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows before %v, after %v", before, after)
	}
	if _, err := s.GetOrder(ctx, newID(t)); !errors.Is(err, errs.ErrNotFound) {
		t.Errorf("missing order: %v", err)
	}
}

func TestCreateOrderIdempotent(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustItem(t, s, "W-1", "10")

	first := mustOrder(t, s, newOrder(c.ID, "opp-1", line("W-1", "1")))
	again, err := s.CreateOrder(ctx, newOrder(c.ID, "opp-1", line("W-1", "5")), newID(t), "")
	if err != nil || again.ID != first.ID || !again.Lines[0].Quantity.Equal(dec("1")) {
		t.Errorf("same external_ref = %+v, %v; want the first order unchanged", again, err)
	}

	byReq, err := s.CreateOrder(ctx, newOrder(c.ID, "", line("W-1", "2")), newID(t), "req-1")
	if err != nil {
		t.Fatal(err)
	}
	retry, err := s.CreateOrder(ctx, newOrder(c.ID, "", line("W-1", "2")), newID(t), "req-1")
	if err != nil || retry.ID != byReq.ID {
		t.Errorf("same request_id = %+v, %v; want %s", retry, err, byReq.ID)
	}
	if _, err := s.ConfirmOrder(ctx, byReq.ID, 0, "req-1"); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("request_id reused for another method: %v, want InvalidArgument", err)
	}

	// Concurrent creates with one external_ref, and with one request_id,
	// make one order each.
	const n = 20
	var wg sync.WaitGroup
	ids := make([]string, 2*n)
	for i := range n {
		wg.Go(func() {
			o, err := s.CreateOrder(ctx, newOrder(c.ID, "opp-race", line("W-1", "1")), newID(t), "")
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = o.ID
		})
		wg.Go(func() {
			o, err := s.CreateOrder(ctx, newOrder(c.ID, "", line("W-1", "1")), newID(t), "req-race")
			if err != nil {
				t.Error(err)
				return
			}
			ids[n+i] = o.ID
		})
	}
	wg.Wait()
	for i := range n {
		if ids[i] != ids[0] || ids[n+i] != ids[n] {
			t.Fatalf("concurrent creates returned different orders: %v", ids)
		}
	}
	var refRows, created int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM sales_orders WHERE external_ref = 'opp-race'`).Scan(&refRows); err != nil {
		t.Fatal(err)
	}
	if refRows != 1 {
		t.Errorf("%d orders with the raced external_ref, want 1", refRows)
	}
	if n := count(t, pool, "sales_orders"); n != 4 {
		t.Errorf("%d orders, want 4", n)
	}
	events := allEvents(t, pool)
	for _, e := range events {
		if e.Type == sales.EventCreated {
			created++
		}
	}
	if created != 4 {
		t.Errorf("%d sales_order.created events, want 4", created)
	}
}

func TestConfirmAndCancel(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustKgItem(t, s, "W-1", "10")
	mustKgItem(t, s, "W-2", "5")
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	mustAdjust(t, s, "W-1", "MAIN", "10")
	mustAdjust(t, s, "W-1", "EAST", "5")

	o := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "12"), line("W-2", "3"), line("W-1", "4")))
	if _, err := s.ConfirmOrder(ctx, o.ID, 7, ""); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("confirm with stale etag: %v, want Aborted", err)
	}
	conf, err := s.ConfirmOrder(ctx, o.ID, 1, "")
	if err != nil {
		t.Fatal(err)
	}
	if conf.Status != sales.Confirmed || conf.Revision != 2 || !conf.Backordered {
		t.Errorf("confirmed = %+v", conf)
	}
	wantLines := [][2]string{{"12", "0"}, {"0", "3"}, {"3", "1"}} // reserved, backordered
	for i, w := range wantLines {
		l := conf.Lines[i]
		if !l.Reserved.Equal(dec(w[0])) || !l.Backordered.Equal(dec(w[1])) {
			t.Errorf("line %d reserved %s backordered %s, want %v", i+1, l.Reserved, l.Backordered, w)
		}
	}
	a, _ := s.Availability(ctx, "W-1")
	if !a.Reserved.Equal(dec("15")) || !a.Available().IsZero() || !a.Warehouses[0].Reserved.Equal(dec("10")) {
		t.Errorf("availability after confirm = %+v", a)
	}
	if got, _ := s.GetOrder(ctx, o.ID); got.Revision != 2 || !got.Lines[2].Backordered.Equal(dec("1")) {
		t.Errorf("read back = %+v", got)
	}

	// Stock that is reserved cannot be adjusted away.
	before := rowCounts(t, pool)
	adj := stock.Adjustment{ID: newID(t), SKU: "W-1", Warehouse: "MAIN", Quantity: dec("-0.5"), Reason: "damage"}
	if _, err := s.Adjust(ctx, adj, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("adjusting reserved stock away: %v, want FailedPrecondition", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rejected adjustment wrote rows: %v -> %v", before, after)
	}

	// Confirming again changes nothing.
	eventsBefore := count(t, pool, "outbox_events")
	again, err := s.ConfirmOrder(ctx, o.ID, 1, "")
	if err != nil || again.Revision != 2 {
		t.Errorf("second confirm = %+v, %v", again, err)
	}
	if count(t, pool, "outbox_events") != eventsBefore {
		t.Error("second confirm wrote events")
	}
	checkLedger(t, pool)

	canc, err := s.CancelOrder(ctx, o.ID, 2, "customer withdrew", "cancel-1")
	if err != nil {
		t.Fatal(err)
	}
	if canc.Status != sales.Cancelled || canc.Revision != 3 || canc.Backordered || !canc.Lines[0].Reserved.IsZero() {
		t.Errorf("cancelled = %+v", canc)
	}
	a, _ = s.Availability(ctx, "W-1")
	if !a.Reserved.IsZero() || !a.OnHand.Equal(dec("15")) {
		t.Errorf("availability after cancel = %+v", a)
	}
	if again, err := s.CancelOrder(ctx, o.ID, 0, "", ""); err != nil || again.Revision != 3 {
		t.Errorf("second cancel = %+v, %v", again, err)
	}
	if again, err := s.CancelOrder(ctx, o.ID, 2, "", "cancel-1"); err != nil || again.Revision != 3 {
		t.Errorf("retried cancel = %+v, %v", again, err)
	}
	if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("confirming a cancelled order: %v", err)
	}
	var kinds []string
	rows, _ := pool.Query(ctx, `SELECT kind || ':' || warehouse || ':' || reserved_delta::text FROM stock_moves
		WHERE reference = $1 ORDER BY kind DESC, warehouse, reserved_delta`, "salesOrders/"+o.ID)
	for rows.Next() {
		var k string
		_ = rows.Scan(&k)
		kinds = append(kinds, k)
	}
	want := "[reservation:EAST:2 reservation:EAST:3 reservation:MAIN:10 release:EAST:-5 release:MAIN:-10]"
	if fmt.Sprint(kinds) != want {
		t.Errorf("ledger of the order = %v, want %v", kinds, want)
	}
	checkLedger(t, pool)

	// A draft is cancelled without touching stock.
	d := mustOrder(t, s, newOrder(c.ID, "", line("W-1", "1")))
	if got, err := s.CancelOrder(ctx, d.ID, 0, "", ""); err != nil || got.Status != sales.Cancelled {
		t.Errorf("cancel draft = %+v, %v", got, err)
	}

	// The feed tells each key's story in order, with increasing versions.
	events := allEvents(t, pool)
	perKey := map[string][]string{}
	for _, e := range events {
		if e.Type != stock.EventChanged && !strings.HasPrefix(e.Type, "sales_order.") {
			continue
		}
		v := payload(t, e)
		ver := v["revision"]
		if e.Type == stock.EventChanged {
			ver = v["version"]
		}
		perKey[e.Key] = append(perKey[e.Key], fmt.Sprintf("%s@%v", e.Type, ver))
	}
	if got := fmt.Sprint(perKey[o.ID]); got != "[sales_order.created@1 sales_order.confirmed@2 sales_order.cancelled@3]" {
		t.Errorf("events of the order = %s", got)
	}
	if got := fmt.Sprint(perKey["W-1"]); got != "[stock.changed@1 stock.changed@2 stock.changed@3 stock.changed@4]" {
		t.Errorf("events of W-1 = %s", got)
	}
	if len(perKey["W-2"]) != 0 {
		t.Errorf("W-2 had no stock change but events %v", perKey["W-2"])
	}
}

// Fifty orders each want one unit of an item with ten on hand, confirmed
// at once: exactly ten are reserved, forty backordered, stock never goes
// below zero and the ledger adds up.
func TestConcurrentConfirm(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	mustItem(t, s, "HOT", "1")
	mustAdjust(t, s, "HOT", "", "10")
	const n = 50
	orders := make([]sales.Order, n)
	for i := range orders {
		orders[i] = mustOrder(t, s, newOrder(c.ID, "", line("HOT", "1")))
	}
	var wg sync.WaitGroup
	results := make([]sales.Order, n)
	for i := range orders {
		wg.Go(func() {
			o, err := s.ConfirmOrder(ctx, orders[i].ID, 0, "")
			if err != nil {
				t.Error(err)
				return
			}
			results[i] = o
		})
	}
	wg.Wait()
	reserved, backordered := decimal.Zero, decimal.Zero
	for _, o := range results {
		if o.Status != sales.Confirmed {
			t.Fatalf("order %s is %s", o.ID, o.Status)
		}
		reserved = reserved.Add(o.Lines[0].Reserved)
		backordered = backordered.Add(o.Lines[0].Backordered)
	}
	if !reserved.Equal(dec("10")) || !backordered.Equal(dec("40")) {
		t.Errorf("reserved %s, backordered %s; want 10 and 40", reserved, backordered)
	}
	a, _ := s.Availability(ctx, "HOT")
	if !a.Reserved.Equal(dec("10")) || !a.OnHand.Equal(dec("10")) || a.Version != 11 {
		t.Errorf("availability = %+v", a)
	}
	var stored decimal.Decimal
	if err := pool.QueryRow(ctx, `SELECT sum(reserved_quantity) FROM sales_order_lines`).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	if !stored.Equal(dec("10")) {
		t.Errorf("order lines hold %s reserved, want 10", stored)
	}
	checkLedger(t, pool)

	// Every reservation made one stock.changed, versions in feed order.
	events := allEvents(t, pool)
	var versions []int64
	for _, e := range events {
		if e.Type == stock.EventChanged {
			v, _ := strconv.ParseInt(payload(t, e)["version"].(string), 10, 64)
			versions = append(versions, v)
		}
	}
	if len(versions) != 11 {
		t.Fatalf("%d stock.changed events, want 11", len(versions))
	}
	for i, v := range versions {
		if v != int64(i+1) {
			t.Fatalf("stock.changed versions in feed order = %v", versions)
		}
	}
}

// Orders naming the same SKUs in opposite orders, confirmed and cancelled
// concurrently, never deadlock: stock is locked in SKU order.
func TestConfirmLockOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := mustCustomer(t, s, "Acme")
	skus := []string{"A", "B", "C"}
	for _, sku := range skus {
		mustItem(t, s, sku, "1")
		mustAdjust(t, s, sku, "", "100")
	}
	var orders []sales.Order
	for i := range 30 {
		a, b, cc := skus[i%3], skus[(i+1)%3], skus[(i+2)%3]
		if i%2 == 1 {
			a, cc = cc, a
		}
		orders = append(orders, mustOrder(t, s, newOrder(c.ID, "", line(a, "1"), line(b, "2"), line(cc, "3"))))
	}
	var wg sync.WaitGroup
	for i, o := range orders {
		wg.Go(func() {
			if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
				t.Error(err)
			}
			if i%3 == 0 {
				if _, err := s.CancelOrder(ctx, o.ID, 0, "", ""); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	for _, sku := range skus {
		a, _ := s.Availability(ctx, sku)
		if !a.Reserved.Equal(dec("40")) { // 20 orders stay confirmed, each 1+2+3 over three SKUs
			t.Errorf("%s reserved %s, want 40", sku, a.Reserved)
		}
	}
	checkLedger(t, pool)
}

func TestListOrders(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	c1 := mustCustomer(t, s, "One")
	c2 := mustCustomer(t, s, "Two")
	mustItem(t, s, "W-1", "1")
	var all []sales.Order
	for i := range 5 {
		cust := c1
		if i%2 == 1 {
			cust = c2
		}
		all = append(all, mustOrder(t, s, newOrder(cust.ID, fmt.Sprintf("ref-%d", i), line("W-1", "1"), line("W-1", "2"))))
	}
	if _, err := s.ConfirmOrder(ctx, all[0].ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	list := func(filter string, size int, after string) ([]sales.Order, bool) {
		t.Helper()
		conds, err := listing.ParseFilter(filter, sales.FilterFields...)
		if err != nil {
			t.Fatal(err)
		}
		out, more, err := s.ListOrders(ctx, sales.ListQuery{Filter: conds, PageSize: size, After: after})
		if err != nil {
			t.Fatal(err)
		}
		return out, more
	}
	page1, more := list("", 2, "")
	if len(page1) != 2 || !more || page1[0].ID != all[0].ID || len(page1[1].Lines) != 2 {
		t.Errorf("page 1 = %+v", page1)
	}
	page2, _ := list("", 2, page1[1].ID)
	page3, more := list("", 2, page2[1].ID)
	if len(page3) != 1 || more || page3[0].ID != all[4].ID {
		t.Errorf("page 3 = %+v", page3)
	}
	if got, _ := list(`customer_id = "`+c2.ID+`"`, 10, ""); len(got) != 2 {
		t.Errorf("by customer: %d orders, want 2", len(got))
	}
	if got, _ := list(`status = CONFIRMED`, 10, ""); len(got) != 1 || got[0].ID != all[0].ID {
		t.Errorf("by status: %+v", got)
	}
	if got, _ := list(`external_ref = "ref-3"`, 10, ""); len(got) != 1 || got[0].ID != all[3].ID {
		t.Errorf("by external_ref: %+v", got)
	}
	conds, _ := listing.ParseFilter(`customer_id = "nope"`, sales.FilterFields...)
	if _, _, err := s.ListOrders(ctx, sales.ListQuery{Filter: conds, PageSize: 10}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("malformed customer_id filter: %v", err)
	}
}
