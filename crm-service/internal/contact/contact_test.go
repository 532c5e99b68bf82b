package contact

import "testing"

func TestValidEmail(t *testing.T) {
	for s, want := range map[string]bool{
		"ana@acme.example":       true,
		"ana.lima+crm@acme.de":   true,
		"":                       false,
		"ana":                    false,
		"ana@":                   false,
		"Ana <ana@acme.example>": false,
		"ana @acme.example":      false,
		"ana@acme.example, bo@x": false,
	} {
		if got := ValidEmail(s); got != want {
			t.Errorf("ValidEmail(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestEmailKey(t *testing.T) {
	if got := EmailKey("  Ana@ACME.example "); got != "ana@acme.example" {
		t.Fatalf("EmailKey = %q", got)
	}
}

func FuzzValidEmail(f *testing.F) {
	for _, s := range []string{"ana@acme.example", "a@b", "<a@b>", "\"a b\"@c.d"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if ValidEmail(s) && (len(s) > maxEmail || EmailKey(s) == "") {
			t.Fatalf("ValidEmail(%q) accepted an address it should not", s)
		}
	})
}
