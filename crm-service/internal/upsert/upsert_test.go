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

// MatchByKeys: an id names its record or is bad; an external id another
// record holds is bad on an id row; an external id matches its holder;
// else the third key matches its one record, skipping records of another
// system's external id, and several are bad.
func TestMatchByKeys(t *testing.T) {
	t.Parallel()
	type rec struct{ id, ext string }
	a, b, c := rec{"a", "X-A"}, rec{"b", ""}, rec{"c", "X-C"}
	k := Keys[rec]{
		Kind: "thing", Third: "email",
		ID: func(r rec) string { return r.id }, ExternalID: func(r rec) string { return r.ext },
		ByID:         map[string]rec{"a": a, "b": b},
		ByExternalID: map[string]rec{"X-A": a, "X-C": c},
		ByThird:      map[string][]rec{"one@x": {b}, "two@x": {b, c}},
	}
	for _, tt := range []struct {
		name                 string
		kind                 byte
		value, ext, third    string
		wantID, wantBadField string
	}{
		{"id", 'i', "a", "", "", "a", ""},
		{"unknown id", 'i', "z", "", "", "", "id"},
		{"id taking another's external id", 'i', "b", "X-A", "", "", "external_id"},
		{"external id", 'x', "X-C", "X-C", "", "c", ""},
		{"new external id, by email", 'x', "X-NEW", "X-NEW", "one@x", "b", ""},
		{"email of another system's record skipped", 'e', "", "X-NEW", "two@x", "b", ""},
		{"ambiguous email", 'e', "", "", "two@x", "", "email"},
		{"nothing matches", 'e', "", "", "none@x", "", ""},
	} {
		cur, ok, bad := MatchByKeys(k, tt.kind, tt.value, tt.ext, tt.third, "by email", true, true)
		switch {
		case tt.wantBadField != "":
			if bad == nil || len(bad.Violations) == 0 || bad.Violations[0].Field != tt.wantBadField {
				t.Errorf("%s: got %v %v %+v, want a violation on %s", tt.name, cur, ok, bad, tt.wantBadField)
			}
		case tt.wantID == "":
			if ok || bad != nil {
				t.Errorf("%s: got %v %v %+v, want a new record", tt.name, cur, ok, bad)
			}
		default:
			if !ok || bad != nil || cur.id != tt.wantID {
				t.Errorf("%s: got %v %v %+v, want %s", tt.name, cur, ok, bad, tt.wantID)
			}
		}
	}
}
