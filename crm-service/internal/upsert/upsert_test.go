package upsert

import (
	"errors"
	"slices"
	"testing"

	"github.com/seamhq/seam/platform/errs"
)

func TestWrite(t *testing.T) {
	good := []Result{{Outcome: Created}, {Outcome: Unchanged}}
	bad := append(slices.Clone(good), Result{Outcome: Invalid})
	for _, tc := range []struct {
		mode         Mode
		validateOnly bool
		results      []Result
		want         bool
	}{
		{AllOrNothing, false, good, true},
		{AllOrNothing, false, bad, false},
		{SkipInvalid, false, bad, true},
		{SkipInvalid, true, good, false},
		{AllOrNothing, true, good, false},
		{AllOrNothing, false, nil, true},
	} {
		if got := Write(tc.mode, tc.validateOnly, tc.results); got != tc.want {
			t.Errorf("Write(%v, %v, %v) = %v, want %v", tc.mode, tc.validateOnly, tc.results, got, tc.want)
		}
	}
}

func TestInvalidResult(t *testing.T) {
	var v errs.Violations
	v.Add("name", "is required")
	v.Add("email", "is bad")
	r, err := InvalidResult(v.Err())
	if err != nil || r.Outcome != Invalid || len(r.Violations) != 2 || r.Violations[1].Field != "email" {
		t.Fatalf("violations: %+v %v", r, err)
	}
	r, err = InvalidResult(errs.FailedPreconditionf("lead %s is converted", "x"))
	if err != nil || r.Outcome != Invalid || r.Violations[0].Field != "" || r.Violations[0].Description != "lead x is converted" {
		t.Fatalf("precondition: %+v %v", r, err)
	}
	internal := errors.New("connection reset")
	if _, err := InvalidResult(internal); !errors.Is(err, internal) {
		t.Fatalf("an internal error became a row result: %v", err)
	}
	if _, err := InvalidResult(errs.Unavailablef("down")); err == nil {
		t.Fatal("unavailable became a row result")
	}
}

func TestForgetAndCheckBatch(t *testing.T) {
	rs := []Result{{Outcome: Created, ID: "a"}, {Outcome: Updated, ID: "b"}}
	Forget(rs)
	if rs[0].ID != "" || rs[1].ID != "b" {
		t.Fatalf("forget: %+v", rs)
	}
	if CheckBatch("rows", MaxBatch) != nil || !errors.Is(CheckBatch("rows", MaxBatch+1), errs.ErrInvalidArgument) {
		t.Fatal("batch limit")
	}
}

func TestListed(t *testing.T) {
	t.Parallel()
	id := func(s string) string { return s }
	for _, tt := range []struct {
		in   []string
		want string
	}{
		{[]string{"a", "b"}, "a, b"},
		{[]string{"a", "b", "c"}, "a, b, c"},
		{[]string{"a", "b", "c", "d", "e"}, "a, b, c and 2 more"},
	} {
		if got := Listed(tt.in, id); got != tt.want {
			t.Errorf("Listed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
