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
