package listing

import (
	"errors"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/errs"
)

func TestParseOrder(t *testing.T) {
	t.Parallel()
	fields := []string{"name", "amount"}
	for _, tt := range []struct {
		in   string
		want Order
	}{
		{"", Order{}},
		{"  ", Order{}},
		{"name", Order{Field: "name"}},
		{" name  asc ", Order{Field: "name"}},
		{"amount desc", Order{Field: "amount", Desc: true}},
		{"amount DESC", Order{Field: "amount", Desc: true}},
	} {
		got, err := ParseOrder(tt.in, fields...)
		if err != nil || got != tt.want {
			t.Errorf("ParseOrder(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
	for _, in := range []string{"bogus", "Name", "name,amount", "name desc, amount", "name up", "name asc desc", strings.Repeat("x", 201)} {
		_, err := ParseOrder(in, fields...)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || e.Violations[0].Field != "order_by" {
			t.Errorf("ParseOrder(%q) error = %v, want InvalidArgument on order_by", in, err)
		}
	}
	// An unknown field's error names the fields a list sorts by.
	if _, err := ParseOrder("bogus", fields...); err == nil || !strings.Contains(err.Error(), "name, amount") {
		t.Errorf("ParseOrder(bogus) = %v, want the sortable fields listed", err)
	}
}

func TestOrderString(t *testing.T) {
	t.Parallel()
	for o, want := range map[Order]string{{}: "", {Field: "name"}: "name", {Field: "amount", Desc: true}: "amount desc"} {
		if got := o.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", o, got, want)
		}
	}
}

// An alias names its field: the Order holds the field, in either
// direction, and an unknown field's error lists the alias beside it.
func TestParseOrderAliases(t *testing.T) {
	t.Parallel()
	aliases := map[string]string{"expected_close_date": "close_date"}
	for in, want := range map[string]Order{
		"expected_close_date":      {Field: "close_date"},
		"expected_close_date desc": {Field: "close_date", Desc: true},
		"close_date DESC":          {Field: "close_date", Desc: true},
		"name":                     {Field: "name"},
	} {
		got, err := ParseOrderAliases(in, aliases, "close_date", "name")
		if err != nil || got != want {
			t.Errorf("ParseOrderAliases(%q) = %+v, %v; want %+v", in, got, err, want)
		}
	}
	_, err := ParseOrderAliases("close", aliases, "close_date", "name")
	if err == nil || !strings.Contains(err.Error(), "close_date (or expected_close_date), name") {
		t.Errorf("ParseOrderAliases(close) = %v, want the fields and the alias listed", err)
	}
}
