package sales

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/stock"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func fields(t *testing.T, err error) string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
		t.Fatalf("error = %v, want InvalidArgument", err)
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return fmt.Sprint(out)
}

func TestValidateNew(t *testing.T) {
	t.Parallel()
	usd := money.Money{Currency: "USD", Amount: d("1")}
	neg := money.Money{Currency: "EUR", Amount: d("-1")}
	n := NewOrder{
		CustomerID:   "",
		CurrencyCode: "EUR",
		Lines: []NewLine{
			{SKU: "ok", Quantity: d("1")},
			{SKU: "bad sku", Quantity: d("0")},
			{SKU: "x", Quantity: d("-2"), Discount: d("100.5")},
			{SKU: "y", Quantity: d("1"), UnitPrice: &usd},
			{SKU: "z", Quantity: d("1"), UnitPrice: &neg, Discount: d("-1")},
		},
	}
	want := "[customer_id lines[1].sku lines[1].quantity lines[2].quantity lines[2].discount_percent " +
		"lines[3].unit_price.currency_code lines[4].discount_percent lines[4].unit_price.amount]"
	if got := fields(t, ValidateNew(n)); got != want {
		t.Errorf("violations = %s\nwant %s", got, want)
	}
	if got := fields(t, ValidateNew(NewOrder{CustomerID: "c", CurrencyCode: "XXX"})); got != "[currency_code lines]" {
		t.Errorf("violations = %s", got)
	}
}

func TestBuild(t *testing.T) {
	t.Parallel()
	price := money.Money{Currency: "EUR", Amount: d("0.05")}
	n := NewOrder{CustomerID: "c", CurrencyCode: "EUR", Lines: []NewLine{
		{SKU: "A", Quantity: d("3")},
		{SKU: "B", Quantity: d("1"), UnitPrice: &price, Discount: d("50")},
	}}
	prices := map[string]money.Money{
		"A": {Currency: "EUR", Amount: d("19.99")},
		"B": {Currency: "USD", Amount: d("7")},
	}
	o, err := Build("id", n, prices)
	if err != nil {
		t.Fatal(err)
	}
	// 59.97 + 0.03 (0.025 rounds half away from zero, per line).
	if o.Total.String() != "60.00 EUR" || o.Lines[1].Amount.Format() != "0.03" || o.Status != Draft || o.Revision != 1 {
		t.Errorf("order = %+v", o)
	}
	n.Lines = append(n.Lines, NewLine{SKU: "B", Quantity: d("1")}, NewLine{SKU: "C", Quantity: d("1")})
	if _, err := Build("id", n, prices); fields(t, err) != "[lines[2].unit_price lines[3].sku]" {
		t.Errorf("Build error = %v", err)
	}
}

func avail(sku string, levels ...stock.Level) *stock.Availability {
	a := &stock.Availability{SKU: sku}
	for _, l := range levels {
		a.OnHand = a.OnHand.Add(l.OnHand)
		a.Reserved = a.Reserved.Add(l.Reserved)
	}
	a.Warehouses = levels
	return a
}

func TestConfirmAndCancel(t *testing.T) {
	t.Parallel()
	o := Order{ID: "o1", Status: Draft, Revision: 1, Lines: []Line{
		{Number: 1, SKU: "A", Quantity: d("5")},
		{Number: 2, SKU: "B", Quantity: d("2")},
		{Number: 3, SKU: "A", Quantity: d("4")},
	}}
	stockBy := map[string]*stock.Availability{
		"A": avail("A", stock.Level{Warehouse: "MAIN", OnHand: d("4"), Reserved: d("1")}, stock.Level{Warehouse: "EAST", OnHand: d("3")}),
		"B": avail("B"),
	}
	if _, _, err := o.Confirm(2, stockBy); !errors.Is(err, errs.ErrAborted) {
		t.Fatalf("stale etag: %v", err)
	}
	changes, changed, err := o.Confirm(1, stockBy)
	if err != nil || !changed {
		t.Fatal(err)
	}
	if fmt.Sprint(changes) == "" || len(changes) != 3 {
		t.Fatalf("changes = %+v", changes)
	}
	// Line 1 takes 3 from MAIN and 2 from EAST; line 3 the last 1 of EAST.
	got := fmt.Sprintf("%s/%s %s/%s %s/%s", o.Lines[0].Reserved, o.Lines[0].Backordered,
		o.Lines[1].Reserved, o.Lines[1].Backordered, o.Lines[2].Reserved, o.Lines[2].Backordered)
	if got != "5/0 0/2 1/3" || !o.Backordered || o.Status != Confirmed || o.Revision != 2 {
		t.Errorf("after confirm: %s, %+v", got, o)
	}
	if a := stockBy["A"]; !a.Available().IsZero() || !a.Reserved.Equal(d("7")) {
		t.Errorf("A after confirm = %+v", a)
	}
	if _, changed, err := o.Confirm(0, stockBy); changed || err != nil {
		t.Errorf("second confirm changed %v, %v", changed, err)
	}

	held := []Held{{SKU: "A", Warehouse: "MAIN", Quantity: d("3")}, {SKU: "A", Warehouse: "EAST", Quantity: d("3")}}
	changes, changed, err = o.Cancel(2, "why", held, stockBy)
	if err != nil || !changed || len(changes) != 2 || o.Status != Cancelled || o.Revision != 3 || o.Backordered {
		t.Fatalf("cancel = %+v, %v, %v; order %+v", changes, changed, err, o)
	}
	if a := stockBy["A"]; !a.Reserved.Equal(d("1")) {
		t.Errorf("A after cancel = %+v", a)
	}
	if _, changed, err := o.Cancel(0, "", nil, stockBy); changed || err != nil {
		t.Errorf("second cancel changed %v, %v", changed, err)
	}
	if _, _, err := o.Confirm(0, stockBy); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("confirm cancelled: %v", err)
	}
	shipped := Order{Status: Shipped}
	if _, _, err := shipped.Cancel(0, "", nil, nil); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("cancel shipped: %v", err)
	}
}
