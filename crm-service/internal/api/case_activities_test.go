package api_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func (e *env) createCase(accountID, subject, description string) *crmv1.Case {
	e.t.Helper()
	c, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{
		AccountId: accountID, Subject: subject, Description: description,
	}})
	if err != nil {
		e.t.Fatalf("create case: %v", err)
	}
	return c
}

// A service agent logs calls and writes notes on a case: activities
// linked to it, which take the case's account (so they show on the
// account too), are listed by case, and lose the case when it is deleted.
// A case_id that is no UUID, names no case, or a case at another account
// than the activity's other links is INVALID_ARGUMENT on case_id (or the
// link the request wrote), as the other links are.
func TestCaseActivities(t *testing.T) {
	e := newEnv(t)
	p, k := e.createAccount("Peak"), e.createAccount("Keel")
	cs := e.createCase(p.Id, "Printer jam", "")
	other := e.createCase(k.Id, "Late delivery", "")
	oppK := e.createOpportunity(k.Id)
	pia := e.createContact(&crmv1.Contact{AccountId: p.Id, Name: "Pia", Email: "pia@peak.example"})

	// A note (comment) on the case: the account is the case's.
	note, err := e.activities.CreateActivity(e.service(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_NOTE, Subject: "Asked for the serial number", CaseId: cs.Id,
	}})
	if err != nil || note.CaseId != cs.Id || note.AccountId != p.Id || note.ActivityTime == nil {
		t.Fatalf("note on the case: %v %v", note, err)
	}
	events := e.feed(e.rows().events)
	if last := events[len(events)-1]; last.Type != "activity.created" || last.GetActivity().GetCaseId() != cs.Id {
		t.Fatalf("created event: %v", last)
	}
	// A call with the reporter, over REST, with the account given.
	st, body := e.call("POST", "/v1/activities", token(t, auth.Service), map[string]any{
		"type": "ACTIVITY_TYPE_CALL", "subject": "Called Pia", "case_id": cs.Id, "account_id": p.Id, "contact_id": pia.Id,
	})
	if st != 200 || body["case_id"] != cs.Id || body["account_id"] != p.Id {
		t.Fatalf("REST call on the case: %d %v", st, body)
	}
	call := body["id"].(string)
	// The account's overview shows them with their case.
	ov, err := e.overviews.GetAccountOverview(e.service(), &crmv1.GetAccountOverviewRequest{Id: p.Id})
	if err != nil || len(ov.RecentActivities) != 2 || ov.RecentActivities[1].Id != note.Id || ov.RecentActivities[1].CaseId != cs.Id {
		t.Fatalf("overview: %v %v", ov.GetRecentActivities(), err)
	}
	// An activity elsewhere, to be left out of the case's list.
	if _, err := e.activities.CreateActivity(e.service(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_NOTE, Subject: "Other", CaseId: other.Id,
	}}); err != nil {
		t.Fatal(err)
	}

	// The case's history, a page at a time, over gRPC and REST.
	var got []string
	tok := ""
	for {
		resp, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{
			Filter: `case_id = "` + cs.Id + `"`, PageSize: 1, PageToken: tok,
		})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range resp.Activities {
			got = append(got, a.Id)
		}
		if tok = resp.NextPageToken; tok == "" {
			break
		}
	}
	if !slices.Equal(got, []string{note.Id, call}) {
		t.Fatalf("activities of the case: %v, want %v", got, []string{note.Id, call})
	}
	st, body = e.call("GET", "/v1/activities?filter="+url.QueryEscape(`case_id = "`+cs.Id+`" AND type = "note"`), token(t, auth.Service), nil)
	if list, _ := body["activities"].([]any); st != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != note.Id {
		t.Fatalf("REST notes of the case: %d %v", st, body)
	}
	_, err = e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: `case_id = "nope"`})
	if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
		t.Errorf("filter on a bad case_id: %v", err)
	}

	// Bad links write nothing.
	before := e.rows()
	for _, tc := range []struct {
		a    *crmv1.Activity
		want string
	}{
		{&crmv1.Activity{CaseId: "nope"}, "activity.case_id"},
		{&crmv1.Activity{CaseId: "0190a000-0000-7000-8000-00000000dead"}, "activity.case_id"},
		{&crmv1.Activity{CaseId: cs.Id, AccountId: k.Id}, "activity.account_id"},
		{&crmv1.Activity{CaseId: cs.Id, OpportunityId: oppK.Id}, "activity.case_id"},
		{&crmv1.Activity{CaseId: other.Id, ContactId: pia.Id}, "activity.contact_id"},
	} {
		tc.a.Type, tc.a.Subject = crmv1.ActivityType_ACTIVITY_TYPE_NOTE, "Note"
		_, err := e.activities.CreateActivity(e.service(), &crmv1.CreateActivityRequest{Activity: tc.a})
		if f := violations(t, err); !slices.Equal(f, []string{tc.want}) {
			t.Errorf("create %v: violations %v (%v), want %s", tc.a, f, err, tc.want)
		}
	}
	if after := e.rows(); after != before {
		t.Fatalf("bad links wrote %+v -> %+v", before, after)
	}

	// An update links an activity to a case, under the same rules.
	logged, err := e.activities.CreateActivity(e.service(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_EMAIL, Subject: "Mail from Pia", AccountId: p.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	mask := &fieldmaskpb.FieldMask{Paths: []string{"case_id"}}
	for _, tc := range []struct{ caseID, want string }{
		{"0190a000-0000-7000-8000-00000000dead", "activity.case_id"},
		{other.Id, "activity.case_id"},
	} {
		_, err := e.activities.UpdateActivity(e.service(), &crmv1.UpdateActivityRequest{
			Activity: &crmv1.Activity{Id: logged.Id, CaseId: tc.caseID}, UpdateMask: mask,
		})
		if f := violations(t, err); !slices.Equal(f, []string{tc.want}) {
			t.Errorf("link to case %s: violations %v (%v), want %s", tc.caseID, f, err, tc.want)
		}
	}
	linked, err := e.activities.UpdateActivity(e.service(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: logged.Id, CaseId: cs.Id}, UpdateMask: mask,
	})
	if err != nil || linked.CaseId != cs.Id || linked.Etag != "2" {
		t.Fatalf("link to the case: %v %v", linked, err)
	}

	// A closed case still takes notes.
	closed, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Status: crmv1.CaseStatus_CASE_STATUS_CLOSED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	late, err := e.activities.CreateActivity(e.service(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_NOTE, Subject: "Customer confirmed the fix", CaseId: closed.Id,
	}})
	if err != nil {
		t.Fatalf("note on a closed case: %v", err)
	}

	// Deleting the case (closed: an admin's to delete) keeps its
	// activities, without the case, each updated with its event.
	updated := e.eventsOfType("activity.updated")
	if _, err := e.cases.DeleteCase(e.as(auth.Admin), &crmv1.DeleteCaseRequest{Id: cs.Id}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{note.Id, call, logged.Id, late.Id} {
		a, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: id})
		if err != nil || a.CaseId != "" || a.AccountId != p.Id {
			t.Errorf("activity %s after the case's deletion: %v %v", id, a, err)
		}
	}
	if n := e.eventsOfType("activity.updated") - updated; n != 4 {
		t.Errorf("%d activity.updated events for the deletion, want 4", n)
	}
	resp, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: `case_id = "` + cs.Id + `"`})
	if err != nil || len(resp.Activities) != 0 {
		t.Fatalf("activities of the deleted case: %v %v", resp, err)
	}
}

// ListCases finds cases by the words of their subject and description,
// with the filter; a query that cannot use the index is refused, and a
// page token is bound to its query.
func TestListCasesQuery(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Peak")
	jam := e.createCase(a.Id, "Printer jam", "Paper stuck in tray two")
	toner := e.createCase(a.Id, "Toner empty", "The printer in the lobby prints blank pages")
	e.createCase(a.Id, "Late delivery", "")

	ids := func(list []*crmv1.Case) []string {
		var out []string
		for _, c := range list {
			out = append(out, c.Id)
		}
		return out
	}
	resp, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: "PRINTER"})
	if err != nil || !slices.Equal(ids(resp.Cases), []string{jam.Id, toner.Id}) {
		t.Fatalf("printer cases: %v %v", resp, err)
	}
	resp, err = e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: "printer lobby", Filter: `account_id = "` + a.Id + `"`})
	if err != nil || !slices.Equal(ids(resp.Cases), []string{toner.Id}) {
		t.Fatalf("printer and lobby: %v %v", resp, err)
	}
	st, body := e.call("GET", "/v1/cases?query="+url.QueryEscape("tray stuck"), token(t, auth.Service), nil)
	if list, _ := body["cases"].([]any); st != 200 || len(list) != 1 || list[0].(map[string]any)["id"] != jam.Id {
		t.Fatalf("REST search: %d %v", st, body)
	}
	for _, q := range []string{"pr", "printer to"} {
		_, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: q})
		if f := violations(t, err); !slices.Equal(f, []string{"query"}) {
			t.Errorf("query %q: %v", q, err)
		}
	}
	// A new subject is searched at once; the audit trail shows the
	// subject's change, not the folded text the search reads.
	late := e.createCase(a.Id, "Late delivery", "")
	if _, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: late.Id, Subject: "Late delivery of the Printer"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	}); err != nil {
		t.Fatal(err)
	}
	resp, err = e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: "printer delivery"})
	if err != nil || !slices.Equal(ids(resp.Cases), []string{late.Id}) {
		t.Fatalf("renamed case: %v %v", resp, err)
	}
	if trail := e.auditTrail("cases/"+late.Id, 50); len(trail) != 1 || !strings.HasPrefix(trail[0], "subject: Late delivery -> Late delivery of the Printer") {
		t.Fatalf("audit trail of the renamed case: %v", trail)
	}
	// Paging through a search; its token continues no other search.
	resp, err = e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: "printer", PageSize: 1})
	if err != nil || !slices.Equal(ids(resp.Cases), []string{jam.Id}) || resp.NextPageToken == "" {
		t.Fatalf("first page: %v %v", resp, err)
	}
	next, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: "printer", PageSize: 1, PageToken: resp.NextPageToken})
	if err != nil || !slices.Equal(ids(next.Cases), []string{toner.Id}) {
		t.Fatalf("second page: %v %v", next, err)
	}
	_, err = e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Query: "delivery", PageSize: 1, PageToken: resp.NextPageToken})
	if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
		t.Errorf("token of another query: %v", err)
	}
}
