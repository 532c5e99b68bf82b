package api_test

import (
	"context"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/crm-service/internal/app"
	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// An open task whose reminder time has come records one
// activity.reminder_due event, from the service's own periodic pass; a
// reminder moved later fires again, and tasks done or not yet due do not.
func TestDueRemindersReachTheFeed(t *testing.T) {
	t.Parallel()
	e := startEnv(t, func(c *app.Config) { c.ReminderInterval = 50 * time.Millisecond })
	ctx, cancel := context.WithTimeout(e.as(auth.Integration), 20*time.Second)
	defer cancel()
	stream, err := e.events.WatchEvents(ctx, &crmv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	task := func(subject string, remind time.Time, done bool) *crmv1.Activity {
		t.Helper()
		a, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
			Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: subject, Owner: "alice",
			DueTime: ts(now.Add(time.Hour)), ReminderTime: ts(remind), Done: done,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	due := task("Call back", now.Add(-time.Minute), false)
	task("Already done", now.Add(-time.Minute), true)
	later := task("Next week", now.Add(50*time.Minute), false)

	next := func(typ string) *crmv1.Event {
		t.Helper()
		for {
			ev, err := stream.Recv()
			if err != nil {
				t.Fatalf("waiting for %s: %v", typ, err)
			}
			if ev.GetType() == typ {
				return ev
			}
		}
	}
	ev := next("activity.reminder_due")
	if ev.GetKey() != due.GetId() || ev.GetActivity().GetSubject() != "Call back" || ev.GetVersion() != 2 {
		t.Fatalf("reminder event %v", ev)
	}
	got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: due.GetId()})
	if err != nil || got.GetEtag() != "2" {
		t.Fatalf("reminded task %v, %v", got, err)
	}

	// Moving the due reminder into the past again (to a new time) fires
	// it once more; the task reminded for next week has not fired.
	got.ReminderTime = ts(now.Add(-30 * time.Second))
	if _, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: got, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"reminder_time"}},
	}); err != nil {
		t.Fatal(err)
	}
	next("activity.updated")
	ev = next("activity.reminder_due")
	if ev.GetKey() != due.GetId() || ev.GetVersion() != 4 {
		t.Fatalf("second reminder %v (the task for next week is %s)", ev, later.GetId())
	}
	// One pass later nothing else is due.
	time.Sleep(200 * time.Millisecond)
	if reminders := e.count(`SELECT count(*) FROM outbox_events WHERE type = 'activity.reminder_due'`); reminders != 2 {
		t.Errorf("%d reminder events, want 2", reminders)
	}
}

// A task's reminder is for its due time: clearing the due time clears the
// reminder with it (it would otherwise fire for a task due never), and a
// reminder without a due time is refused.
func TestClearingDueTimeClearsTheReminder(t *testing.T) {
	e := newEnv(t)
	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	newTask := func() *crmv1.Activity {
		t.Helper()
		a, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
			Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Call back", DueTime: ts(due), ReminderTime: ts(due.Add(-time.Hour)),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}

	task := newTask()
	up, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: task.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"due_time"}},
	})
	if err != nil || up.DueTime != nil || up.ReminderTime != nil || up.Etag != "2" {
		t.Fatalf("due time cleared: %v %v", up, err)
	}
	if n := e.count(`SELECT count(*) FROM activities WHERE id = $1 AND reminder_time IS NULL`, task.Id); n != 1 {
		t.Fatalf("reminder still stored")
	}

	// The same through REST, as `"due_time": null`.
	rest := newTask()
	st, body := e.call("PATCH", "/v1/activities/"+rest.Id+"?update_mask=due_time", token(t, auth.Sales), map[string]any{"due_time": nil})
	if st != 200 || body["due_time"] != nil || body["reminder_time"] != nil {
		t.Fatalf("REST: %d %v", st, body)
	}

	// A reminder needs a due time: on create, and in an update that
	// clears the due time and sets a reminder.
	_, err = e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "s", ReminderTime: ts(due),
	}})
	if f := violations(t, err); len(f) != 1 || f[0] != "activity.reminder_time" {
		t.Fatalf("reminder without due time on create: %v", f)
	}
	other := newTask()
	_, err = e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity:   &crmv1.Activity{Id: other.Id, ReminderTime: ts(due.Add(-2 * time.Hour))},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"due_time", "reminder_time"}},
	})
	if f := violations(t, err); len(f) != 1 || f[0] != "activity.reminder_time" {
		t.Fatalf("reminder without due time on update: %v", f)
	}
	// Moving the due time keeps the reminder.
	moved, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: other.Id, DueTime: ts(due.Add(time.Hour))}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"due_time"}},
	})
	if err != nil || !moved.ReminderTime.AsTime().Equal(due.Add(-time.Hour)) {
		t.Fatalf("due time moved: %v %v", moved, err)
	}
}
