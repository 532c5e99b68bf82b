package postgres_test

import (
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/activity"
)

// The reminder pass takes each activity's key lock before its
// transaction has an id, as every writer of an activity does, so the feed
// keeps an activity's events in version order: one whose key another
// writer holds is left for the next pass, like a locked row.
func TestRemindDueSkipsActivitiesBeingWritten(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a := activity.Activity{
		ID: newID(t), Type: activity.TypeTask, Subject: "Call back", Owner: "ana",
		DueTime: now.Add(time.Hour), ReminderTime: now.Add(-time.Minute), Version: 1, CreateTime: now, UpdateTime: now,
	}
	if _, err := f.store.CreateActivity(ctx, "", activity.MethodCreate, activity.LinkIDs{}, func(activity.LinkAccounts) (activity.Activity, activity.Event, error) {
		return a, activity.Event{Type: activity.EventCreated, Key: a.ID, Payload: []byte(`{}`)}, nil
	}); err != nil {
		t.Fatal(err)
	}
	remind := func(activity.Activity) (activity.Event, error) {
		return activity.Event{Type: activity.EventReminderDue, Key: a.ID, Payload: []byte(`{}`)}, nil
	}

	// Another writer holds the activity's key (its row not yet locked).
	other, err := f.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback(ctx)
	if _, err := other.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('activities/' || $1::text, 0))`, a.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.RemindDue(ctx, now, 10, remind); err != nil || n != 0 {
		t.Fatalf("pass while the key is held = %d, %v; want the activity left alone", n, err)
	}
	if err := other.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := f.store.RemindDue(ctx, now, 10, remind); err != nil || n != 1 {
		t.Fatalf("pass after = %d, %v; want the reminder", n, err)
	}
}
