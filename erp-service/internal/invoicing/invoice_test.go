package invoicing

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func order(cur string, lines ...sales.Line) *sales.Order {
	for i := range lines {
		lines[i].Number = int32(i + 1)
		lines[i].UnitPrice.Currency = cur
		if lines[i].Invoiced.IsZero() {
			lines[i].Invoiced = decimal.Zero
		}
	}
	return &sales.Order{ID: "o", Number: "SO-1", CurrencyCode: cur, CustomerID: "c", Status: sales.Shipped, Revision: 3, Lines: lines}
}

func TestBuildRoundsPerLine(t *testing.T) {
	t.Parallel()
	issue := time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name                 string
		o                    *sales.Order
		rates                map[string]decimal.Decimal
		sub, tax, total, due string
	}{
		{"KWD, 3 places", order("KWD",
			sales.Line{SKU: "A", Quantity: d("3"), Shipped: d("3"), UnitPrice: money.Money{Amount: d("1.2345")}, Discount: d("0")},
			sales.Line{SKU: "B", Quantity: d("1"), Shipped: d("1"), UnitPrice: money.Money{Amount: d("0.333")}, Discount: d("10")}),
			map[string]decimal.Decimal{"A": d("0.05"), "B": d("0.05")}, "4.004", "0.200", "4.204", "2027-01-19"},
		{"JPY, no minor unit", order("JPY",
			sales.Line{SKU: "A", Quantity: d("7"), Shipped: d("7"), UnitPrice: money.Money{Amount: d("333")}, Discount: d("0")},
			sales.Line{SKU: "B", Quantity: d("1"), Shipped: d("1"), UnitPrice: money.Money{Amount: d("15")}, Discount: d("0")}),
			map[string]decimal.Decimal{"A": d("0.1"), "B": d("0.1")}, "2346", "235", "2581", "2027-01-19"},
		{"100 % discount", order("EUR",
			sales.Line{SKU: "A", Quantity: d("2"), Shipped: d("2"), UnitPrice: money.Money{Amount: d("9.99")}, Discount: d("100")}),
			map[string]decimal.Decimal{"A": d("0.19")}, "0.00", "0.00", "0.00", "2027-01-19"},
		{"a very large quantity", order("EUR",
			sales.Line{SKU: "A", Quantity: d("123456789012345678"), Shipped: d("123456789012345678"), UnitPrice: money.Money{Amount: d("0.01")}, Discount: d("0")}),
			map[string]decimal.Decimal{"A": d("0.19")}, "1234567890123456.78", "234567899123456.79", "1469135789246913.57", "2027-01-19"},
	} {
		inv, entries, err := Build("i", tc.o, nil, tc.rates, issue, 30, false)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if inv.Subtotal.Format() != tc.sub || inv.TaxTotal.Format() != tc.tax || inv.Total.Format() != tc.total || inv.DueDate.Format(civil.Layout) != tc.due {
			t.Errorf("%s: subtotal %s tax %s total %s due %s", tc.name, inv.Subtotal, inv.TaxTotal, inv.Total, inv.DueDate.Format(civil.Layout))
		}
		for _, e := range entries {
			if err := e.Check(); err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
		if inv.Total.Amount.IsZero() != (len(entries) == 0) {
			t.Errorf("%s: %d entries for total %s", tc.name, len(entries), inv.Total)
		}
		if tc.o.Status != sales.Invoiced || tc.o.Revision != 4 {
			t.Errorf("%s: order %s rev %d", tc.name, tc.o.Status, tc.o.Revision)
		}
	}
}

func TestDerive(t *testing.T) {
	t.Parallel()
	inv := Invoice{Currency: "EUR", Total: money.Money{Currency: "EUR", Amount: d("100.10")}, Paid: money.Money{Currency: "EUR", Amount: d("0")}}
	for _, tc := range []struct {
		paid    string
		overdue bool
		want    Status
	}{
		{"0", false, Open}, {"0.01", false, PartiallyPaid}, {"100.09", true, Overdue},
		{"33.37", false, PartiallyPaid}, {"100.1", true, Paid}, {"100.10", false, Paid},
	} {
		inv.Paid.Amount, inv.Overdue, inv.Status = d(tc.paid), tc.overdue, Open
		inv.Derive()
		if inv.Status != tc.want {
			t.Errorf("paid %s overdue %v: %s, want %s", tc.paid, tc.overdue, inv.Status, tc.want)
		}
	}
	// Credit notes: CREDITED when they alone cover the total (nothing
	// paid, overdue or not), PAID when payments and credit do together.
	for _, tc := range []struct {
		paid, credited string
		overdue        bool
		want           Status
	}{
		{"0", "100.10", false, CancelledByCredit}, {"0", "100.10", true, CancelledByCredit}, {"50", "50.10", false, Paid},
		{"0.01", "100.09", true, Paid}, {"0", "50", false, Open}, {"0", "50", true, Overdue}, {"25", "50", false, PartiallyPaid},
	} {
		inv.Paid.Amount, inv.Credited.Amount, inv.Overdue, inv.Status = d(tc.paid), d(tc.credited), tc.overdue, Open
		inv.Derive()
		if inv.Status != tc.want {
			t.Errorf("paid %s credited %s overdue %v: %s, want %s", tc.paid, tc.credited, tc.overdue, inv.Status, tc.want)
		}
	}
	inv.Credited.Amount = decimal.Zero
	// A zero invoice is PAID at once.
	zero := Invoice{Currency: "EUR", Total: money.Zero("EUR"), Paid: money.Zero("EUR"), Credited: money.Zero("EUR")}
	if zero.Derive(); zero.Status != Paid {
		t.Errorf("zero invoice: %s, want PAID", zero.Status)
	}
	// Three thirds of 100.10 pay it exactly: 33.37 + 33.37 + 33.36.
	inv.Paid.Amount, inv.Overdue = d("33.37").Add(d("33.37")).Add(d("33.36")), false
	inv.Derive()
	if inv.Status != Paid || !inv.OpenAmount().Amount.IsZero() {
		t.Errorf("thirds: %s open %s", inv.Status, inv.OpenAmount())
	}
}

func TestVoid(t *testing.T) {
	t.Parallel()
	o := order("EUR", sales.Line{SKU: "A", Quantity: d("2"), Shipped: d("2"), UnitPrice: money.Money{Amount: d("10")}, Discount: d("0")})
	inv, entries, err := Build("i", o, nil, map[string]decimal.Decimal{"A": d("0.1")}, time.Now(), 0, false)
	if err != nil {
		t.Fatal(err)
	}
	entries[0].ID = "e"
	inv.Paid.Amount = d("1")
	if _, _, err := VoidInvoice(&inv, 0, "", o, entries); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("void with a payment: %v", err)
	}
	inv.Paid.Amount = decimal.Zero
	rev, changed, err := VoidInvoice(&inv, 1, "x", o, entries)
	if err != nil || !changed || inv.Status != Void || o.Status != sales.Shipped || !o.Lines[0].Invoiced.IsZero() ||
		len(rev) != 1 || rev[0].ReversesID != "e" || rev[0].Kind != ledger.KindInvoiceVoid || !rev[0].Lines[0].Credit.Equal(d("22")) {
		t.Errorf("void: %v %v %+v %+v", err, changed, inv, rev)
	}
	if _, changed, _ := VoidInvoice(&inv, 1, "x", o, entries); changed {
		t.Error("voiding twice changed something")
	}
	credited := Invoice{Number: "INV-1", Status: CancelledByCredit, Currency: "EUR", Total: money.Money{Currency: "EUR", Amount: d("22")},
		Paid: money.Zero("EUR"), Credited: money.Money{Currency: "EUR", Amount: d("22")}}
	if _, _, err := VoidInvoice(&credited, 0, "x", o, entries); !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "is CREDITED") {
		t.Errorf("void of a credited invoice: %v", err)
	}
}

// An order whose total fits may still invoice to one that does not, once
// tax is added: refused, as nothing could carry it.
func TestBuildRefusesTotalsPastTheDigits(t *testing.T) {
	t.Parallel()
	o := order("EUR", sales.Line{SKU: "A", Quantity: d("1"), Shipped: d("1"), UnitPrice: money.Money{Amount: d("9999999999999999999999999999.99")}, Discount: d("0")})
	_, _, err := Build("i", o, nil, map[string]decimal.Decimal{"A": d("0.19")}, time.Now(), 30, false)
	if !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("Build = %v, want FailedPrecondition", err)
	}
}

func TestOverdueAsOfNotAfterToday(t *testing.T) {
	t.Parallel()
	// 23:30 in New York on 24 Nov is 04:30 on 25 Nov UTC: today is the 25th.
	ny := time.FixedZone("EST", -5*3600)
	now := time.Date(2026, 11, 24, 23, 30, 0, 0, ny)
	for _, tc := range []struct{ asOf, want string }{
		{"", "2026-11-25"},
		{"2026-11-25", "2026-11-25"},
		{"2026-01-31", "2026-01-31"},
		{"2026-11-26", ""},
		{"2030-01-01", ""},
	} {
		var asOf time.Time
		if tc.asOf != "" {
			asOf, _ = civil.ParseDate(tc.asOf)
		}
		got, err := OverdueAsOf(asOf, now)
		if tc.want == "" {
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "as_of_date" {
				t.Errorf("as of %s: %v, want INVALID_ARGUMENT on as_of_date", tc.asOf, err)
			}
			continue
		}
		if err != nil || civil.FormatDate(got) != tc.want {
			t.Errorf("as of %q = %s, %v; want %s", tc.asOf, civil.FormatDate(got), err, tc.want)
		}
	}
}

// Partial invoices of a line round cumulatively: however the line is
// split, its invoices add up to the order line's amount, tax included.
func TestBuildRoundsCumulatively(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, price, discount, rate string
		splits                      []string
		nets                        []string
		lineAmount, tax             string
	}{
		{"thirds of 20.00", "10.00", "33.33", "0.19", []string{"1", "1", "1"}, []string{"6.67", "6.66", "6.67"}, "20.00", "3.80"},
		{"0.05 at 50 %", "0.05", "50", "0", []string{"1", "1", "1"}, []string{"0.03", "0.02", "0.03"}, "0.08", "0.00"},
		{"uneven parts", "0.35", "0", "0.07", []string{"0.5", "1.25", "1.25"}, []string{"0.18", "0.43", "0.44"}, "1.05", "0.07"},
	} {
		o := order("EUR", sales.Line{SKU: "A", Quantity: d("3"), UnitPrice: money.Money{Amount: d(tc.price)}, Discount: d(tc.discount)})
		billed := map[int32]Billed{}
		var net, tax decimal.Decimal
		for k, q := range tc.splits {
			o.Status = sales.PartiallyShipped
			o.Lines[0].Shipped = o.Lines[0].Shipped.Add(d(q))
			inv, _, err := Build("i", o, billed, map[string]decimal.Decimal{"A": d(tc.rate)}, time.Now(), 30, false)
			if err != nil {
				t.Fatalf("%s: invoice %d: %v", tc.name, k, err)
			}
			l := inv.Lines[0]
			if l.Net.Format() != tc.nets[k] {
				t.Errorf("%s: invoice %d net %s, want %s", tc.name, k, l.Net, tc.nets[k])
			}
			b := billed[1]
			billed[1] = Billed{Net: b.Net.Add(l.Net.Amount), Tax: b.Tax.Add(l.Tax.Amount), TaxBase: b.TaxBase.Add(l.Net.Amount.Mul(l.TaxRate))}
			net, tax = net.Add(l.Net.Amount), tax.Add(l.Tax.Amount)
		}
		want := money.LineAmount(d("3"), money.Money{Currency: "EUR", Amount: d(tc.price)}, d(tc.discount))
		if want.Format() != tc.lineAmount || !net.Equal(want.Amount) || tax.StringFixed(2) != tc.tax || o.Status != sales.Invoiced {
			t.Errorf("%s: invoiced net %s tax %s (order line %s, status %s), want %s and %s", tc.name, net, tax, want, o.Status, tc.lineAmount, tc.tax)
		}
	}
}

// An issue date whose due date would be past 9999-12-31 is refused,
// naming issue_date; so is one more than a year and a day ahead.
func TestIssueDateBounds(t *testing.T) {
	t.Parallel()
	o := order("EUR", sales.Line{SKU: "A", Quantity: d("1"), Shipped: d("1"), UnitPrice: money.Money{Amount: d("1")}, Discount: d("0")})
	_, _, err := Build("i", o, nil, map[string]decimal.Decimal{"A": d("0")}, time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), 3650, false)
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "issue_date" {
		t.Errorf("due after 9999-12-31: %v", err)
	}
	now := time.Date(2026, 11, 23, 22, 0, 0, 0, time.UTC)
	for issue, ok := range map[string]bool{"2026-11-23": true, "2027-11-24": true, "2027-11-25": false, "9999-12-31": false} {
		day, _ := civil.ParseDate(issue)
		if err := CheckIssueDate(day, now); (err == nil) != ok {
			t.Errorf("CheckIssueDate(%s) = %v", issue, err)
		}
	}
}
