package civil

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	for _, ok := range []string{"2030-01-31", "2024-02-29", "1900-01-01", "9999-12-31"} {
		if d, err := ParseDate(ok); err != nil || FormatDate(d) != ok || d.Location() != time.UTC {
			t.Errorf("%s: %v %v", ok, d, err)
		}
	}
	for _, bad := range []string{"", "2030-1-31", "2030-02-30", "31.01.2030", "2030-01-31T00:00:00Z", " 2030-01-31", "2023-02-29", "0001-01-01", "1899-12-31", "+2030-01-31"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2030-01-31", "2030-1-1", "9999-12-31", "", "abcd-ef-gh"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if FormatDate(d) != s {
			t.Fatalf("%q parsed to %v, which formats as %q", s, d, FormatDate(d))
		}
	})
}
