package account

import (
	"strings"
	"testing"
)

func TestKeyOf(t *testing.T) {
	tests := []struct {
		name, website string
		want          DuplicateKey
	}{
		{"Acme", "", DuplicateKey{"acme", ""}},
		{"  Acme   GmbH ", "https://www.Acme.example/de?x=1", DuplicateKey{"acme gmbh", "acme.example"}},
		{"Acme", "acme.example:8080/path", DuplicateKey{"acme", "acme.example"}},
		{"Acme", "WWW.ACME.EXAMPLE.", DuplicateKey{"acme", "acme.example"}},
		{"Acme", "ftp://files.acme.example", DuplicateKey{"acme", "files.acme.example"}},
		{"Acme", "http://", DuplicateKey{"acme", "http://"}},
	}
	for _, tc := range tests {
		if got := KeyOf(tc.name, tc.website); got != tc.want {
			t.Errorf("KeyOf(%q, %q) = %v, want %v", tc.name, tc.website, got, tc.want)
		}
	}
}

// FuzzDomain: Domain never panics, is lower case, and is stable (a domain
// is its own domain).
func FuzzDomain(f *testing.F) {
	for _, s := range []string{"", "acme.example", "https://www.acme.example/x", "http://[::1]:80", "a b", "://", "www."} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, website string) {
		d := Domain(website)
		if d != strings.ToLower(d) {
			t.Fatalf("Domain(%q) = %q is not lower case", website, d)
		}
		if d != "" && !strings.ContainsAny(d, "/:?# ") && Domain(d) != d {
			t.Fatalf("Domain(%q) = %q but Domain(%q) = %q", website, d, d, Domain(d))
		}
	})
}
