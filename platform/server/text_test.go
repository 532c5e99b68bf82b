package server

import (
	"errors"
	"fmt"
	"testing"

	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seamhq/seam/platform/errs"
)

func TestCheckText(t *testing.T) {
	t.Parallel()
	fields := func(err error) []string {
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
			return nil
		}
		var out []string
		for _, v := range e.Violations {
			out = append(out, v.Field)
		}
		return out
	}
	nested, err := structpb.NewStruct(map[string]any{
		"ok":    "plain text, ünïcode",
		"bad":   "a\x00b",
		"list":  []any{"fine", "x\x00"},
		"inner": map[string]any{"deep": "\x00"},
		"k\x00": "value",
	})
	if err != nil {
		t.Fatal(err)
	}
	got := fields(checkText(nested))
	want := []string{`fields["bad"].string_value`, `fields["inner"].struct_value.fields["deep"].string_value`,
		`fields["list"].list_value.values[1].string_value`, "fields"}
	if len(got) != len(want) {
		t.Fatalf("violations = %v, want %v", got, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("no violation of %s in %v", w, got)
		}
	}
	if err := checkText(wrapperspb.String("no NUL here")); err != nil {
		t.Errorf("clean message: %v", err)
	}
	if got := fmt.Sprint(fields(checkText(wrapperspb.String("\x00")))); got != "[value]" {
		t.Errorf("violations = %s", got)
	}
}

func TestSnakePath(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"name": "name", "external_id": "external_id", "externalId": "external_id",
		"billingAddress.postalCode": "billing_address.postal_code", "list_price.amount": "list_price.amount",
	} {
		if got := snakePath(in); got != want {
			t.Errorf("snakePath(%q) = %q, want %q", in, got, want)
		}
	}
}
