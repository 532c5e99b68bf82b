package account

import "github.com/seamhq/seam/platform/errs"

// Address is a postal address; the zero value means none.
type Address struct {
	Street      string
	PostalCode  string
	City        string
	Region      string
	CountryCode string // ISO 3166-1 alpha-2, upper case
}

// IsZero reports whether no field is set.
func (a Address) IsZero() bool { return a == Address{} }

const maxStreet = 500

func (a Address) validate(v *errs.Violations, field string) {
	if a.IsZero() {
		return
	}
	if len([]rune(a.Street)) > maxStreet {
		v.Add(field+".street", "must be at most %d characters", maxStreet)
	}
	for _, f := range []struct{ name, val string }{{"postal_code", a.PostalCode}, {"city", a.City}, {"region", a.Region}} {
		if len([]rune(f.val)) > maxText {
			v.Add(field+"."+f.name, "must be at most %d characters", maxText)
		}
	}
	if !isCountryCode(a.CountryCode) {
		v.Add(field+".country_code", "must be an ISO 3166-1 alpha-2 code in upper case, e.g. \"DE\", got %q", a.CountryCode)
	}
}

func isCountryCode(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
