package listing

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seamhq/seam/platform/errs"
)

func TestParseFilter(t *testing.T) {
	t.Parallel()
	fields := []string{"stage", "owner", "account_id", "amount"}
	tests := []struct {
		in   string
		want []Condition
		bad  bool
	}{
		{in: "", want: nil},
		{in: "  ", want: nil},
		{in: `owner = "ana"`, want: []Condition{{"owner", Eq, "ana"}}},
		{in: `stage=STAGE_PROPOSAL AND owner != "a \"b\""`, want: []Condition{{"stage", Eq, "STAGE_PROPOSAL"}, {"owner", Ne, `a "b"`}}},
		{in: `amount >= 10.5 AND amount < 20`, want: []Condition{{"amount", Ge, "10.5"}, {"amount", Lt, "20"}}},
		{in: `account_id = 0190a3c1-7e2b-7c55-9c1d-0a1b2c3d4e5f`, want: []Condition{{"account_id", Eq, "0190a3c1-7e2b-7c55-9c1d-0a1b2c3d4e5f"}}},
		{in: `name = "x"`, bad: true},
		{in: `owner = `, bad: true},
		{in: `owner "ana"`, bad: true},
		{in: `owner = "ana" OR stage = X`, bad: true},
		{in: `owner = "ana`, bad: true},
		{in: `= "ana"`, bad: true},
		{in: `owner = "a" AND`, bad: true},
		{in: `owner = "a" garbage`, bad: true},
	}
	for _, tt := range tests {
		got, err := ParseFilter(tt.in, fields...)
		if tt.bad {
			var e *errs.Error
			if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || e.Violations[0].Field != "filter" {
				t.Errorf("ParseFilter(%q) error = %v, want InvalidArgument on filter", tt.in, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseFilter(%q) = %v", tt.in, err)
			continue
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ParseFilter(%q) (-want +got):\n%s", tt.in, diff)
		}
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	q := QueryDigest(`owner = "ana"`)
	tok := Token{After: []string{"2026-01-01", "abc"}, Query: q}
	got, err := DecodeToken(tok.Encode(), q)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(tok, *got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	if _, err := DecodeToken(tok.Encode(), QueryDigest(`owner = "bo"`)); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("token for another filter: %v", err)
	}
	for _, bad := range []string{"%%%", "e30", "bm90IGpzb24"} {
		if _, err := DecodeToken(bad, q); !errors.Is(err, errs.ErrInvalidArgument) {
			t.Errorf("DecodeToken(%q) = %v, want invalid", bad, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[int32]int{0: 50, 1: 1, 1000: 1000, 5000: 1000} {
		if got, err := PageSize(in); err != nil || got != want {
			t.Errorf("PageSize(%d) = %d, %v; want %d", in, got, err, want)
		}
	}
	if _, err := PageSize(-1); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("PageSize(-1) = %v", err)
	}
}

func FuzzParseFilter(f *testing.F) {
	for _, s := range []string{`a = "b"`, `a=1 AND b != c`, `a >= "x\"y"`, `"`, `a = "\`, "a\x00=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		conds, err := ParseFilter(s, "a", "b", "c")
		if err != nil {
			if !errors.Is(err, errs.ErrInvalidArgument) {
				t.Fatalf("ParseFilter(%q) error of the wrong kind: %v", s, err)
			}
			return
		}
		for _, c := range conds {
			if c.Field != "a" && c.Field != "b" && c.Field != "c" {
				t.Fatalf("ParseFilter(%q) let through field %q", s, c.Field)
			}
		}
	})
}

func FuzzDecodeToken(f *testing.F) {
	f.Add(Token{After: []string{"x"}, Query: "q"}.Encode())
	f.Add("")
	f.Add("!!")
	f.Fuzz(func(t *testing.T, s string) {
		tok, err := DecodeToken(s, "q")
		if err == nil && tok != nil && len(tok.After) == 0 {
			t.Fatalf("DecodeToken(%q) returned an empty position", s)
		}
	})
}

// Fit keeps a page's items under MaxPageBytes, but always at least one.
func TestFit(t *testing.T) {
	item := func(n int) *wrapperspb.StringValue { return wrapperspb.String(strings.Repeat("x", n)) }
	quarter := MaxPageBytes / 4
	for _, tt := range []struct {
		items []*wrapperspb.StringValue
		want  int
	}{
		{nil, 0},
		{[]*wrapperspb.StringValue{item(1), item(1)}, 2},
		{[]*wrapperspb.StringValue{item(quarter), item(quarter), item(quarter), item(quarter), item(quarter)}, 3},
		{[]*wrapperspb.StringValue{item(MaxPageBytes + 1), item(1)}, 1},
	} {
		if got := Fit(tt.items); got != tt.want {
			t.Errorf("Fit of %d items = %d, want %d", len(tt.items), got, tt.want)
		}
	}
}

// FitWithin keeps items under a budget of their own, but always at least
// one.
func TestFitWithin(t *testing.T) {
	items := []*wrapperspb.StringValue{wrapperspb.String(strings.Repeat("x", 94)), wrapperspb.String(strings.Repeat("x", 94))}
	for _, tt := range []struct{ budget, want int }{{0, 1}, {99, 1}, {ItemSize(items[0]), 1}, {2 * ItemSize(items[0]), 2}} {
		if got := FitWithin(items, tt.budget); got != tt.want {
			t.Errorf("FitWithin(%d bytes) = %d, want %d", tt.budget, got, tt.want)
		}
	}
}
