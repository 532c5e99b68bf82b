package pipeline

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func fields(err error) []string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return nil
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

var products = map[string]catalog.Product{
	"EUR-1": {SKU: "EUR-1", Name: "Widget", ListPrice: money.Money{Currency: "EUR", Amount: decimal.RequireFromString("19.99")}},
	"JPY-1": {SKU: "JPY-1", Name: "Yen thing", ListPrice: money.Money{Currency: "JPY", Amount: decimal.NewFromInt(1500)}},
}

func TestDefaultProbability(t *testing.T) {
	want := map[Stage]int32{StageProspecting: 10, StageQualification: 20, StageProposal: 50, StageNegotiation: 75, StageClosedWon: 100, StageClosedLost: 0}
	for s, p := range want {
		if got := DefaultProbability(s); got != p || !s.Valid() {
			t.Errorf("%s: %d", s, got)
		}
	}
	if Stage("won").Valid() || StageUnspecified.Valid() || !StageClosedLost.Closed() || StageNegotiation.Closed() {
		t.Error("stage predicates")
	}
}

func TestBuildLines(t *testing.T) {
	var v errs.Violations
	lines := buildLines(&v, "EUR", true, []LineInput{
		{SKU: "EUR-1", Quantity: "3", DiscountPercent: "12.5"},                                                                // 59.97 * 0.875 = 52.47375 -> 52.47
		{SKU: "JPY-1", Quantity: "1", UnitPrice: &catalog.MoneyInput{Currency: "EUR", Amount: "0.05"}, DiscountPercent: "50"}, // 0.025 -> 0.03
	}, products)
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	if lines[0].Amount.String() != "52.47 EUR" || lines[1].Amount.String() != "0.03 EUR" || lines[0].ProductName != "Widget" {
		t.Fatalf("lines %+v", lines)
	}
	sum, err := total("EUR", lines)
	if err != nil || sum.String() != "52.50 EUR" {
		t.Fatalf("total %v %v", sum, err)
	}

	v = errs.Violations{}
	buildLines(&v, "JPY", true, []LineInput{
		{SKU: "JPY-1", Quantity: "1", UnitPrice: &catalog.MoneyInput{Currency: "JPY", Amount: "1.5"}},
		{SKU: "EUR-1", Quantity: "1"},
		{SKU: "", Quantity: ""},
	}, products)
	want := []string{"lines[0].unit_price.amount", "lines[1].unit_price", "lines[2].sku", "lines[2].quantity"}
	if got := fields(v.Err()); !slices.Equal(got, want) {
		t.Fatalf("violations %v, want %v", got, want)
	}
}

func TestDerivePromiseDate(t *testing.T) {
	today := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	later := time.Date(2030, 2, 1, 0, 0, 0, 0, time.UTC)
	o := Opportunity{Lines: []Line{
		{Quantity: decimal.NewFromInt(3), Available: decimal.NewNullDecimal(decimal.NewFromInt(3)), ProductPromiseDate: later},
		{Quantity: decimal.NewFromInt(4), Available: decimal.NewNullDecimal(decimal.NewFromInt(3)), ProductPromiseDate: later},
		{Quantity: decimal.NewFromInt(4), Available: decimal.NewNullDecimal(decimal.NewFromInt(0))},
		{Quantity: decimal.NewFromInt(1)}, // availability never reported
	}}
	derive(&o, today)
	got := []time.Time{o.Lines[0].PromiseDate, o.Lines[1].PromiseDate, o.Lines[2].PromiseDate, o.Lines[3].PromiseDate}
	if want := []time.Time{today, later, {}, {}}; !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Fatalf("promise dates %v, want %v", got, want)
	}
}

// FuzzBuildLines: whatever a client sends, validation either names the bad
// fields (all under lines[i]) or yields lines whose amounts follow the
// platform's line rule; it never panics.
func FuzzBuildLines(f *testing.F) {
	f.Add("EUR-1", "3", "EUR", "12.50", "10", true)
	f.Add("JPY-1", "1e3", "EUR", "12,5", "-1", true)
	f.Add("", "0.0001", "JPY", "1.999", "100", false)
	f.Add("EUR-1", "-1", "USD", "", "", false)
	f.Fuzz(func(t *testing.T, sku, qty, cur, amount, discount string, withPrice bool) {
		in := LineInput{SKU: sku, Quantity: qty, DiscountPercent: discount}
		if withPrice {
			in.UnitPrice = &catalog.MoneyInput{Currency: cur, Amount: amount}
		}
		var v errs.Violations
		lines := buildLines(&v, "EUR", true, []LineInput{in}, products)
		if err := v.Err(); err != nil {
			for _, f := range fields(err) {
				if !strings.HasPrefix(f, "lines[0].") {
					t.Fatalf("violation on %q", f)
				}
			}
			return
		}
		l := lines[0]
		if !l.Quantity.IsPositive() || l.DiscountPercent.IsNegative() || l.DiscountPercent.GreaterThan(decimal.NewFromInt(100)) || l.UnitPrice.Currency != "EUR" {
			t.Fatalf("accepted %+v", l)
		}
		if want := money.LineAmount(l.Quantity, l.UnitPrice, l.DiscountPercent); !want.Amount.Equal(l.Amount.Amount) || money.Places(l.Amount.Amount) > 2 {
			t.Fatalf("amount %v, want %v", l.Amount, want)
		}
	})
}

// A deal's n-th line of a SKU shows the order's n-th line of that SKU;
// lines the order lacks show none, and no order clears them all.
func TestFulfil(t *testing.T) {
	var v errs.Violations
	order := orderLines(&v, []LineInput{
		{SKU: "B", Reserved: "2"},
		{SKU: "A", Reserved: "3", Backordered: "1"},
		{SKU: "A", Reserved: "5", Shipped: "2.5"},
		{SKU: "C"}, // reports none
	})
	if err := v.Err(); err != nil {
		t.Fatal(err)
	}
	lines := []Line{{SKU: "A"}, {SKU: "A"}, {SKU: "B"}, {SKU: "C"}, {SKU: "A"}, {SKU: "D"}}
	got, changed := fulfil(lines, order)
	show := func(ls []Line) []string {
		var out []string
		for _, l := range ls {
			s := l.SKU + ":-"
			if f := l.Fulfilment; f != nil {
				s = l.SKU + ":" + f.Reserved.String() + "/" + f.Backordered.String() + "/" + f.Shipped.String()
			}
			out = append(out, s)
		}
		return out
	}
	want := []string{"A:3/1/0", "A:5/0/2.5", "B:2/0/0", "C:-", "A:-", "D:-"}
	if !changed || !slices.Equal(show(got), want) {
		t.Fatalf("fulfil: %v (changed %v), want %v", show(got), changed, want)
	}
	if lines[0].Fulfilment != nil {
		t.Fatal("fulfil changed its input")
	}
	if again, changed := fulfil(got, order); changed || !slices.Equal(show(again), want) {
		t.Fatalf("the same fulfilment again: %v, changed %v", show(again), changed)
	}
	if cleared, changed := fulfil(got, nil); !changed || !slices.Equal(show(cleared), []string{"A:-", "A:-", "B:-", "C:-", "A:-", "D:-"}) {
		t.Fatalf("cleared: %v, changed %v", show(cleared), changed)
	}

	v = errs.Violations{}
	orderLines(&v, []LineInput{{SKU: "A", Reserved: "x"}, {SKU: "A", Backordered: "-1", Shipped: "1"}})
	if got, want := fields(v.Err()), []string{"lines[0].reserved_quantity", "lines[1].backordered_quantity"}; !slices.Equal(got, want) {
		t.Fatalf("violations %v, want %v", got, want)
	}
}

// A line's quantity has at most six decimal places (trailing zeros do not
// count) and is at most 10^12.
func TestBuildLinesQuantityBounds(t *testing.T) {
	var v errs.Violations
	buildLines(&v, "EUR", true, []LineInput{
		{SKU: "EUR-1", Quantity: "0.0000001"},
		{SKU: "EUR-1", Quantity: "1000000000001"},
		{SKU: "EUR-1", Quantity: "2.500000000"},
		{SKU: "EUR-1", Quantity: "1000000000000"},
		{SKU: "EUR-1", Quantity: "0.000001"},
	}, products)
	want := []string{"lines[0].quantity", "lines[1].quantity"}
	if got := fields(v.Err()); !slices.Equal(got, want) {
		t.Fatalf("violations %v, want %v", got, want)
	}
}
