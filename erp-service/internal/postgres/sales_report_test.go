package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/catalog"
	"github.com/seamhq/seam/erp-service/internal/customer"
	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/internal/reporting"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/erp-service/internal/shipping"
	"github.com/seamhq/seam/platform/money"
)

// The sales report against totals computed here from the invoices issued
// and voided: per customer and item, per customer, per item and per currency, over a
// date range, currencies never summed together.
func TestSalesReport(t *testing.T) {
	t.Parallel()
	s, _ := newStore(t)
	ctx := context.Background()
	type cust struct{ id, currency string }
	var custs []cust
	skus := map[string][]string{}
	for _, cur := range []string{"EUR", "JPY", "KWD"} {
		for i := range 2 {
			c := customer.Customer{ID: newID(t), Name: fmt.Sprintf("%s %d", cur, i), CurrencyCode: cur}
			if err := customer.PrepareNew(&c); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateCustomer(ctx, c, ""); err != nil {
				t.Fatal(err)
			}
			custs = append(custs, cust{c.ID, cur})
		}
		for i, price := range map[string][]string{"EUR": {"19.99", "0.35"}, "JPY": {"333", "7"}, "KWD": {"1.005", "0.125"}}[cur] {
			it := catalog.Item{SKU: fmt.Sprintf("%s-%d", cur, i), Name: "x", UnitOfMeasure: "kg", ListPrice: money.Money{Currency: cur, Amount: dec(price)}, TaxRate: dec("0.19")}
			if err := catalog.PrepareNew(&it, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := s.CreateItem(ctx, it, ""); err != nil {
				t.Fatal(err)
			}
			mustAdjust(t, s, it.SKU, "MAIN", "100000")
			skus[cur] = append(skus[cur], it.SKU)
		}
	}

	// Orders shipped (sometimes in part) and invoiced on dates around the
	// range 2026-02-01 .. 2026-02-28; some invoices voided.
	r := rand.New(rand.NewPCG(1, 2))
	var issued []invoicing.Invoice
	for range 40 {
		c := custs[r.IntN(len(custs))]
		n := sales.NewOrder{CustomerID: c.id, CurrencyCode: c.currency}
		for range 1 + r.IntN(3) {
			l := line(skus[c.currency][r.IntN(2)], []string{"1", "2.5", "3", "7"}[r.IntN(4)])
			l.Discount = dec([]string{"0", "10", "33.3"}[r.IntN(3)])
			n.Lines = append(n.Lines, l)
		}
		o := mustOrder(t, s, n)
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		for k := range 2 {
			sh := shipping.NewShipment{OrderID: o.ID}
			if k == 0 {
				sh.Lines = []shipping.Request{{LineNumber: 1, Quantity: dec("0.5")}}
			}
			if _, err := s.CreateShipment(ctx, sh, newID(t), ""); err != nil {
				t.Fatal(err)
			}
			inv, err := s.CreateInvoice(ctx, o.ID, time.Date(2026, 1, 20+r.IntN(45), 0, 0, 0, 0, time.UTC), newID(t), "")
			if err != nil {
				t.Fatal(err)
			}
			if r.IntN(6) == 0 {
				if _, err := s.VoidInvoice(ctx, inv.ID, 0, "wrong", ""); err != nil {
					t.Fatal(err)
				}
				inv.Status = invoicing.Void
			}
			issued = append(issued, inv)
		}
	}

	start, end := day("2026-02-01"), day("2026-02-28")
	type key struct{ group, customer, sku, currency string }
	type sum struct {
		qty, net        decimal.Decimal
		invoices, voids map[string]bool
	}
	// Every invoice counts on its issue date; a voided one (all issued
	// before today) less on the day of the void, today.
	today := utcToday()
	expect := func(q reporting.SalesQuery) map[key]*sum {
		want := map[key]*sum{}
		in := func(d time.Time) bool { return !d.Before(q.Start) && !d.After(q.End) }
		for _, inv := range issued {
			if (q.Currency != "" && inv.Currency != q.Currency) || (q.CustomerID != "" && inv.CustomerID != q.CustomerID) {
				continue
			}
			for _, l := range inv.Lines {
				for _, k := range []key{{"item", inv.CustomerID, l.SKU, inv.Currency}, {"customer", inv.CustomerID, "", inv.Currency},
					{"sku", "", l.SKU, inv.Currency}, {"currency", "", "", inv.Currency}} {
					issuedIn, voidedIn := in(inv.IssueDate), inv.Status == invoicing.Void && in(today)
					if !issuedIn && !voidedIn {
						continue
					}
					if want[k] == nil {
						want[k] = &sum{decimal.Zero, decimal.Zero, map[string]bool{}, map[string]bool{}}
					}
					if issuedIn {
						want[k].qty = want[k].qty.Add(l.Quantity)
						want[k].net = want[k].net.Add(l.Net.Amount)
						want[k].invoices[inv.ID] = true
					}
					if voidedIn {
						want[k].qty = want[k].qty.Sub(l.Quantity)
						want[k].net = want[k].net.Sub(l.Net.Amount)
						want[k].voids[inv.ID] = true
					}
				}
			}
		}
		return want
	}
	render := func(m map[key]*sum) string {
		var out []string
		for k, v := range m {
			out = append(out, fmt.Sprintf("%v %s %s %d %d", k, v.qty, v.net, len(v.invoices), len(v.voids)))
		}
		sort.Strings(out)
		return strings.Join(out, "\n")
	}
	groups := map[reporting.SalesGroup]string{reporting.ByCustomerAndItem: "item", reporting.ByCustomer: "customer",
		reporting.ByItem: "sku", reporting.ByCurrency: "currency"}
	for _, q := range []reporting.SalesQuery{
		{Start: start, End: end},
		{Start: start, End: end, Currency: "KWD"},
		{Start: start, End: end, CustomerID: custs[0].id},
		{Start: day("2026-01-01"), End: day("2026-12-31")},
		{Start: day("2025-01-01"), End: day("2025-12-31")},
		{Start: start, End: today},
		{Start: today, End: today, CustomerID: custs[0].id},
	} {
		// Every grouping, whole and in pages of two rows.
		var rows []reporting.SalesRow
		for _, g := range []reporting.SalesGroup{reporting.ByCustomerAndItem, reporting.ByCustomer, reporting.ByItem, reporting.ByCurrency} {
			q := q
			q.Group = g
			whole := salesRows(t, s, q)
			rows = append(rows, whole...)
		}
		got := map[key]*sum{}
		for _, row := range rows {
			k := key{groups[row.Group], row.CustomerID, row.SKU, row.Currency}
			if got[k] != nil {
				t.Errorf("row %v twice", k)
			}
			ids, voids := map[string]bool{}, map[string]bool{}
			for i := range row.Invoices {
				ids[fmt.Sprint(i)] = true
			}
			for i := range row.Voids {
				voids[fmt.Sprint(i)] = true
			}
			got[k] = &sum{row.Quantity, row.Net, ids, voids}
			if k.customer != "" && row.CustomerName == "" {
				t.Errorf("row %v without a customer name", k)
			}
		}
		want := expect(q)
		if render(got) != render(want) {
			t.Errorf("report %+v:\n got %s\nwant %s", q, render(got), render(want))
		}
		if q.Start.Equal(start) && q.Currency == "" && q.CustomerID == "" && len(want) < 20 {
			t.Errorf("the test data exercises too little: %d groups", len(want))
		}
	}
	if err := (reporting.SalesQuery{Start: end, End: start}).Validate(); err == nil {
		t.Error("a range ending before it starts is valid")
	}
}

// Invoices issued and voided at once, several on one item and day, leave
// the daily totals equal to the invoices' lines: on the issue date, and
// the voided ones on the day of the void.
func TestSalesDailyTotalsUnderConcurrency(t *testing.T) {
	t.Parallel()
	s, pool := newStore(t)
	ctx := context.Background()
	c := customer.Customer{ID: newID(t), Name: "Busy", CurrencyCode: "EUR"}
	if err := customer.PrepareNew(&c); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateCustomer(ctx, c, ""); err != nil {
		t.Fatal(err)
	}
	for _, sku := range []string{"HOT", "COLD"} {
		it := catalog.Item{SKU: sku, Name: sku, UnitOfMeasure: "kg", ListPrice: money.Money{Currency: "EUR", Amount: dec("9.95")}, TaxRate: dec("0.19")}
		if err := catalog.PrepareNew(&it, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateItem(ctx, it, ""); err != nil {
			t.Fatal(err)
		}
		mustAdjust(t, s, sku, "MAIN", "100000")
	}
	const n = 24
	var orders []string
	for i := range n {
		o := mustOrder(t, s, sales.NewOrder{CustomerID: c.ID, CurrencyCode: "EUR",
			Lines: []sales.NewLine{line("HOT", "2"), line([]string{"HOT", "COLD"}[i%2], "1.5")}})
		if _, err := s.ConfirmOrder(ctx, o.ID, 0, ""); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateShipment(ctx, shipping.NewShipment{OrderID: o.ID}, newID(t), ""); err != nil {
			t.Fatal(err)
		}
		orders = append(orders, o.ID)
	}
	errc := make(chan error, n)
	for i, id := range orders {
		go func() {
			inv, err := s.CreateInvoice(ctx, id, day("2026-03-02"), newID(t), "")
			if err == nil && i%3 == 0 {
				_, err = s.VoidInvoice(ctx, inv.ID, 0, "wrong", "")
			}
			errc <- err
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	var differing, slots int
	if err := pool.QueryRow(ctx, postgres.SalesTotalsDrift).Scan(&differing); err != nil {
		t.Fatal(err)
	}
	if differing != 0 {
		t.Errorf("%d daily totals differ from the invoices", differing)
	}
	got, err := s.SalesReport(ctx, reporting.SalesQuery{Group: reporting.ByCurrency, Start: day("2026-03-01"), End: day("2026-03-31")})
	if err != nil {
		t.Fatal(err)
	}
	// 24 invoices issued in March: 24 lines of 2 HOT, 12 of 1.5 HOT, 12
	// of 1.5 COLD; 8 of them voided today (8 of 2 and 8 of 1.5).
	if len(got) != 1 || got[0].Invoices != 24 || !got[0].Quantity.Equal(dec("84")) || got[0].Voids != 0 {
		t.Errorf("per currency in March: %+v, want 24 invoices of 84 units", got)
	}
	today := utcToday()
	got, err = s.SalesReport(ctx, reporting.SalesQuery{Group: reporting.ByCurrency, Start: today, End: today})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Invoices != 0 || got[0].Voids != 8 || !got[0].Quantity.Equal(dec("-28")) {
		t.Errorf("per currency today: %+v, want 8 voids of 28 units", got)
	}
	if err := pool.QueryRow(ctx, `SELECT count(DISTINCT slot) FROM sales_daily_items`).Scan(&slots); err != nil {
		t.Fatal(err)
	}
	t.Logf("the totals of one item and day spread over %d slots", slots)
}
