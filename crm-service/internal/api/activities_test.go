package api_test

import (
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func ts(t time.Time) *timestamppb.Timestamp { return timestamppb.New(t) }

func TestActivityLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	c := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Ana"})
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))

	req := &crmv1.CreateActivityRequest{RequestId: "a-1", Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "Intro call", AccountId: a.Id, ContactId: c.Id, OpportunityId: o.Id,
		Owner: "alice", DoneTime: ts(time.Now()), Etag: "5",
	}}
	call, err := e.activities.CreateActivity(e.as(auth.Service), req)
	if err != nil {
		t.Fatal(err)
	}
	if call.ActivityTime == nil || !call.ActivityTime.AsTime().Equal(call.CreateTime.AsTime()) || call.DoneTime != nil || call.Etag != "1" {
		t.Fatalf("call %v", call)
	}
	before := e.rows()
	again, err := e.activities.CreateActivity(e.as(auth.Service), req)
	if err != nil || !proto.Equal(again, call) {
		t.Fatalf("retry %v %v", again, err)
	}
	_, err = e.activities.CreateActivity(e.as(auth.Service), &crmv1.CreateActivityRequest{RequestId: "a-1", Activity: &crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_EMAIL, Subject: "x"}})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Errorf("reuse with another body: %v", err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("retry wrote %+v -> %+v", before, after)
	}
	got, err := e.activities.GetActivity(e.as(auth.Finance), &crmv1.GetActivityRequest{Id: call.Id})
	if err != nil || !proto.Equal(got, call) {
		t.Fatalf("get %v %v, want %v", got, err, call)
	}

	due := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	task, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Send quote", AccountId: a.Id, Owner: "alice",
		DueTime: ts(due), ReminderTime: ts(due.Add(-time.Hour)),
	}})
	if err != nil || task.ActivityTime != nil || !task.DueTime.AsTime().Equal(due) || task.Done {
		t.Fatalf("task %v %v", task, err)
	}
	// Done sets done_time; a stale etag is refused; the type, unless the
	// mask names it, is ignored.
	done, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity:   &crmv1.Activity{Id: task.Id, Done: true, Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Etag: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done"}},
	})
	if err != nil || !done.Done || done.DoneTime == nil || done.Type != crmv1.ActivityType_ACTIVITY_TYPE_TASK || done.Etag != "2" {
		t.Fatalf("done %v %v", done, err)
	}
	_, err = e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: task.Id, Subject: "x", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	})
	wantCode(t, err, codes.Aborted)

	before = e.rows()
	tests := []struct {
		name string
		req  *crmv1.UpdateActivityRequest
		want []string
	}{
		{"due before creation", &crmv1.UpdateActivityRequest{Activity: &crmv1.Activity{Id: task.Id, DueTime: ts(time.Now().Add(-time.Hour))},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"due_time"}}}, []string{"activity.due_time", "activity.reminder_time"}},
		{"reminder after due", &crmv1.UpdateActivityRequest{Activity: &crmv1.Activity{Id: task.Id, ReminderTime: ts(due.Add(time.Hour))},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"reminder_time"}}}, []string{"activity.reminder_time"}},
		{"task fields on a call", &crmv1.UpdateActivityRequest{Activity: &crmv1.Activity{Id: call.Id, Done: true, DueTime: ts(due)},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done", "due_time"}}}, []string{"activity.due_time", "activity.done"}},
		{"bad links and subject", &crmv1.UpdateActivityRequest{Activity: &crmv1.Activity{Id: call.Id, ContactId: "x", OpportunityId: "01900000-0000-7000-8000-000000000001"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject", "contact_id"}}}, []string{"activity.subject", "activity.contact_id"}},
		{"missing link", &crmv1.UpdateActivityRequest{Activity: &crmv1.Activity{Id: call.Id, OpportunityId: "01900000-0000-7000-8000-000000000001"},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"opportunity_id"}}}, []string{"activity.opportunity_id"}},
	}
	for _, tc := range tests {
		_, err := e.activities.UpdateActivity(e.sales(), tc.req)
		if f := violations(t, err); !slices.Equal(f, tc.want) {
			t.Errorf("%s: violations %v, want %v", tc.name, f, tc.want)
		}
	}
	if after := e.rows(); after != before {
		t.Fatalf("rejected updates wrote %+v -> %+v", before, after)
	}

	// Deleting a linked record clears the link, history stays.
	if _, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: c.Id}); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: call.Id}); got.GetContactId() != "" || got.GetAccountId() != a.Id {
		t.Fatalf("after contact delete: %v", got)
	}
	_, err = e.activities.DeleteActivity(e.sales(), &crmv1.DeleteActivityRequest{Id: call.Id, Etag: "9"})
	wantCode(t, err, codes.Aborted)
	if _, err := e.activities.DeleteActivity(e.sales(), &crmv1.DeleteActivityRequest{Id: call.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: call.Id})
	wantCode(t, err, codes.NotFound)
	// Clearing the contact was an update of its own.
	for typ, want := range map[string]int{"activity.created": 2, "activity.updated": 2, "activity.deleted": 1} {
		if n := e.eventsOfType(typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
}

func TestCreateActivityBadInput(t *testing.T) {
	e := newEnv(t)
	before := e.rows()
	past := ts(time.Now().Add(-time.Minute))
	tests := []struct {
		a    *crmv1.Activity
		want []string
	}{
		{&crmv1.Activity{}, []string{"activity.type", "activity.subject"}},
		{&crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Late", DueTime: past}, []string{"activity.due_time"}},
		{&crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "T", ActivityTime: past, AccountId: "acme"},
			[]string{"activity.account_id", "activity.activity_time"}},
		{&crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_MEETING, Subject: "M", ReminderTime: past, Done: true},
			[]string{"activity.reminder_time", "activity.done"}},
		{&crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "C", AccountId: "01900000-0000-7000-8000-000000000001"},
			[]string{"activity.account_id"}},
		{&crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "C", ActivityTime: &timestamppb.Timestamp{Seconds: -1e12}},
			[]string{"activity.activity_time"}},
	}
	for i, tc := range tests {
		_, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: tc.a})
		if f := violations(t, err); !slices.Equal(f, tc.want) {
			t.Errorf("case %d: violations %v, want %v", i, f, tc.want)
		}
	}
	_, err := e.activities.CreateActivity(e.as(auth.Finance), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "x"}})
	wantCode(t, err, codes.PermissionDenied)
	if after := e.rows(); after != before {
		t.Fatalf("rejected creates wrote %+v -> %+v", before, after)
	}
}

// The open and overdue tasks of one owner, through the filter.
func TestListOpenAndOverdueTasks(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	mk := func(owner string, due time.Duration, typ crmv1.ActivityType) *crmv1.Activity {
		a := &crmv1.Activity{Type: typ, Subject: "s", Owner: owner}
		if typ == crmv1.ActivityType_ACTIVITY_TYPE_TASK {
			a.DueTime = ts(now.Add(due))
		}
		got, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: a})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	task := crmv1.ActivityType_ACTIVITY_TYPE_TASK
	soon := mk("ana", time.Hour, task)                  // open, due in 1h
	later := mk("ana", 72*time.Hour, task)              // open, due in 3 days
	finished := mk("ana", 2*time.Hour, task)            // done below
	mk("bo", time.Hour, task)                           // someone else's
	mk("ana", 0, crmv1.ActivityType_ACTIVITY_TYPE_CALL) // not a task
	if _, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: finished.Id, Done: true}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"done"}},
	}); err != nil {
		t.Fatal(err)
	}
	list := func(filter string, size int32) []string {
		t.Helper()
		var ids []string
		tok := ""
		for {
			resp, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: filter, PageSize: size, PageToken: tok})
			if err != nil {
				t.Fatalf("%s: %v", filter, err)
			}
			for _, a := range resp.Activities {
				ids = append(ids, a.Id)
			}
			if tok = resp.NextPageToken; tok == "" {
				return ids
			}
		}
	}
	// "Overdue" as of a day from now: the task due in 1h.
	cut := now.Add(24 * time.Hour).Format(time.RFC3339)
	if got := list(`owner = "ana" AND done = false AND due_time < "`+cut+`"`, 1); !slices.Equal(got, []string{soon.Id}) {
		t.Fatalf("overdue tasks %v, want %v", got, []string{soon.Id})
	}
	if got := list(`owner = "ana" AND done = false AND type = "ACTIVITY_TYPE_TASK"`, 1); !slices.Equal(got, []string{soon.Id, later.Id}) {
		t.Fatalf("open tasks %v", got)
	}
	if got := list(`type = "task" AND done = true`, 10); !slices.Equal(got, []string{finished.Id}) {
		t.Fatalf("done tasks %v", got)
	}
	exact := soon.DueTime.AsTime().Format(time.RFC3339Nano)
	if got := list(`due_time <= "`+exact+`" AND owner = "ana"`, 10); !slices.Equal(got, []string{soon.Id}) {
		t.Fatalf("due_time <= %v", got)
	}
	for _, bad := range []string{`due_time = "` + cut + `"`, `due_time != "` + cut + `"`, `due_time < "tomorrow"`, `done = maybe`, `type = "visit"`, `contact_id = "x"`, `subject = "s"`} {
		_, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: bad})
		if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
			t.Errorf("%s: violations %v", bad, f)
		}
	}
}

// "My open tasks due this week": a lower and an upper bound on due_time
// select a window, leaving out what is due before it (overdue) and after.
func TestListTasksDueInAWindow(t *testing.T) {
	e := newEnv(t)
	now := time.Now().UTC()
	mk := func(due time.Duration) *crmv1.Activity {
		got, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
			Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "s", Owner: "ana", DueTime: ts(now.Add(due)),
		}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	tomorrow := mk(24 * time.Hour)
	inThreeDays := mk(72 * time.Hour)
	nextMonth := mk(30 * 24 * time.Hour)
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339Nano) }
	list := func(filter string) []string {
		t.Helper()
		resp, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var ids []string
		for _, a := range resp.Activities {
			ids = append(ids, a.Id)
		}
		return ids
	}
	week := `owner = "ana" AND done = false AND due_time >= "` + at(48*time.Hour) + `" AND due_time < "` + at(7*24*time.Hour) + `"`
	if got := list(week); !slices.Equal(got, []string{inThreeDays.Id}) {
		t.Fatalf("due in the window: %v, want %v", got, []string{inThreeDays.Id})
	}
	if got := list(`due_time > "` + at(48*time.Hour) + `"`); !slices.Equal(got, []string{inThreeDays.Id, nextMonth.Id}) {
		t.Fatalf("due after: %v", got)
	}
	exact := tomorrow.DueTime.AsTime().Format(time.RFC3339Nano)
	if got := list(`due_time >= "` + exact + `" AND due_time <= "` + exact + `"`); !slices.Equal(got, []string{tomorrow.Id}) {
		t.Fatalf("due_time >= and <= the same time: %v", got)
	}
	if got := list(`due_time > "` + exact + `" AND due_time < "` + at(48*time.Hour) + `"`); len(got) != 0 {
		t.Fatalf("due_time > is exclusive: %v", got)
	}
}

// An activity's owner is stored trimmed, so "my open tasks" (`owner =
// "ana"`) finds a task assigned as "ana " too.
func TestActivityOwnerIsStoredTrimmed(t *testing.T) {
	e := newEnv(t)
	a, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "s", Owner: "ana ", DueTime: ts(time.Now().Add(time.Hour)),
	}})
	if err != nil || a.Owner != "ana" {
		t.Fatalf("create: owner %q, %v", a.GetOwner(), err)
	}
	resp, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: `owner = "ana" AND done = false`})
	if err != nil || len(resp.Activities) != 1 || resp.Activities[0].Id != a.Id {
		t.Fatalf("owner filter: %v %v", resp, err)
	}
	up, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: a.Id, Owner: "  bo"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || up.Owner != "bo" {
		t.Fatalf("update: owner %q, %v", up.GetOwner(), err)
	}
}
