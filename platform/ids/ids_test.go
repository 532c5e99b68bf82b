package ids

import (
	"errors"
	"testing"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids/idstest"
)

func TestCanonical(t *testing.T) {
	t.Parallel()
	const id = "0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f"
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{id, id, true},
		{"0190E4C1-7A2B-7C3D-8E4F-5A6B7C8D9E0F", id, true},
		{"0190e4c1-7A2B-7c3d-8E4F-5a6b7c8d9e0f", id, true},
		{"", "", false},
		{"not-a-uuid", "", false},
		{"urn:uuid:" + id, "", false},                          // uuid.Parse reads it, PostgreSQL does not
		{"{" + id + "}", "", false},                            // both read it
		{"0190e4c17a2b7c3d8e4f5a6b7c8d9e0f", "", false},        // both read it
		{"0190-e4c1-7a2b-7c3d-8e4f-5a6b-7c8d-9e0f", "", false}, // PostgreSQL reads it
		{"0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0g", "", false},
		{"0190e4c1_7a2b_7c3d_8e4f_5a6b7c8d9e0f", "", false},
		{" " + id[1:], "", false},
	} {
		got, ok := Canonical(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("Canonical(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestOddFormsAreRefused(t *testing.T) {
	t.Parallel()
	for _, form := range idstest.OddForms("0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f") {
		if got, ok := Canonical(form); ok {
			t.Errorf("Canonical(%q) = %q, true", form, got)
		}
	}
}

func TestUUID(t *testing.T) {
	t.Parallel()
	if got, err := UUID("id", "0190E4C1-7A2B-7C3D-8E4F-5A6B7C8D9E0F"); err != nil || got != "0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f" {
		t.Errorf("UUID(upper case) = %q, %v", got, err)
	}
	for _, in := range []string{"", "abc", "urn:uuid:0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f"} {
		_, err := UUID("account.id", in)
		var e *errs.Error
		if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) != 1 || e.Violations[0].Field != "account.id" {
			t.Errorf("UUID(%q) = %v, want INVALID_ARGUMENT on account.id", in, err)
		}
	}
	if got, err := OptionalUUID("contact_id", ""); err != nil || got != "" {
		t.Errorf(`OptionalUUID("") = %q, %v`, got, err)
	}
	if _, err := OptionalUUID("contact_id", "{0190e4c1-7a2b-7c3d-8e4f-5a6b7c8d9e0f}"); errs.KindOf(err) != errs.InvalidArgument {
		t.Errorf("OptionalUUID(braces) = %v", err)
	}
}

func TestPositive(t *testing.T) {
	t.Parallel()
	if err := Positive("id", 1); err != nil {
		t.Errorf("Positive(1) = %v", err)
	}
	for _, n := range []int64{0, -1} {
		if err := Positive("id", n); errs.KindOf(err) != errs.InvalidArgument {
			t.Errorf("Positive(%d) = %v", n, err)
		}
	}
}
