package purchasing

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
)

func d(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func fields(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want an *errs.Error", err)
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestPrepareSupplier(t *testing.T) {
	s := Supplier{Name: "  Parts  "}
	if err := PrepareSupplier(&s); err != nil || s.Name != "Parts" || s.CurrencyCode != "EUR" {
		t.Fatalf("prepared = %+v, %v", s, err)
	}
	bad := Supplier{CurrencyCode: "XXX"}
	if got := fields(t, PrepareSupplier(&bad)); len(got) != 2 || got[0] != "name" || got[1] != "currency_code" {
		t.Errorf("violations = %v", got)
	}
	next, err := ApplySupplier(s, Supplier{Name: "New", CurrencyCode: "USD"}, []string{"name"})
	if err != nil || next.Name != "New" || next.CurrencyCode != "EUR" {
		t.Errorf("applied = %+v %v", next, err)
	}
}

func TestValidateLinesAndPrice(t *testing.T) {
	if got := fields(t, ValidateLines(nil)); len(got) != 1 || got[0] != "lines" {
		t.Errorf("no lines: %v", got)
	}
	bad := []Line{{SKU: "", Quantity: d("0"), UnitCost: d("-1")}}
	if got := fields(t, ValidateLines(bad)); len(got) != 4 {
		t.Errorf("bad line: %v", got)
	}
	o := Order{Currency: "JPY", Lines: []Line{
		{SKU: "A", Quantity: d("3"), UnitCost: d("0.5"), ExpectedDate: time.Now()},
		{SKU: "B", Quantity: d("1"), UnitCost: d("10"), ExpectedDate: time.Now()},
	}}
	if err := ValidateLines(o.Lines); err != nil {
		t.Fatal(err)
	}
	if err := Price(&o); err != nil {
		t.Fatal(err)
	}
	if o.Lines[0].Amount.String() != "2" || o.Lines[1].Number != 2 || o.Total.String() != "12" {
		t.Errorf("priced = %+v", o) // 1.5 JPY rounds half away from zero to 2
	}
}

// Amounts past the digits an amount may have are refused, as on sales
// orders: a line's own amount, or a total of lines that each fit.
func TestPriceRefusesAmountsPastTheDigits(t *testing.T) {
	t.Parallel()
	for name, lines := range map[string][]Line{
		"a line":  {{SKU: "A", Quantity: d("999999999999999999"), UnitCost: d("999999999999999999.99")}},
		"a total": {{SKU: "A", Quantity: d("1"), UnitCost: d("9999999999999999999999999999.99")}, {SKU: "B", Quantity: d("1"), UnitCost: d("0.03")}},
	} {
		o := Order{Currency: "EUR", Lines: lines}
		err := Price(&o)
		if got := fields(t, err); !errors.Is(err, errs.ErrInvalidArgument) || len(got) != 1 || got[0] != "lines" {
			t.Errorf("%s: %v, want INVALID_ARGUMENT on lines", name, err)
		}
	}
	o := Order{Currency: "EUR", Lines: []Line{{SKU: "A", Quantity: d("1"), UnitCost: d("9999999999999999999999999999.99")}}}
	if err := Price(&o); err != nil || o.Total.String() != "9999999999999999999999999999.99" {
		t.Errorf("30 digits: %s, %v", o.Total, err)
	}
}

func TestReceive(t *testing.T) {
	order := func() Order {
		return Order{Number: "PO-1", Status: Ordered, Lines: []Line{
			{Number: 1, SKU: "A", Quantity: d("5"), Received: d("0")},
			{Number: 2, SKU: "B", Quantity: d("2"), Received: d("1")},
		}}
	}
	o := order()
	o.Status = Draft
	if err := Receive(&o, []ReceiptLine{{1, d("1")}}); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("draft: %v", err)
	}
	o = order()
	err := Receive(&o, []ReceiptLine{{1, d("5")}, {2, d("1.5")}})
	if got := fields(t, err); !errors.Is(err, errs.ErrFailedPrecondition) || len(got) != 1 || got[0] != "lines[1].quantity" {
		t.Errorf("over: %v", err)
	}
	o = order()
	if err := Receive(&o, []ReceiptLine{{3, d("1")}}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown line: %v", err)
	}
	o = order()
	if err := Receive(&o, []ReceiptLine{{2, d("1")}}); err != nil || o.Status != PartiallyReceived || o.Lines[1].Received.String() != "2" {
		t.Errorf("partial: %+v %v", o, err)
	}
	if err := Receive(&o, []ReceiptLine{{1, d("5")}}); err != nil || o.Status != Received {
		t.Errorf("full: %+v %v", o, err)
	}
	if got := fields(t, ValidateReceipt([]ReceiptLine{{1, d("1")}, {1, d("0")}})); len(got) != 2 || got[0] != "lines[1].line_number" || got[1] != "lines[1].quantity" {
		t.Errorf("receipt shape: %v", got)
	}
}

func TestReturn(t *testing.T) {
	order := func(status Status) Order {
		return Order{Number: "PO-1", Status: status, Lines: []Line{
			{Number: 1, SKU: "A", Quantity: d("5"), Received: d("5"), UnitCost: d("0.25")},
			{Number: 2, SKU: "B", Quantity: d("2"), Received: d("1")},
		}}
	}
	for _, st := range []Status{Draft, Ordered, Cancelled} {
		o := order(st)
		if err := Return(&o, []ReceiptLine{{1, d("1")}}); !errors.Is(err, errs.ErrFailedPrecondition) {
			t.Errorf("%s: %v", st, err)
		}
	}
	o := order(PartiallyReceived)
	err := Return(&o, []ReceiptLine{{1, d("5")}, {2, d("1.5")}})
	if got := fields(t, err); !errors.Is(err, errs.ErrFailedPrecondition) || len(got) != 1 || got[0] != "lines[1].quantity" {
		t.Errorf("over: %v", err)
	}
	o = order(PartiallyReceived)
	if err := Return(&o, []ReceiptLine{{3, d("1")}}); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("unknown line: %v", err)
	}
	o = order(Received)
	if err := Return(&o, []ReceiptLine{{1, d("0.5")}}); err != nil || o.Status != PartiallyReceived || o.Lines[0].Received.String() != "4.5" {
		t.Errorf("partial: %+v %v", o, err)
	}
	// Payables at the unit cost, rounded cumulatively: 5 x 0.25 = 1.25,
	// 4.5 x 0.25 = 1.125 -> 1.13: 0.12 less.
	if p := PayableChange(o.Lines[0], d("5"), "EUR"); p.String() != "-0.12" {
		t.Errorf("payable change of the return = %s", p)
	}
	if err := Return(&o, []ReceiptLine{{1, d("4.5")}, {2, d("1")}}); err != nil || o.Status != Ordered {
		t.Errorf("all returned: %+v %v", o, err)
	}
	o = order(Closed)
	if err := Return(&o, []ReceiptLine{{2, d("1")}}); err != nil || o.Status != Closed || !o.Lines[1].Received.IsZero() {
		t.Errorf("closed: %+v %v", o, err)
	}
	got := fields(t, ValidateReturn([]ReceiptLine{{1, d("1")}, {1, d("-1")}}, strings.Repeat("é", MaxReasonLength+1)))
	if fmt.Sprint(got) != "[lines[1].line_number lines[1].quantity reason]" {
		t.Errorf("return shape: %v", got)
	}
	if err := ValidateReturn([]ReceiptLine{{1, d("1")}}, strings.Repeat("é", MaxReasonLength)); err != nil {
		t.Errorf("a reason of %d characters: %v", MaxReasonLength, err)
	}
}

func TestTransitions(t *testing.T) {
	o := Order{Status: Draft}
	if ch, err := PlaceOrder(&o); !ch || err != nil || o.Status != Ordered {
		t.Errorf("order draft: %v %v %s", ch, err, o.Status)
	}
	if ch, err := PlaceOrder(&o); ch || err != nil {
		t.Errorf("order again: %v %v", ch, err)
	}
	if ch, err := Cancel(&o); !ch || err != nil || o.Status != Cancelled {
		t.Errorf("cancel: %v %v", ch, err)
	}
	if ch, err := Cancel(&o); ch || err != nil {
		t.Errorf("cancel again: %v %v", ch, err)
	}
	if _, err := PlaceOrder(&o); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("order cancelled: %v", err)
	}
	// Cancelling a partially received order closes it short.
	p := Order{Status: PartiallyReceived}
	if ch, err := Cancel(&p); !ch || err != nil || p.Status != Closed || p.Status.Open() {
		t.Errorf("cancel partially received: %v %v %s", ch, err, p.Status)
	}
	if ch, err := Cancel(&p); ch || err != nil || p.Status != Closed {
		t.Errorf("cancel closed: %v %v %s", ch, err, p.Status)
	}
	if err := Receive(&p, []ReceiptLine{{1, d("1")}}); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("receive closed: %v", err)
	}
	r := Order{Status: Received}
	if _, err := Cancel(&r); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("cancel received: %v", err)
	}
}

// A currency that is not the supplier's is a violation of the field it
// came from: the order's currency_code when given, else the lines'.
func TestSettleCurrency(t *testing.T) {
	o := Order{Lines: []Line{{Currency: "KWD"}, {}}}
	if err := SettleCurrency(&o, "KWD"); err != nil || o.Currency != "KWD" {
		t.Fatalf("settled = %+v, %v", o, err)
	}
	given := Order{Currency: "EUR", Lines: []Line{{Currency: "EUR"}}}
	if got := fields(t, SettleCurrency(&given, "KWD")); len(got) != 1 || got[0] != "currency_code" {
		t.Errorf("given EUR: %v", got)
	}
	fromLines := Order{Lines: []Line{{Currency: "EUR"}, {Currency: "KWD"}, {Currency: "EUR"}}}
	if got := fields(t, SettleCurrency(&fromLines, "KWD")); len(got) != 2 ||
		got[0] != "lines[0].unit_cost.currency_code" || got[1] != "lines[2].unit_cost.currency_code" || fromLines.Currency != "" {
		t.Errorf("lines in EUR: %v, currency %q", got, fromLines.Currency)
	}
}

// Ordered and received quantities have at most six decimal places and are
// at most 10^12.
func TestQuantityBounds(t *testing.T) {
	lines := []Line{
		{SKU: "A", Quantity: d("0.0000001"), ExpectedDate: time.Now()},
		{SKU: "A", Quantity: d("1000000000001"), ExpectedDate: time.Now()},
		{SKU: "A", Quantity: d("1000000000000.000000"), ExpectedDate: time.Now()},
	}
	if got := fields(t, ValidateLines(lines)); len(got) != 2 || got[0] != "lines[0].quantity" || got[1] != "lines[1].quantity" {
		t.Errorf("order lines: %v", got)
	}
	receipt := []ReceiptLine{{1, d("1.1234567")}, {2, d("99999999999999999999999")}, {3, d("0.000001")}}
	if got := fields(t, ValidateReceipt(receipt)); len(got) != 2 || got[0] != "lines[0].quantity" || got[1] != "lines[1].quantity" {
		t.Errorf("receipt lines: %v", got)
	}
}

// Unit costs may have up to 6 places; a line's amount is quantity x unit
// cost rounded once (half away from zero), the total the sum of lines.
func TestFineUnitCosts(t *testing.T) {
	t.Parallel()
	date := time.Date(2030, 1, 15, 0, 0, 0, 0, time.UTC)
	o := Order{Currency: "EUR", Lines: []Line{
		{SKU: "SCREW", Quantity: d("10000"), UnitCost: d("0.0125"), ExpectedDate: date},
		{SKU: "NUT", Quantity: d("3"), UnitCost: d("0.3333"), ExpectedDate: date},
		{SKU: "BOLT", Quantity: d("2"), UnitCost: d("7.50"), ExpectedDate: date},
		{SKU: "PIN", Quantity: d("1"), UnitCost: d("0.000001"), ExpectedDate: date},
	}}
	if err := ValidateLines(o.Lines); err != nil {
		t.Fatal(err)
	}
	if err := Price(&o); err != nil {
		t.Fatal(err)
	}
	var amounts []string
	for _, l := range o.Lines {
		amounts = append(amounts, l.Amount.StringFixed(2))
	}
	if got := fmt.Sprint(amounts); got != "[125.00 1.00 15.00 0.00]" || o.Total.StringFixed(2) != "141.00" {
		t.Errorf("amounts = %s, total %s; want [125.00 1.00 15.00 0.00], 141.00", got, o.Total)
	}

	// Receipts owe the line's amount in all, each rounded cumulatively.
	l := o.Lines[0]
	var owed []string
	before := d("0")
	for _, q := range []string{"3333", "3333", "3334"} {
		l.Received = before.Add(d(q))
		owed = append(owed, PayableChange(l, before, "EUR").StringFixed(2))
		before = l.Received
	}
	if got := fmt.Sprint(owed); got != "[41.66 41.67 41.67]" {
		t.Errorf("payables of 3333, 3333 and 3334 screws = %s, want [41.66 41.67 41.67] (125.00 in all)", got)
	}

	// Seven places are more than a unit cost may have.
	bad := []Line{{SKU: "A", Quantity: d("1"), UnitCost: d("0.0000001"), ExpectedDate: date}}
	if got := fields(t, ValidateLines(bad)); fmt.Sprint(got) != "[lines[0].unit_cost.amount]" {
		t.Errorf("unit cost of 7 places: %v", got)
	}
}

// What suppliers billed is not returned: only received and unbilled
// quantities go back.
func TestReturnKeepsBilled(t *testing.T) {
	o := Order{Number: "PO-1", Status: Received, Lines: []Line{
		{Number: 1, SKU: "A", Quantity: d("5"), Received: d("5"), Billed: d("3")},
	}}
	err := Return(&o, []ReceiptLine{{LineNumber: 1, Quantity: d("2.5")}})
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.FailedPrecondition || e.Violations[0].Field != "lines[0].quantity" {
		t.Fatalf("returning billed goods: %v", err)
	}
	if err := Return(&o, []ReceiptLine{{LineNumber: 1, Quantity: d("2")}}); err != nil || !o.Lines[0].Received.Equal(d("3")) {
		t.Errorf("returning the unbilled 2: %v, received %s", err, o.Lines[0].Received)
	}
}
