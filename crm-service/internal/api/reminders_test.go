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
