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
