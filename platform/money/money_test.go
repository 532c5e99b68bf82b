package money

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Parsed amounts carry the currency's scale, however many trailing zeros
// the text had.
func TestParseScale(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ currency, amount, want string }{
		{"JPY", "3000.0", "3000"},
		{"JPY", "3000", "3000"},
		{"EUR", "10.5", "10.5"},
		{"EUR", "10.500", "10.5"},
		{"KWD", "1.5", "1.5"},
	} {
		m, err := Parse(tc.currency, tc.amount)
		if err != nil || m.Amount.String() != tc.want || m.Amount.Exponent() != -MinorUnits(tc.currency) {
			t.Errorf("Parse(%s, %q) = %s (exponent %d), %v; want %s", tc.currency, tc.amount, m.Amount, m.Amount.Exponent(), err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		currency, amount string
		want             string // Format() of the result, "" for an error
		badField         string
	}{
		{"EUR", "12.5", "12.50", ""},
		{"EUR", "12.50", "12.50", ""},
		{"EUR", "-3", "-3.00", ""},
		{"EUR", "0.010", "0.01", ""}, // trailing zero is not a third place
		{"JPY", "1200", "1200", ""},
		{"KWD", "1.125", "1.125", ""},
		{"EUR", "12,5", "", "amount"},
		{"EUR", "1e3", "", "amount"},
		{"EUR", "1.005", "", "amount"},
		{"JPY", "1.5", "", "amount"},
		{"KWD", "1.0001", "", "amount"},
		{"EUR", " 1", "", "amount"},
		{"EUR", "+1", "", "amount"},
		{"EUR", ".5", "", "amount"},
		{"EUR", "5.", "", "amount"},
		{"EUR", "", "", "amount"},
		{"EUR", "NaN", "", "amount"},
		{"EUR", "1234567890123456789012345678901", "", "amount"},
		{"eur", "1", "", "currency_code"},
		{"XXX", "1", "", "currency_code"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.currency, tt.amount)
		if tt.want != "" {
			if err != nil {
				t.Errorf("Parse(%q, %q) = %v", tt.currency, tt.amount, err)
				continue
			}
			if got.Format() != tt.want {
				t.Errorf("Parse(%q, %q).Format() = %q, want %q", tt.currency, tt.amount, got.Format(), tt.want)
			}
			continue
		}
		var e *errs.Error
		if err == nil || !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
			t.Errorf("Parse(%q, %q) error = %v, want InvalidArgument", tt.currency, tt.amount, err)
			continue
		}
		if e.Violations[0].Field != tt.badField {
			t.Errorf("Parse(%q, %q) field = %q, want %q", tt.currency, tt.amount, e.Violations[0].Field, tt.badField)
		}
	}
}

func TestFromProtoNamesNestedField(t *testing.T) {
	t.Parallel()
	_, err := FromProto("lines[1].unit_price", &moneyv1.Money{CurrencyCode: "EUR", Amount: "1.999"})
	var e *errs.Error
	if !errors.As(err, &e) || e.Violations[0].Field != "lines[1].unit_price.amount" {
		t.Fatalf("FromProto error = %v, want violation of lines[1].unit_price.amount", err)
	}
	_, err = FromProto("total", nil)
	if !errors.As(err, &e) || e.Violations[0].Field != "total" {
		t.Fatalf("FromProto(nil) error = %v, want violation of total", err)
	}
}

func TestLineAmount(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	tests := []struct {
		qty, price, currency, discount, want string
	}{
		{"3", "19.99", "EUR", "0", "59.97"},
		{"1", "10.00", "EUR", "12.5", "8.75"},
		{"1", "0.05", "EUR", "50", "0.03"},   // 0.025 rounds half away from zero
		{"1", "-0.05", "EUR", "50", "-0.03"}, // symmetric for credits
		{"3", "333", "JPY", "10", "899"},     // 899.1
		{"7", "1.235", "KWD", "3", "8.386"},  // 8.38565
		{"5", "120.00", "EUR", "100", "0.00"},
		{"2.5", "4.00", "EUR", "0", "10.00"},
		{"1000000000000", "99999.99", "USD", "0", "99999990000000000.00"},
	}
	for _, tt := range tests {
		got := LineAmount(d(tt.qty), Money{Currency: tt.currency, Amount: d(tt.price)}, d(tt.discount))
		if got.Format() != tt.want {
			t.Errorf("LineAmount(%s x %s %s - %s%%) = %s, want %s", tt.qty, tt.price, tt.currency, tt.discount, got.Format(), tt.want)
		}
	}
}

func TestSumRejectsMixedCurrencies(t *testing.T) {
	t.Parallel()
	if _, err := Sum("EUR", Zero("EUR"), Zero("USD")); err == nil {
		t.Fatal("Sum of EUR and USD succeeded")
	}
	got, err := Sum("EUR", Money{"EUR", decimal.RequireFromString("0.10")}, Money{"EUR", decimal.RequireFromString("0.20")})
	if err != nil || got.Format() != "0.30" {
		t.Fatalf("Sum = %v, %v; want 0.30", got, err)
	}
}

func FuzzParseDecimal(f *testing.F) {
	for _, s := range []string{"1", "-1.50", "1e3", "12,5", "", ".", "00.0", "9999999999999999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDecimal(s)
		if err != nil {
			return
		}
		// Whatever parses must print back to an equal value and parse again.
		again, err := ParseDecimal(d.String())
		if err != nil {
			t.Fatalf("ParseDecimal(%q) = %s, which does not parse: %v", s, d, err)
		}
		if !again.Equal(d) {
			t.Fatalf("round trip of %q: %s != %s", s, again, d)
		}
	})
}

func TestTooPrecise(t *testing.T) {
	for _, tc := range []struct {
		cur, amount string
		want        bool
	}{
		{"EUR", "1.25", false}, {"EUR", "1.250", false}, {"EUR", "1.255", true},
		{"JPY", "3000.0", false}, {"JPY", "3000.5", true}, {"KWD", "1.255", false}, {"KWD", "1.2555", true},
		{"XXX", "1", false}, {"XXX", "1.5", true},
	} {
		m := Money{Currency: tc.cur, Amount: decimal.RequireFromString(tc.amount)}
		if got := m.TooPrecise(); got != tc.want {
			t.Errorf("%s %s TooPrecise = %v, want %v", tc.amount, tc.cur, got, tc.want)
		}
	}
}

func TestFits(t *testing.T) {
	t.Parallel()
	for s, want := range map[string]bool{
		"0": true, "-12.50": true, strings.Repeat("9", 30): true, "0." + strings.Repeat("1", 29): true,
		strings.Repeat("9", 31): false, "1" + strings.Repeat("0", 30) + ".5": false, "995.0000000001" + strings.Repeat("1", 20): false,
	} {
		if got := Fits(decimal.RequireFromString(s)); got != want {
			t.Errorf("Fits(%s) = %v, want %v", s, got, want)
		}
		if _, err := ParseDecimal(s); (err == nil) != want {
			t.Errorf("ParseDecimal(%s) = %v, but Fits says %v", s, err, want)
		}
	}
}

func TestSumFits(t *testing.T) {
	t.Parallel()
	big := Money{Currency: "EUR", Amount: decimal.RequireFromString(strings.Repeat("9", 28) + ".99")}
	if _, err := Sum("EUR", big); err != nil {
		t.Fatalf("one amount of 30 digits: %v", err)
	}
	if _, err := Sum("EUR", big, big); !errors.Is(err, ErrTooManyDigits) {
		t.Errorf("a total of 31 digits: %v", err)
	}
}

func TestCheckCode(t *testing.T) {
	t.Parallel()
	if err := CheckCode("EUR"); err != nil {
		t.Errorf("EUR: %v", err)
	}
	if err := CheckCode("eur"); err == nil || !strings.Contains(err.Error(), "upper case: EUR") {
		t.Errorf("eur: %v", err)
	}
	if err := CheckCode("XXX"); err == nil || strings.Contains(err.Error(), "upper case") {
		t.Errorf("XXX: %v", err)
	}
}

func TestCodes(t *testing.T) {
	t.Parallel()
	codes := Codes()
	if !slices.IsSorted(codes) || !slices.Contains(codes, "EUR") || !slices.Contains(codes, "JPY") {
		t.Errorf("Codes() = %v", codes)
	}
	for _, c := range codes {
		if err := CheckCode(c); err != nil {
			t.Errorf("%s: %v", c, err)
		}
	}
}

func TestCheckQuantity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q    string
		want string // a part of the error, "" when accepted
	}{
		{"1", ""},
		{"0.000001", ""},
		{"5.0000000", ""},
		{"5.000000000", ""},
		{"2.5000000000", ""},
		{"1000000000000", ""},
		{"1000000000000.000000", ""},
		{"-1000000000000", ""},
		{"-0.5", ""},
		{"0", ""},
		{"0.0000001", "has more than 6 decimal places"},
		{"0.0000000000001", "has more than 6 decimal places"},
		{"-1.1234567", "has more than 6 decimal places"},
		{"1000000000000.000001", "must be at most 1000000000000"},
		{"99999999999999999999999", "must be at most 1000000000000"},
		{"-1000000000001", "must be at least -1000000000000"},
	} {
		err := CheckQuantity(decimal.RequireFromString(tc.q))
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckQuantity(%s) = %v, want nil", tc.q, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckQuantity(%s) = %v, want %q", tc.q, err, tc.want)
		}
	}
}

// Unit costs may be finer than the currency's minor unit, up to
// UnitCostScale places, and come back as given: never rounded, at least
// at the currency's scale.
func TestParseUnitCost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		currency, amount string
		want             string // FormatUnitCost of the result, "" for an error
	}{
		{"EUR", "0.0125", "0.0125"},
		{"EUR", "0.012500", "0.0125"},
		{"EUR", "0.3333", "0.3333"},
		{"EUR", "7", "7.00"},
		{"EUR", "7.5", "7.50"},
		{"EUR", "0.000001", "0.000001"},
		{"EUR", "1.2345670", "1.234567"}, // a trailing zero is no seventh place
		{"JPY", "0.5", "0.5"},
		{"JPY", "3000.0", "3000"},
		{"KWD", "1.5", "1.500"},
		{"KWD", "0.123456", "0.123456"},
		{"EUR", "0.0000001", ""},
		{"KWD", "0.1234567", ""},
		{"JPY", "1.0000001", ""},
		{"EUR", "1e-3", ""},
	} {
		got, err := ParseUnitCost(tc.currency, tc.amount)
		if tc.want == "" {
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || e.Violations[0].Field != "amount" {
				t.Errorf("ParseUnitCost(%s, %q) = %v, %v; want a violation of amount", tc.currency, tc.amount, got, err)
			}
			continue
		}
		if err != nil || got.FormatUnitCost() != tc.want || UnitCostToProto(got).GetAmount() != tc.want {
			t.Errorf("ParseUnitCost(%s, %q) = %s, %v; want %s", tc.currency, tc.amount, got.FormatUnitCost(), err, tc.want)
		}
	}
	// The error says how many places a unit cost may have.
	_, err := UnitCostFromProto("lines[0].unit_cost", &moneyv1.Money{CurrencyCode: "EUR", Amount: "0.0000001"})
	var e *errs.Error
	if !errors.As(err, &e) || e.Violations[0].Field != "lines[0].unit_cost.amount" ||
		!strings.Contains(e.Violations[0].Description, "at most 6 decimal places") {
		t.Fatalf("UnitCostFromProto error = %v, want a violation of lines[0].unit_cost.amount", err)
	}
	if _, err := UnitCostFromProto("standard_cost", nil); !errors.As(err, &e) || e.Violations[0].Field != "standard_cost" {
		t.Fatalf("UnitCostFromProto(nil) error = %v, want violation of standard_cost", err)
	}
	// Amounts that move keep the minor unit.
	if _, err := Parse("EUR", "0.0125"); err == nil {
		t.Error(`Parse("EUR", "0.0125") accepted a unit cost's places for an amount`)
	}
}

// A line is quantity x unit cost rounded once, half away from zero, to
// the currency's minor unit: not per unit.
func TestLineAmountOfFineUnitCosts(t *testing.T) {
	t.Parallel()
	d := decimal.RequireFromString
	for _, tc := range []struct{ qty, cost, currency, want string }{
		{"10000", "0.0125", "EUR", "125"},
		{"3", "0.3333", "EUR", "1"},   // 0.9999
		{"1", "0.005", "EUR", "0.01"}, // half away from zero
		{"1", "0.004999", "EUR", "0"},
		{"3", "0.5", "JPY", "2"}, // 1.5
		{"1", "0.0005", "KWD", "0.001"},
	} {
		got := LineAmount(d(tc.qty), Money{Currency: tc.currency, Amount: d(tc.cost)}, decimal.Zero)
		if !got.Amount.Equal(d(tc.want)) {
			t.Errorf("%s x %s %s = %s, want %s", tc.qty, tc.cost, tc.currency, got.Amount, tc.want)
		}
	}
}
