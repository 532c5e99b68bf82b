package api_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// logWithLead logs a call with the lead over gRPC.
func (e *env) logWithLead(leadID, subject string) *crmv1.Activity {
	e.t.Helper()
	a, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: subject, LeadId: leadID,
	}})
	if err != nil {
		e.t.Fatalf("log a call with lead %s: %v", leadID, err)
	}
	return a
}

// activityIDs lists the ids of the activities filter selects, a page of
// one at a time (keyset pages), over gRPC.
func (e *env) activityIDs(filter string) []string {
	e.t.Helper()
	var got []string
	tok := ""
	for {
		resp, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: filter, PageSize: 1, PageToken: tok})
		if err != nil {
			e.t.Fatalf("list %s: %v", filter, err)
		}
		for _, a := range resp.Activities {
			got = append(got, a.Id)
		}
		if tok = resp.NextPageToken; tok == "" {
			return got
		}
	}
}

// eventsSince returns "type key" of the events after the first n.
func (e *env) eventsSince(n int) []string {
	e.t.Helper()
	var out []string
	for _, ev := range e.feed(e.rows().events)[n:] {
		out = append(out, ev.Type+" "+ev.Key)
	}
	return out
}

// A sales rep logs calls and tasks with a lead before it is qualified:
// lead_id is set on create (REST, JSON) and by an update mask, listed by
// `lead_id = "<id>"` a page at a time, and checked: a malformed id or one
// that names no lead is INVALID_ARGUMENT on activity.lead_id, and a
// converted lead takes no new activities.
func TestActivitiesWithLead(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Sales)
	l := e.createLead(&crmv1.Lead{Name: "Bo Berg", Company: "Initech", Email: "bo@initech.example"})
	other := e.createLead(&crmv1.Lead{Name: "Cy Carr", Email: "cy@hooli.example"})
	events := e.rows().events

	st, body := e.call("POST", "/v1/activities", tok, map[string]any{
		"type": "ACTIVITY_TYPE_CALL", "subject": "First call", "lead_id": strings.ToUpper(l.Id),
	})
	if st != 200 || body["lead_id"] != l.Id || body["account_id"] != nil {
		t.Fatalf("REST call with the lead: %d %v", st, body)
	}
	call := body["id"].(string)
	evs := e.feed(e.rows().events)
	if last := evs[len(evs)-1]; last.Type != "activity.created" || last.GetActivity().GetLeadId() != l.Id || len(evs) != events+1 {
		t.Fatalf("created event: %v", last)
	}
	task, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Send the price list", LeadId: l.Id, Owner: "ana",
	}})
	if err != nil || task.LeadId != l.Id {
		t.Fatalf("task with the lead: %v %v", task, err)
	}
	elsewhere := e.logWithLead(other.Id, "Other lead")
	// An activity without a lead, later given one by an update.
	plain, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_EMAIL, Subject: "Brochure",
	}})
	if err != nil {
		t.Fatal(err)
	}
	st, body = e.call("PATCH", "/v1/activities/"+plain.Id+"?update_mask=lead_id", tok, map[string]any{"lead_id": l.Id, "subject": "ignored"})
	if st != 200 || body["lead_id"] != l.Id || body["subject"] != "Brochure" || body["etag"] == plain.Etag {
		t.Fatalf("REST update of lead_id: %d %v", st, body)
	}

	// The lead's history, in creation order, over gRPC and REST.
	if got, want := e.activityIDs(`lead_id = "`+l.Id+`"`), []string{call, task.Id, plain.Id}; !slices.Equal(got, want) {
		t.Fatalf("activities of the lead: %v, want %v", got, want)
	}
	st, body = e.call("GET", "/v1/activities?filter="+url.QueryEscape(`lead_id = "`+l.Id+`" AND type = "task"`), tok, nil)
	if list, _ := body["activities"].([]any); st != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != task.Id {
		t.Fatalf("REST tasks of the lead: %d %v", st, body)
	}
	if got := e.activityIDs(`lead_id = "` + other.Id + `"`); !slices.Equal(got, []string{elsewhere.Id}) {
		t.Fatalf("activities of the other lead: %v", got)
	}

	// Clearing the link by the mask.
	cleared, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: plain.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"lead_id"}},
	})
	if err != nil || cleared.LeadId != "" {
		t.Fatalf("clear lead_id: %v %v", cleared, err)
	}

	// Bad links write nothing.
	before := e.rows()
	missing := "0190a000-0000-7000-8000-00000000dead"
	for _, id := range []string{"nope", missing} {
		st, body := e.call("POST", "/v1/activities", tok, map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "x", "lead_id": id})
		if f := restViolations(body); st != 400 || !slices.Equal(f, []string{"activity.lead_id"}) {
			t.Errorf("create with lead_id %q: %d %v", id, st, body)
		}
		_, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
			Activity: &crmv1.Activity{Id: plain.Id, LeadId: id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"lead_id"}},
		})
		if f := violations(t, err); !slices.Equal(f, []string{"activity.lead_id"}) {
			t.Errorf("update to lead_id %q: %v", id, err)
		}
	}
	_, err = e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "x", LeadId: missing,
	}})
	if !strings.Contains(status.Convert(err).Message(), `lead "`+missing+`" not found`) {
		t.Errorf("missing lead: %v", err)
	}
	_, err = e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: `lead_id = "nope"`})
	if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
		t.Errorf("filter on a bad lead_id: %v", err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("bad lead links wrote %+v -> %+v", before, after)
	}

	// A converted lead's history continues at its contact and account: a
	// new activity with it, or an update that links one to it, is
	// FAILED_PRECONDITION naming them; the moved ones keep it and take
	// other edits.
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id})
	if err != nil {
		t.Fatal(err)
	}
	before = e.rows()
	_, err = e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "After", LeadId: l.Id,
	}})
	wantCode(t, err, codes.FailedPrecondition)
	if m := status.Convert(err).Message(); !strings.Contains(m, conv.ConvertedContactId) || !strings.Contains(m, conv.ConvertedAccountId) {
		t.Errorf("converted lead: %v, want the contact and account named", err)
	}
	_, err = e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: plain.Id, LeadId: l.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"lead_id"}},
	})
	wantCode(t, err, codes.FailedPrecondition)
	if after := e.rows(); after != before {
		t.Fatalf("links to a converted lead wrote %+v -> %+v", before, after)
	}
	edited, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: call, Subject: "First call, notes added"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	})
	if err != nil || edited.LeadId != l.Id || edited.ContactId != conv.ConvertedContactId {
		t.Fatalf("edit a moved activity: %v %v", edited, err)
	}
}

// Converting a lead moves its activities to the account and contact it
// became, and to the opportunity it opened when they name none, keeping
// lead_id; one that names another account keeps its links. Each move is
// an update (new version, activity.updated event before lead.converted)
// in the conversion's transaction.
func TestConvertLeadMovesActivities(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Sales)
	elsewhere := e.createAccount("Hooli")
	l := e.createLead(&crmv1.Lead{Name: "Bo Berg", Company: "Initech", Email: "bo@initech.example", Owner: "ana"})
	call := e.logWithLead(l.Id, "Discovery call")
	task, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Follow up", LeadId: l.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Met at another customer's site: that account stays.
	meeting, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_MEETING, Subject: "Met at Hooli", LeadId: l.Id, AccountId: elsewhere.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	unrelated := e.logWithLead(e.createLead(&crmv1.Lead{Name: "Cy"}).Id, "Other lead")
	events := e.rows().events

	st, body := e.call("POST", "/v1/leads/"+l.Id+":convert", tok, map[string]any{
		"opportunity": map[string]any{"name": "Initech rollout", "currency_code": "EUR"},
	})
	if st != 200 {
		t.Fatalf("convert: %d %v", st, body)
	}
	acc, con, opp := body["converted_account_id"].(string), body["converted_contact_id"].(string), body["converted_opportunity_id"].(string)
	for _, a := range []*crmv1.Activity{call, task} {
		got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: a.Id})
		if err != nil || got.AccountId != acc || got.ContactId != con || got.OpportunityId != opp || got.LeadId != l.Id ||
			got.Etag == a.Etag || got.Subject != a.Subject {
			t.Fatalf("%s after the conversion: %v %v", a.Subject, got, err)
		}
	}
	got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: meeting.Id})
	if err != nil || got.AccountId != elsewhere.Id || got.ContactId != "" || got.OpportunityId != "" || got.LeadId != l.Id || got.Etag != meeting.Etag {
		t.Fatalf("meeting at another account: %v %v", got, err)
	}
	if got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: unrelated.Id}); err != nil || got.Etag != unrelated.Etag {
		t.Fatalf("another lead's activity: %v %v", got, err)
	}
	// The contact's and the deal's history hold them; the lead's still
	// lists all three.
	if got, want := e.activityIDs(`contact_id = "`+con+`"`), []string{call.Id, task.Id}; !slices.Equal(got, want) {
		t.Fatalf("contact's activities %v, want %v", got, want)
	}
	if got, want := e.activityIDs(`opportunity_id = "`+opp+`"`), []string{call.Id, task.Id}; !slices.Equal(got, want) {
		t.Fatalf("opportunity's activities %v, want %v", got, want)
	}
	if got, want := e.activityIDs(`lead_id = "`+l.Id+`"`), []string{call.Id, task.Id, meeting.Id}; !slices.Equal(got, want) {
		t.Fatalf("lead's activities %v, want %v", got, want)
	}
	want := []string{"account.created " + acc, "contact.created " + con, "opportunity.created " + opp,
		"activity.updated " + call.Id, "activity.updated " + task.Id, "lead.converted " + l.Id}
	if got := e.eventsSince(events); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	// The updated events carry the new links.
	for _, ev := range e.feed(e.rows().events)[events:] {
		if ev.Type == "activity.updated" && (ev.GetActivity().GetContactId() != con || ev.GetActivity().GetLeadId() != l.Id) {
			t.Errorf("event %v", ev)
		}
	}
}

// Merging a duplicate lead moves its activities to the kept lead, each as
// an update with its event, before the duplicate's lead.deleted; a later
// link to the duplicate is refused naming the lead it went into.
func TestMergeLeadMovesActivities(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Sales)
	kept := e.createLead(&crmv1.Lead{Name: "Ana Lima", Email: "ana@acme.example"})
	dup := e.createLeadAgain(&crmv1.Lead{Name: "A. Lima", Email: "ana@acme.example", Phone: "+1 555"})
	keptCall := e.logWithLead(kept.Id, "Call")
	dupCall, dupMail := e.logWithLead(dup.Id, "Call the duplicate"), e.logWithLead(dup.Id, "Mail the duplicate")
	events := e.rows().events

	st, body := e.call("POST", "/v1/leads/"+kept.Id+":merge", tok, map[string]any{"duplicate_id": dup.Id})
	if st != 200 {
		t.Fatalf("merge: %d %v", st, body)
	}
	if got, want := e.activityIDs(`lead_id = "`+kept.Id+`"`), []string{keptCall.Id, dupCall.Id, dupMail.Id}; !slices.Equal(got, want) {
		t.Fatalf("kept lead's activities %v, want %v", got, want)
	}
	if got := e.activityIDs(`lead_id = "` + dup.Id + `"`); len(got) != 0 {
		t.Fatalf("duplicate's activities %v", got)
	}
	moved, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: dupCall.Id})
	if err != nil || moved.Etag == dupCall.Etag {
		t.Fatalf("moved activity %v %v", moved, err)
	}
	want := []string{"activity.updated " + dupCall.Id, "activity.updated " + dupMail.Id, "lead.updated " + kept.Id, "lead.deleted " + dup.Id}
	if got := e.eventsSince(events); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	_, err = e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "x", LeadId: dup.Id,
	}})
	if f := violations(t, err); !slices.Equal(f, []string{"activity.lead_id"}) || !strings.Contains(status.Convert(err).Message(), "merged into lead \""+kept.Id+"\"") {
		t.Fatalf("link to the merged duplicate: %v", err)
	}
}

// Deleting a lead keeps its activities, without the lead, as deleting an
// account or an opportunity keeps theirs: each an update of its own (new
// version, activity.updated event before lead.deleted), their other
// links untouched.
func TestDeleteLeadKeepsActivities(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Sales)
	acme := e.createAccount("Acme")
	l := e.createLead(&crmv1.Lead{Name: "Bo Berg", Email: "bo@initech.example"})
	call := e.logWithLead(l.Id, "Call")
	meeting, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_MEETING, Subject: "Met at Acme", LeadId: l.Id, AccountId: acme.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	events := e.rows().events
	if st, body := e.call("DELETE", "/v1/leads/"+l.Id, tok, nil); st != 200 {
		t.Fatalf("delete: %d %v", st, body)
	}
	for _, a := range []*crmv1.Activity{call, meeting} {
		got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: a.Id})
		if err != nil || got.LeadId != "" || got.AccountId != a.AccountId || got.Etag == a.Etag {
			t.Fatalf("%s after the lead's deletion: %v %v", a.Subject, got, err)
		}
	}
	want := []string{"activity.updated " + call.Id, "activity.updated " + meeting.Id, "lead.deleted " + l.Id}
	if got := e.eventsSince(events); !slices.Equal(got, want) {
		t.Fatalf("events %v, want %v", got, want)
	}
	if last := e.feed(e.rows().events)[e.rows().events-1]; last.Type != "lead.deleted" || last.GetLead().GetMergedIntoLeadId() != "" {
		t.Errorf("a deleted lead's event = %s, merged into %q: want no lead named", last.Type, last.GetLead().GetMergedIntoLeadId())
	}
	// An etag read before the deletion no longer passes.
	_, err = e.activities.DeleteActivity(e.sales(), &crmv1.DeleteActivityRequest{Id: call.Id, Etag: call.Etag})
	wantCode(t, err, codes.Aborted)
}
