package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/purchasing"
)

// Receiving at a unit cost other than the standard cost puts inventory at
// standard, payables at the order's cost and the difference on purchase
// price variance, per receipt; the trial balance still sums to zero.
func TestPurchasePriceVariance(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "V-1", "30", "10.00") // bought above standard
	mustCostedItem(t, s, "V-2", "30", "4.00")  // bought below standard
	mustCostedItem(t, s, "V-3", "30", "2.50")  // bought at standard
	sup := mustSupplier(t, s, "Parts")
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: []purchasing.Line{
		poLine("V-1", "3", "10.125", "2030-01-01"),
		poLine("V-2", "5", "3.10", "2030-01-01"),
		poLine("V-3", "2", "2.50", "2030-01-01"),
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}

	type want struct{ inventory, payable, variance string }
	steps := []struct {
		lines []purchasing.ReceiptLine
		want  want
	}{
		// V-1: 2 x 10.00 = 20.00 at standard, 2 x 10.125 = 20.25 owed: Dr PPV 0.25.
		{[]purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("2")}}, want{"20", "-20.25", "0.25"}},
		// V-2: 5 x 4.00 = 20.00, 5 x 3.10 = 15.50: Cr PPV 4.50. V-3 at standard: none.
		// V-1: 1 x 10.00 = 10.00, 1 x 10.125 = 10.13 (rounded): Dr PPV 0.13.
		{[]purchasing.ReceiptLine{{LineNumber: 2, Quantity: dec("5")}, {LineNumber: 3, Quantity: dec("2")}, {LineNumber: 1, Quantity: dec("1")}},
			want{"55", "-50.88", "-4.12"}},
	}
	for i, st := range steps {
		if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", st.lines, ""); err != nil {
			t.Fatalf("receipt %d: %v", i, err)
		}
		bal := checkJournal(t, s, pool) // every entry balances, the trial balance sums to zero
		got := want{bal[ledger.Inventory], bal[ledger.AccountsPayable], bal[ledger.PurchasePriceVariance]}
		if got != st.want {
			t.Errorf("after receipt %d: inventory, payables, variance = %v, want %v", i, got, st.want)
		}
	}
	// The second receipt's entry carries all three accounts in one entry.
	var lines int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
		WHERE e.reference = $1 AND l.account_code = '5100'`, "purchaseOrders/"+po.ID).Scan(&lines); err != nil || lines != 2 {
		t.Errorf("variance lines = %d, %v", lines, err)
	}
	// Stock valuation stays at standard cost: it equals the inventory account.
	vals, _, err := s.Valuation(ctx, time.Time{}, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	total := dec("0")
	for _, v := range vals {
		total = total.Add(v.Value().Amount)
	}
	if total.String() != "55" {
		t.Errorf("stock valuation = %s, want 55", total)
	}
	checkLedger(t, pool)
}

func TestPurchaseReceiptEntry(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		standard, purchase string
		ok                 bool
		lines              int
	}{
		{"0", "0", false, 0},
		{"10", "10", true, 2},
		{"10", "12", true, 3},
		{"10", "8", true, 3},
		{"0", "5", true, 2},
		{"5", "0", true, 2},
	} {
		e, ok := ledger.PurchaseReceipt("purchaseOrders/x", "EUR", dec(tc.standard), dec(tc.purchase))
		if ok != tc.ok || len(e.Lines) != tc.lines {
			t.Errorf("PurchaseReceipt(%s, %s) = %+v, %v", tc.standard, tc.purchase, e, ok)
			continue
		}
		if ok {
			if err := e.Check(); err != nil {
				t.Errorf("PurchaseReceipt(%s, %s): %v", tc.standard, tc.purchase, err)
			}
		}
	}
}

// Goods costed in euros and bought in dollars: the supplier is owed
// dollars, inventory holds euros at standard, and each currency's entry
// balances on purchase price variance. Both trial balances sum to zero.
func TestPurchaseInAnotherCurrency(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustCostedItem(t, s, "X-1", "30", "10.00")
	mustCostedItem(t, s, "X-2", "30", "4.00")
	sup := mustSupplierIn(t, s, "Overseas", "USD")
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: []purchasing.Line{
		poLine("X-1", "3", "11.125", "2030-01-01"),
		poLine("X-2", "4", "4.40", "2030-01-01"),
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if po.Currency != "USD" {
		t.Fatalf("order currency = %s, want the supplier's USD", po.Currency)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{
		{LineNumber: 1, Quantity: dec("2")}, {LineNumber: 2, Quantity: dec("4")},
	}, ""); err != nil {
		t.Fatal(err)
	}
	eur := checkJournal(t, s, pool)
	// 2 x 10.00, X-2: 4 x 4.00 in inventory, their standard value off variance.
	if got := [3]string{eur[ledger.Inventory], eur[ledger.AccountsPayable], eur[ledger.PurchasePriceVariance]}; got != [3]string{"36", "", "-36"} {
		t.Errorf("EUR inventory, payables, variance = %q", got)
	}
	usd := balances(t, s, "USD")
	// Owed: 2 x 11.125 = 22.25, 4 x 4.40 = 17.60.
	if got := [3]string{usd[ledger.Inventory], usd[ledger.AccountsPayable], usd[ledger.PurchasePriceVariance]}; got != [3]string{"", "-39.85", "39.85"} {
		t.Errorf("USD inventory, payables, variance = %q", got)
	}
	var entries int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM journal_entries WHERE reference = $1`,
		"purchaseOrders/"+po.ID).Scan(&entries); err != nil || entries != 2 {
		t.Errorf("entries = %d, %v, want one per currency", entries, err)
	}
	checkLedger(t, pool)
}

// Receipts of parts of a line owe the supplier the line's amount in all:
// each receipt owes round(received so far x unit cost) less what earlier
// receipts of the line owed, not its own quantity's amount rounded.
func TestPurchaseReceiptsOweTheLineAmount(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	mustKgCostedItem(t, s, "R-1", "30", "0.25")
	mustKgCostedItem(t, s, "R-2", "30", "1.10")
	sup := mustSupplier(t, s, "Parts")
	po, err := s.CreatePurchaseOrder(ctx, purchasing.Order{ID: newID(t), SupplierID: sup.ID, Lines: []purchasing.Line{
		poLine("R-1", "1", "0.25", "2030-01-01"),
		poLine("R-2", "4.5", "1.113", "2030-01-01"),
	}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if po.Total.String() != "5.26" { // 0.25 + 5.0085 rounded
		t.Fatalf("order total = %s", po.Total)
	}
	if _, err := s.OrderPurchaseOrder(ctx, po.ID, 0, ""); err != nil {
		t.Fatal(err)
	}
	var owed []string
	for range 3 {
		if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{
			{LineNumber: 1, Quantity: dec("0.25")}, {LineNumber: 2, Quantity: dec("1.5")},
		}, ""); err != nil {
			t.Fatal(err)
		}
		owed = append(owed, balances(t, s, "EUR")[ledger.AccountsPayable])
	}
	// 0.0625 -> 0.06, 0.125 -> 0.13, 0.1875 -> 0.19; R-2: 1.6695 ->
	// 1.67, 3.339 -> 3.34, 5.0085 -> 5.01.
	if want := "[-1.73 -3.47 -5.2]"; fmt.Sprint(owed) != want {
		t.Errorf("payables after each receipt = %v, want %s", owed, want)
	}
	if _, err := s.ReceivePurchaseOrder(ctx, po.ID, "", []purchasing.ReceiptLine{{LineNumber: 1, Quantity: dec("0.25")}}, ""); err != nil {
		t.Fatal(err)
	}
	if got := balances(t, s, "EUR")[ledger.AccountsPayable]; got != "-5.26" {
		t.Errorf("payables once received in full = %s, want the order's -5.26", got)
	}
	checkInventoryValuation(t, s, pool)
}
