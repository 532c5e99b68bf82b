package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
)

// orderedPO creates and orders a purchase order of lines from a new
// supplier and returns it.
func orderedPO(t *testing.T, s *postgres.Store, lines ...purchasing.Line) purchasing.Order {
	t.Helper()
	ctx := context.Background()
	sup := mustSupplier(t, s, "Parts "+newID(t))
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: lines}, "")
	if err != nil {
		t.Fatal(err)
	}
	if po, err = s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	return po
}

// rl is a receipt or return line.
func rl(n int32, qty string) purchasing.ReceiptLine {
	return purchasing.ReceiptLine{LineNumber: n, Quantity: dec(qty)}
}

// journalRows counts the journal's entries and lines.
func journalRows(t *testing.T, pool *pgxpool.Pool) string {
	t.Helper()
	return fmt.Sprintf("%d entries, %d lines", count(t, pool, "journal_entries"), count(t, pool, "journal_lines"))
}

// delta is after - before of one account's balance.
func delta(before, after map[string]string, account string) string {
	or0 := func(s string) string {
		if s == "" {
			return "0"
		}
		return s
	}
	return dec(or0(after[account])).Sub(dec(or0(before[account]))).String()
}

// A return to the supplier takes the goods off stock, off the lines'
// received quantities and off payables, by the exact amounts a receipt of
// them would have added: payables at the order's unit cost, rounded
// cumulatively per line, inventory at standard cost, the difference on
// purchase price variance, in one balanced entry of kind purchase_return.
func TestReturnPurchaseOrder(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "R-1", "20", "8.005") // bought below standard
	mustKgCostedItem(t, s, "R-2", "5", "1")
	po := orderedPO(t, s,
		poLine("R-1", "10", "7.50", "2030-03-01"),
		poLine("R-2", "3", "0.333", "2030-02-01"),
		poLine("R-1", "4", "7.50", "2030-02-15"))

	// Nothing received: nothing to return.
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1")}, "", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("returning from an order that received nothing: %v", err)
	}
	received, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10"), rl(2, "3"), rl(3, "4")}, "")
	if err != nil || received.Status != purchasing.Received {
		t.Fatalf("receipt = %+v %v", received, err)
	}
	before := checkJournal(t, s, pool)
	counts, journal := rowCounts(t, pool), journalRows(t, pool)

	// Refused returns write nothing: more than a line received
	// (FAILED_PRECONDITION naming it), a line or warehouse that does not
	// exist (INVALID_ARGUMENT).
	_, err = s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "1"), rl(2, "3.000001")}, "", "")
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].quantity" {
		t.Errorf("over-returning: %v", err)
	}
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(4, "1")}, "", ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown line: %v", err)
	}
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "NOWHERE", []purchasing.ReceiptLine{rl(1, "1")}, "", ""); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown warehouse: %v", err)
	}
	if after := rowCounts(t, pool); fmt.Sprint(after) != fmt.Sprint(counts) || journalRows(t, pool) != journal {
		t.Errorf("refused returns wrote: %v -> %v, %s -> %s", counts, after, journal, journalRows(t, pool))
	}

	ret := []purchasing.ReceiptLine{rl(1, "2.5"), rl(2, "1")}
	r1, err := s.ReturnPurchaseOrder(ctx, po.ID, "", ret, "damaged", "ret-1")
	if err != nil {
		t.Fatal(err)
	}
	if r1.Status != purchasing.PartiallyReceived || r1.Revision != received.Revision+1 ||
		r1.Lines[0].Received.String() != "7.5" || r1.Lines[1].Received.String() != "2" || r1.Lines[2].Received.String() != "4" {
		t.Errorf("returned = %+v", r1)
	}
	if got, _ := s.GetPurchaseOrder(ctx, po.ID); got.Revision != r1.Revision || got.Lines[0].Received.String() != "7.5" {
		t.Errorf("stored = %+v", got)
	}
	// Payables: line 1 owed 75.00 for 10, 56.25 for 7.5: 18.75 less;
	// line 2 owed 1.00 for 3 at 0.333 (0.999), 0.67 for 2 (0.666): 0.33
	// less. Inventory: R-1 14 -> 11.5 at 8.005, 112.07 -> 92.06: 20.01;
	// R-2 3 -> 2 at 1: 1.00. The 1.93 bought below standard comes off
	// the variance credit.
	after := checkJournal(t, s, pool)
	if d := [3]string{delta(before, after, ledger.AccountsPayable), delta(before, after, ledger.Inventory),
		delta(before, after, ledger.PurchasePriceVariance)}; d != [3]string{"19.08", "-21.01", "1.93"} {
		t.Errorf("payables, inventory, variance moved by %v, want [19.08 -21.01 1.93]", d)
	}
	var entry []string
	rows, err := pool.Query(ctx, `SELECT l.account_code, l.debit, l.credit FROM journal_lines l
		JOIN journal_entries e ON e.id = l.entry_id
		WHERE e.kind = 'purchase_return' AND e.reference = $1 ORDER BY l.line_number`, "purchaseOrders/"+po.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var acct, debit, credit string
		if err := rows.Scan(&acct, &debit, &credit); err != nil {
			t.Fatal(err)
		}
		entry = append(entry, acct+" "+debit+"/"+credit)
	}
	if rows.Err() != nil || fmt.Sprint(entry) != "[1200 0/21.01 5100 1.93/0 2000 19.08/0]" {
		t.Errorf("return entry = %v %v", entry, rows.Err())
	}
	var moves []string
	rows, err = pool.Query(ctx, `SELECT sku, warehouse, on_hand_delta::text, reserved_delta::text, reason FROM stock_moves
		WHERE kind = 'return' AND reference = $1 ORDER BY sku`, "purchaseOrders/"+po.ID)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var sku, wh, onHand, reserved, reason string
		if err := rows.Scan(&sku, &wh, &onHand, &reserved, &reason); err != nil {
			t.Fatal(err)
		}
		moves = append(moves, fmt.Sprintf("%s %s %s %s %s", sku, wh, onHand, reserved, reason))
	}
	if rows.Err() != nil || fmt.Sprint(moves) != "[R-1 MAIN -2.5 0 damaged R-2 MAIN -1 0 damaged]" {
		t.Errorf("return moves = %v %v", moves, rows.Err())
	}
	// What went back is open again: incoming, at the line's date.
	if a, _ := s.Availability(ctx, "R-1"); a.OnHand.String() != "11.5" || a.Incoming.String() != "2.5" {
		t.Errorf("R-1 after the return: %+v", a)
	}
	if a, _ := s.Availability(ctx, "R-2"); a.OnHand.String() != "2" || a.Incoming.String() != "1" {
		t.Errorf("R-2 after the return: %+v", a)
	}

	// A retry returns the order as it is and writes nothing; the
	// request_id names one order.
	counts, journal = rowCounts(t, pool), journalRows(t, pool)
	r2, err := s.ReturnPurchaseOrder(ctx, po.ID, "", ret, "damaged", "ret-1")
	if err != nil || r2.Revision != r1.Revision || r2.Lines[0].Received.String() != "7.5" {
		t.Errorf("retried return = %+v %v", r2, err)
	}
	if now := rowCounts(t, pool); fmt.Sprint(now) != fmt.Sprint(counts) || journalRows(t, pool) != journal {
		t.Errorf("a retry wrote: %v -> %v, %s -> %s", counts, now, journal, journalRows(t, pool))
	}
	if _, err := s.ReturnPurchaseOrder(ctx, newOrderIDFor(t, s, mustSupplier(t, s, "Other").ID, "R-2"), "", ret, "damaged", "ret-1"); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("request_id reused for another order: %v", err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", ret, "ret-1"); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("request_id reused for a receipt: %v", err)
	}

	// Only stock available in the warehouse goes back: what is reserved
	// for customers stays (FAILED_PRECONDITION naming the line), and so
	// does stock in other warehouses.
	c := mustCustomer(t, s, "Acme")
	so := mustOrder(t, s, newOrder(c.ID, "", line("R-1", "11")))
	if _, err := s.ConfirmOrder(ctx, so.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	_, err = s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(2, "1"), rl(3, "1")}, "", "")
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || len(e.Violations) != 1 || e.Violations[0].Field != "lines[1].quantity" {
		t.Errorf("returning reserved stock: %v", err)
	}
	if _, err := s.CreateWarehouse(ctx, stock.Warehouse{Code: "EAST", Name: "East"}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReturnPurchaseOrder(ctx, po.ID, "EAST", []purchasing.ReceiptLine{rl(2, "1")}, "", ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("returning out of a warehouse without the stock: %v", err)
	}
	r3, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(3, "0.5")}, "", "")
	if err != nil || r3.Lines[2].Received.String() != "3.5" {
		t.Fatalf("returning what is available = %+v %v", r3, err)
	}
	if a, _ := s.Availability(ctx, "R-1"); a.OnHand.String() != "11" || a.Reserved.String() != "11" {
		t.Errorf("R-1 after returning what was available: %+v", a)
	}
	var reason string
	if err := pool.QueryRow(ctx, `SELECT reason FROM stock_moves WHERE kind = 'return' ORDER BY id DESC LIMIT 1`).Scan(&reason); err != nil || reason != "return" {
		t.Errorf("default reason = %q %v", reason, err)
	}

	var types []string
	for _, ev := range allEvents(t, pool) {
		if ev.Key == po.ID || ev.Key == "R-1" || ev.Key == "R-2" {
			types = append(types, ev.Type)
		}
	}
	want := "[item.created item.created purchase_order.created stock.changed stock.changed purchase_order.ordered " +
		"stock.changed stock.changed purchase_order.received stock.changed stock.changed purchase_order.returned " +
		"stock.changed stock.changed purchase_order.returned]"
	if fmt.Sprint(types) != want {
		t.Errorf("events = %v\nwant %s", types, want)
	}
	for _, ev := range allEvents(t, pool) {
		if ev.Type == purchasing.EventReturned {
			if p := payload(t, ev); p["status"] != "PURCHASE_ORDER_STATUS_PARTIALLY_RECEIVED" {
				t.Errorf("purchase_order.returned payload = %v", p)
			}
		}
	}
	checkLedger(t, pool)
}

// Receiving and returning all of it, however split, nets to zero on every
// account in every currency, above and below standard cost and for an
// item costed in another currency than the order's; the order is ORDERED
// again (it can be received or cancelled), a closed one stays closed.
func TestReturnNetsTheReceipt(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "N-1", "30", "10.00")  // bought above standard
	mustKgCostedItem(t, s, "N-2", "30", "0.0125") // bought below standard, sub-cent
	mustKgCostedItemIn(t, s, "N-3", "3", "USD")   // costed in USD, bought in EUR
	po := orderedPO(t, s,
		poLine("N-1", "3", "10.125", "2030-01-01"),
		poLine("N-2", "7", "0.011", "2030-01-01"),
		poLine("N-3", "1.5", "2.75", "2030-01-01"))
	for _, r := range [][]purchasing.ReceiptLine{
		{rl(1, "1"), rl(2, "0.5")},
		{rl(1, "2"), rl(2, "6.5"), rl(3, "1.5")},
	} {
		if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", r, ""); err != nil {
			t.Fatal(err)
		}
	}
	if b := checkJournal(t, s, pool); b[ledger.AccountsPayable] == "0" || b[ledger.Inventory] == "0" {
		t.Fatalf("nothing posted by the receipts: %v", b)
	}
	var last purchasing.Order
	for _, r := range [][]purchasing.ReceiptLine{
		{rl(2, "0.3"), rl(1, "0.5")},
		{rl(3, "0.7"), rl(2, "3.3")},
		{rl(1, "2.5"), rl(2, "3.4"), rl(3, "0.8")},
	} {
		var err error
		if last, err = s.ReturnPurchaseOrder(ctx, po.ID, "", r, "", ""); err != nil {
			t.Fatal(err)
		}
	}
	for _, cur := range []string{"EUR", "USD"} {
		for acct, bal := range balances(t, s, cur) {
			if !dec(bal).IsZero() {
				t.Errorf("%s %s = %s after receiving and returning everything", cur, acct, bal)
			}
		}
	}
	checkJournal(t, s, pool)
	if last.Status != purchasing.Ordered {
		t.Errorf("everything returned: status %s", last.Status)
	}
	if a, _ := s.Availability(ctx, "N-2"); !a.OnHand.IsZero() || a.Incoming.String() != "7" {
		t.Errorf("N-2 after returning everything: %+v", a)
	}
	if c, err := s.CancelPurchaseOrder(ctx, po.ID, 0, ""); err != nil || c.Status != purchasing.Cancelled {
		t.Errorf("cancelling what was all returned = %+v %v", c, err)
	}

	// A closed order takes returns and stays closed: nothing of it is
	// incoming.
	closed := orderedPO(t, s, poLine("N-1", "4", "10", "2030-01-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, closed.ID, "", []purchasing.ReceiptLine{rl(1, "2")}, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CancelPurchaseOrder(ctx, closed.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	r, err := s.ReturnPurchaseOrder(ctx, closed.ID, "", []purchasing.ReceiptLine{rl(1, "1")}, "", "")
	if err != nil || r.Status != purchasing.Closed || r.Lines[0].Received.String() != "1" {
		t.Errorf("return from a closed order = %+v %v", r, err)
	}
	if a, _ := s.Availability(ctx, "N-1"); a.OnHand.String() != "1" || !a.Incoming.IsZero() {
		t.Errorf("N-1 after the closed order's return: %+v", a)
	}
	checkJournal(t, s, pool)
	checkLedger(t, pool)
}

// Concurrent returns of one line queue on the order: together they never
// return more than it received, even with more stock on hand; and
// returns of two orders of one SKU queue on the SKU: together they never
// take stock that is reserved.
func TestConcurrentReturns(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "C-1", "20", "4")
	mustCostedItem(t, s, "C-2", "20", "4")
	po := orderedPO(t, s, poLine("C-1", "10", "4.10", "2030-01-01"))
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "10")}, ""); err != nil {
		t.Fatal(err)
	}
	// Stock found in a count: on hand is no limit here, and payables
	// stay what the order owes.
	found := stock.Adjustment{ID: newID(t), SKU: "C-1", Warehouse: "MAIN", Quantity: dec("100"), Reason: "count"}
	if err := stock.PrepareAdjustment(&found); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Adjust(ctx, found, ""); err != nil {
		t.Fatal(err)
	}

	race := func(n int, do func(i int) error) (ok, refused int) {
		t.Helper()
		var wg sync.WaitGroup
		var mu sync.Mutex
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := do(i)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case errors.Is(err, errs.ErrFailedPrecondition):
					refused++
				default:
					t.Errorf("return %d: %v", i, err)
				}
			}()
		}
		wg.Wait()
		return ok, refused
	}
	ok, refused := race(8, func(i int) error {
		_, err := s.ReturnPurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{rl(1, "3")}, "", fmt.Sprintf("race-%d", i))
		return err
	})
	if ok != 3 || refused != 5 {
		t.Errorf("returns of 3 of 10 received: %d done, %d refused; want 3 and 5", ok, refused)
	}
	got, _ := s.GetPurchaseOrder(ctx, po.ID)
	if a, _ := s.Availability(ctx, "C-1"); got.Lines[0].Received.String() != "1" || a.OnHand.String() != "101" {
		t.Errorf("after the race: received %s, on hand %s", got.Lines[0].Received, a.OnHand)
	}
	// Payables: 41.00 received, 9 x 4.10 = 36.90 returned in three.
	if b := checkJournal(t, s, pool); b[ledger.AccountsPayable] != "-4.1" {
		t.Errorf("payables after the race = %s, want -4.10", b[ledger.AccountsPayable])
	}

	// Two orders of C-2 received 5 each; 6 of the 10 reserved leaves 4
	// to send back: of two returns of 3, one goes.
	a := orderedPO(t, s, poLine("C-2", "5", "4", "2030-01-01"))
	b := orderedPO(t, s, poLine("C-2", "5", "4", "2030-01-01"))
	for _, id := range []string{a.ID, b.ID} {
		if _, err := s.ReceivePurchaseOrder(ctx, id, "", []purchasing.ReceiptLine{rl(1, "5")}, ""); err != nil {
			t.Fatal(err)
		}
	}
	so := mustOrder(t, s, newOrder(mustCustomer(t, s, "Acme").ID, "", line("C-2", "6")))
	if _, err := s.ConfirmOrder(ctx, so.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	ok, refused = race(2, func(i int) error {
		_, err := s.ReturnPurchaseOrder(ctx, []string{a.ID, b.ID}[i], "", []purchasing.ReceiptLine{rl(1, "3")}, "", "")
		return err
	})
	if ok != 1 || refused != 1 {
		t.Errorf("returns of 3 and 3 with 4 available: %d done, %d refused; want 1 and 1", ok, refused)
	}
	if av, _ := s.Availability(ctx, "C-2"); av.OnHand.String() != "7" || av.Reserved.String() != "6" {
		t.Errorf("C-2 after the race: %+v", av)
	}
	checkJournal(t, s, pool)
	checkLedger(t, pool)
}
