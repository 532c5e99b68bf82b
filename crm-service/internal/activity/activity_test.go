package activity

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/errs"
)

func fieldsOf(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("not a violation: %v", err)
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return out
}

func TestApplyRules(t *testing.T) {
	created := time.Date(2030, 1, 1, 9, 0, 0, 0, time.UTC)
	now := created.Add(time.Hour)
	task := func() Activity { return Activity{Type: TypeTask, CreateTime: created} }
	call := func() Activity { return Activity{Type: TypeCall, CreateTime: created} }

	a := task()
	if err := apply(&a, Input{Subject: "s", DueTime: created, ReminderTime: created}, MutableFields, now); err != nil {
		t.Fatalf("due at creation: %v", err)
	}
	a = task()
	err := apply(&a, Input{Subject: "s", DueTime: created.Add(-time.Second), ReminderTime: created}, MutableFields, now)
	if f := fieldsOf(t, err); !slices.Equal(f, []string{"due_time", "reminder_time"}) {
		t.Fatalf("due before creation: %v", f)
	}
	a = call()
	err = apply(&a, Input{Subject: "", DueTime: now, ReminderTime: now, Done: true, AccountID: "x"}, MutableFields, now)
	if f := fieldsOf(t, err); !slices.Equal(f, []string{"subject", "account_id", "due_time", "reminder_time", "done"}) {
		t.Fatalf("task fields on a call: %v", f)
	}
	// done_time follows done.
	a = task()
	if err := apply(&a, Input{Subject: "s", Done: true}, MutableFields, now); err != nil || !a.DoneTime.Equal(now) {
		t.Fatalf("done: %v %v", a.DoneTime, err)
	}
	if err := apply(&a, Input{Done: true}, []Field{FieldDone}, now.Add(time.Hour)); err != nil || !a.DoneTime.Equal(now) {
		t.Fatalf("done again keeps done_time: %v %v", a.DoneTime, err)
	}
	if err := apply(&a, Input{}, []Field{FieldDone}, now); err != nil || !a.DoneTime.IsZero() {
		t.Fatalf("undone: %v %v", a.DoneTime, err)
	}
}

type names struct{}

func (names) EncodeActivity(a Activity) ([]byte, error) { return []byte(`"` + a.ID + `"`), nil }

// Converting a lead moves an activity to its account, contact and
// opportunity only where the links would agree; the others keep theirs.
// Every moved one is an update: next version, the clock's time, an event.
func TestConvertLeadMoves(t *testing.T) {
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	s := NewService(nil, names{}, func() time.Time { return at })
	c := Conversion{AccountID: "acc", ContactID: "con", OpportunityID: "opp"}
	for _, tc := range []struct {
		name     string
		conv     Conversion
		in, want Activity
	}{
		{"lead only", c, Activity{}, Activity{AccountID: "acc", ContactID: "con", OpportunityID: "opp"}},
		{"at the account", c, Activity{AccountID: "acc"}, Activity{AccountID: "acc", ContactID: "con", OpportunityID: "opp"}},
		{"with its own deal there", c, Activity{AccountID: "acc", OpportunityID: "o2"}, Activity{AccountID: "acc", ContactID: "con", OpportunityID: "o2"}},
		{"at another account", c, Activity{AccountID: "other"}, Activity{AccountID: "other"}},
		{"with another contact", c, Activity{ContactID: "c2"}, Activity{ContactID: "c2"}},
		{"no deal created", Conversion{AccountID: "acc", ContactID: "con"}, Activity{}, Activity{AccountID: "acc", ContactID: "con"}},
		{"contact found at another account", Conversion{AccountID: "acc", ContactID: "con", ContactAccountID: "x"}, Activity{},
			Activity{AccountID: "acc"}},
		{"that contact named", Conversion{AccountID: "acc", ContactID: "con", ContactAccountID: "x"}, Activity{ContactID: "con"},
			Activity{ContactID: "con"}},
	} {
		tc.in.ID, tc.in.LeadID, tc.in.Version = "a1", "l1", 3
		u, err := s.ConvertLead([]Activity{tc.in}, tc.conv)
		if err != nil {
			t.Fatal(err)
		}
		tc.want.ID, tc.want.LeadID = "a1", "l1"
		if same(tc.want, tc.in) {
			if len(u.Activities) != 0 {
				t.Errorf("%s: moved %+v, want it left", tc.name, u.Activities)
			}
			continue
		}
		if len(u.Activities) != 1 || len(u.Events) != 1 {
			t.Fatalf("%s: %+v", tc.name, u)
		}
		got := u.Activities[0]
		if !same(got, tc.want) || got.Version != 4 || !got.UpdateTime.Equal(at) || u.Events[0].Type != EventUpdated || u.Events[0].Key != "a1" {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	// Merging points them at the kept lead.
	u, err := s.MergeLead([]Activity{{ID: "a1", LeadID: "dup", Version: 1}}, "kept")
	if err != nil || len(u.Activities) != 1 || u.Activities[0].LeadID != "kept" || u.Activities[0].Version != 2 {
		t.Fatalf("merge: %+v %v", u, err)
	}
}
