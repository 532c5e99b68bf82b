// Package money handles exact amounts: strict parsing of decimal strings,
// ISO 4217 currencies with their minor units, and the one rounding rule of
// the platform (half away from zero, to the currency's minor unit, per line).
//
// No float ever touches an amount: decimals travel as strings on the wire,
// as numeric in PostgreSQL and as decimal.Decimal in between.
package money

import (
	"fmt"
	"regexp"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Money is an exact amount in one currency.
type Money struct {
	Currency string
	Amount   decimal.Decimal
}

// MaxDigits bounds the digits of any decimal the platform accepts (the
// integer and fractional parts together), which keeps every value within
// PostgreSQL numeric columns and stops absurd inputs early.
const MaxDigits = 30

// decimalPattern accepts "-12", "12.50", "0.001"; it rejects exponents,
// commas, signs other than a leading minus, a bare point and white space.
var decimalPattern = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)

// ParseDecimal parses a decimal string strictly.
func ParseDecimal(s string) (decimal.Decimal, error) {
	if !decimalPattern.MatchString(s) {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number (use digits with an optional '.' and no exponent)", s)
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	if digits > MaxDigits {
		return decimal.Decimal{}, fmt.Errorf("%q has more than %d digits", s, MaxDigits)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("%q is not a decimal number", s)
	}
	return d, nil
}

// Fits reports whether d can travel as a decimal string of this API: at
// most MaxDigits digits, as ParseDecimal accepts. A value computed from
// accepted inputs (a sum, a product) may not; the service that computes
// it refuses the write rather than hand the other side what it cannot read.
func Fits(d decimal.Decimal) bool {
	digits := 0
	for _, r := range d.String() {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	return digits <= MaxDigits
}

// Places returns the number of digits after the point that d needs:
// trailing zeros do not count, so 1.50 needs one place.
func Places(d decimal.Decimal) int32 {
	for p := int32(0); p < -d.Exponent(); p++ {
		if d.Truncate(p).Equal(d) {
			return p
		}
	}
	return max(0, -d.Exponent())
}

// QuantityScale is the most decimal places a quantity may have (trailing
// zeros do not count, so "5.0000000" is 5). A finer quantity would price
// to nothing on a line and cannot be counted in a warehouse.
const QuantityScale = 6

// MaxQuantity is the largest quantity the platform accepts, inclusive; a
// negative quantity (a stock adjustment that takes stock out) is bounded by
// its negation. Larger ones are typing mistakes that would reserve or move
// every unit there is.
const MaxQuantity = 1_000_000_000_000

var maxQuantity = decimal.NewFromInt(MaxQuantity)

// CheckQuantity checks the scale and the bound of a quantity: at most
// QuantityScale decimal places and at most MaxQuantity in absolute value.
// Whether it must be positive or non-zero is the caller's to check; the
// error carries no field name, the caller adds its own.
func CheckQuantity(q decimal.Decimal) error {
	if Places(q) > QuantityScale {
		return fmt.Errorf("%s has more than %d decimal places", q, QuantityScale)
	}
	if q.GreaterThan(maxQuantity) {
		return fmt.Errorf("must be at most %d, got %s", MaxQuantity, q)
	}
	if q.LessThan(maxQuantity.Neg()) {
		return fmt.Errorf("must be at least %d, got %s", -MaxQuantity, q)
	}
	return nil
}

// TooPrecise reports whether m has more decimal places than its currency's
// minor unit (trailing zeros do not count; an unknown currency allows
// none).
func (m Money) TooPrecise() bool { return Places(m.Amount) > MinorUnits(m.Currency) }

// MinorUnits is how many decimal places currency has, 0 when unknown.
func MinorUnits(currency string) int32 {
	if cur, ok := LookupCurrency(currency); ok {
		return cur.MinorUnits
	}
	return 0
}

// Parse parses an amount in a currency, checking that the currency is known
// and that the amount has no more decimals than the currency's minor unit.
// Errors name the "currency_code" or "amount" field.
func Parse(currency, amount string) (Money, error) {
	return parse(currency, amount, false)
}

// UnitCostScale is the most decimal places a unit cost may have, in every
// currency (no ISO 4217 currency has more than 3 minor units). A unit
// cost is a price per unit that is never paid as such: a purchase order
// line's unit cost or an item's standard cost. Cheap parts bought in bulk
// are quoted below the minor unit (a screw at 0.0125 EUR, 12.50 per
// thousand), so their costs need more places than money that moves.
// Six, the scale of quantities (QuantityScale), is one fixed number for
// every currency, finer than any supplier's price list needs, and keeps
// quantity x unit cost within 12 places before it is rounded. What is
// paid, posted or owed is never a unit cost: a line's amount is quantity x
// unit cost rounded once to the currency's minor unit (Round), so every
// amount that moves keeps the currency's minor unit.
const UnitCostScale = 6

// ParseUnitCost parses a unit cost as Parse parses an amount, but allows
// up to UnitCostScale decimal places instead of the currency's minor
// units. The value is kept exactly, at the currency's
// scale or its own if finer ("7" EUR is 7.00, "0.012500" is 0.0125).
// Errors name the "currency_code" or "amount" field.
func ParseUnitCost(currency, amount string) (Money, error) {
	return parse(currency, amount, true)
}

func parse(currency, amount string, unitCost bool) (Money, error) {
	var v errs.Violations
	cur, ok := LookupCurrency(currency)
	if err := CheckCode(currency); err != nil {
		v.Add("currency_code", "%v", err)
	}
	var d decimal.Decimal
	if amount == "" {
		v.Add("amount", "is required")
	} else if parsed, err := ParseDecimal(amount); err != nil {
		v.Add("amount", "%v", err)
	} else {
		d = parsed
		switch {
		case !ok:
		case unitCost && Places(d) > UnitCostScale:
			v.Add("amount", "%s unit costs allow at most %d decimal places, got %q", cur.Code, UnitCostScale, amount)
		case !unitCost && (Money{Currency: cur.Code, Amount: d}).TooPrecise():
			v.Add("amount", "%s allows at most %d decimal places, got %q", cur.Code, cur.MinorUnits, amount)
		}
	}
	if err := v.Err(); err != nil {
		return Money{}, err
	}
	// Stored at the currency's scale whatever zeros the text carried
	// ("3000.0" JPY is 3000, "10.5" EUR is 10.50): exact, as no digit
	// beyond the minor units is other than zero. A finer unit cost keeps
	// the places it needs.
	return Money{Currency: cur.Code, Amount: d.Round(max(cur.MinorUnits, Places(d)))}, nil
}

// FromProto converts a wire amount. A nil message is a violation of the
// field it came from; field is the path of the message in the request
// ("opportunity.lines[0].unit_price"), used to name bad sub-fields.
func FromProto(field string, m *moneyv1.Money) (Money, error) {
	return fromProto(field, m, Parse)
}

// UnitCostFromProto converts a wire unit cost (ParseUnitCost), naming
// bad sub-fields of field as FromProto does.
func UnitCostFromProto(field string, m *moneyv1.Money) (Money, error) {
	return fromProto(field, m, ParseUnitCost)
}

func fromProto(field string, m *moneyv1.Money, parse func(currency, amount string) (Money, error)) (Money, error) {
	if m == nil {
		return Money{}, errs.Invalid(field, "is required")
	}
	out, err := parse(m.GetCurrencyCode(), m.GetAmount())
	if err != nil {
		var v errs.Violations
		if merr := v.Merge(field, err); merr != nil {
			return Money{}, merr
		}
		return Money{}, v.Err()
	}
	return out, nil
}

// ToProto converts to the wire form with exactly the currency's minor
// units ("12.50 EUR", "1200 JPY", "1.250 KWD").
func ToProto(m Money) *moneyv1.Money {
	return &moneyv1.Money{CurrencyCode: m.Currency, Amount: m.Format()}
}

// Format renders the amount with the currency's minor units.
func (m Money) Format() string {
	cur, ok := LookupCurrency(m.Currency)
	if !ok {
		return m.Amount.String()
	}
	return m.Amount.StringFixed(cur.MinorUnits)
}

// UnitCostToProto converts a unit cost to the wire form with the
// currency's minor units, or the places it needs if finer ("12.50 EUR",
// "0.0125 EUR", "3 JPY", "0.5 JPY").
func UnitCostToProto(m Money) *moneyv1.Money {
	return &moneyv1.Money{CurrencyCode: m.Currency, Amount: m.FormatUnitCost()}
}

// FormatUnitCost renders a unit cost with the currency's minor units, or
// with the places it needs if it is finer; it never rounds.
func (m Money) FormatUnitCost() string {
	cur, ok := LookupCurrency(m.Currency)
	if !ok {
		return m.Amount.String()
	}
	return m.Amount.StringFixed(max(cur.MinorUnits, Places(m.Amount)))
}

func (m Money) String() string { return m.Format() + " " + m.Currency }

// Zero returns a zero amount in currency.
func Zero(currency string) Money { return Money{Currency: currency, Amount: decimal.Zero} }

// Round rounds d to the minor unit of currency, half away from zero.
func Round(d decimal.Decimal, currency string) decimal.Decimal {
	cur, ok := LookupCurrency(currency)
	if !ok {
		return d
	}
	return d.Round(cur.MinorUnits)
}

var hundred = decimal.NewFromInt(100)

// LineAmount is the platform's one rule for the value of an order or
// opportunity line: quantity x unit price x (1 - discount/100), rounded
// half away from zero to the currency's minor unit, per line. Totals are
// sums of rounded lines.
func LineAmount(quantity decimal.Decimal, unitPrice Money, discountPercent decimal.Decimal) Money {
	gross := quantity.Mul(unitPrice.Amount)
	net := gross.Mul(hundred.Sub(discountPercent)).Div(hundred)
	return Money{Currency: unitPrice.Currency, Amount: Round(net, unitPrice.Currency)}
}

// ErrTooManyDigits is wrapped by Sum when a total does not Fit; the
// caller says which of its fields is at fault.
var ErrTooManyDigits = fmt.Errorf("more than %d digits, more than an amount may have", MaxDigits)

// Sum adds amounts of one currency; it is an error to mix currencies, and
// one wrapping ErrTooManyDigits when the total does not Fit.
func Sum(currency string, amounts ...Money) (Money, error) {
	total := decimal.Zero
	for _, a := range amounts {
		if a.Currency != currency {
			return Money{}, fmt.Errorf("cannot add %s to a %s total", a.Currency, currency)
		}
		total = total.Add(a.Amount)
	}
	if !Fits(total) {
		// Each amount was within bounds; together they are not: the
		// document's total could not be passed on or read back.
		return Money{}, fmt.Errorf("%w: %s %s", ErrTooManyDigits, total, currency)
	}
	return Money{Currency: currency, Amount: total}, nil
}
