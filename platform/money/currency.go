package money

import (
	"fmt"
	"slices"
	"strings"
)

// Currency is an ISO 4217 currency with the number of digits of its minor
// unit (2 for EUR cents, 0 for JPY, 3 for KWD fils).
type Currency struct {
	Code       string
	MinorUnits int32
}

// currencies lists the ISO 4217 currencies the platform accepts.
var currencies = map[string]int32{
	"AED": 2, "ARS": 2, "AUD": 2, "BGN": 2, "BHD": 3, "BRL": 2, "CAD": 2,
	"CHF": 2, "CLP": 0, "CNY": 2, "COP": 2, "CZK": 2, "DKK": 2, "EGP": 2,
	"EUR": 2, "GBP": 2, "HKD": 2, "HUF": 2, "IDR": 2, "ILS": 2, "INR": 2,
	"IQD": 3, "ISK": 0, "JOD": 3, "JPY": 0, "KES": 2, "KRW": 0, "KWD": 3,
	"LYD": 3, "MAD": 2, "MXN": 2, "MYR": 2, "NGN": 2, "NOK": 2, "NZD": 2,
	"OMR": 3, "PEN": 2, "PHP": 2, "PKR": 2, "PLN": 2, "QAR": 2, "RON": 2,
	"RSD": 2, "SAR": 2, "SEK": 2, "SGD": 2, "THB": 2, "TND": 3, "TRY": 2,
	"TWD": 2, "UAH": 2, "UGX": 0, "USD": 2, "VND": 0, "XAF": 0, "XOF": 0,
	"ZAR": 2,
}

// Codes lists the supported currency codes, sorted.
func Codes() []string {
	out := make([]string, 0, len(currencies))
	for c := range currencies {
		out = append(out, c)
	}
	slices.Sort(out)
	return out
}

// CheckCode says why code is no supported currency ("eur": codes are
// upper case), or returns nil.
func CheckCode(code string) error {
	if _, ok := currencies[code]; ok {
		return nil
	}
	if _, ok := currencies[strings.ToUpper(code)]; ok {
		return fmt.Errorf("%q is not a supported ISO 4217 currency code (codes are upper case: %s)", code, strings.ToUpper(code))
	}
	return fmt.Errorf("%q is not a supported ISO 4217 currency code", code)
}

// LookupCurrency finds a currency by its upper-case ISO 4217 code.
func LookupCurrency(code string) (Currency, bool) {
	units, ok := currencies[code]
	if !ok {
		return Currency{}, false
	}
	return Currency{Code: code, MinorUnits: units}, true
}
