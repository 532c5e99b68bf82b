package api_test

import (
	"net/http"
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// An activity linked to an opportunity and to no account takes the
// opportunity's account, so it shows in that account's overview. Links
// that disagree (an account other than the opportunity's, a contact at
// another account) are bad input naming the field the request wrote, on
// create and update, for activities and cases; nothing is written.
func TestActivityAndCaseLinksAgree(t *testing.T) {
	e := newEnv(t)
	p, k := e.createAccount("Peak"), e.createAccount("Keel")
	oppP, oppK := e.createOpportunity(p.Id), e.createOpportunity(k.Id)
	atP := e.createContact(&crmv1.Contact{AccountId: p.Id, Name: "Pia", Email: "pia@peak.example"})
	atK := e.createContact(&crmv1.Contact{AccountId: k.Id, Name: "Kai", Email: "kai@keel.example"})
	nowhere := e.createContact(&crmv1.Contact{Name: "Nora", Email: "nora@free.example"})
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	call := func(a *crmv1.Activity) *crmv1.Activity {
		a.Type, a.Subject = crmv1.ActivityType_ACTIVITY_TYPE_CALL, "Call"
		return a
	}

	// Only the opportunity: the account is the opportunity's.
	act, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: call(&crmv1.Activity{OpportunityId: oppP.Id})})
	if err != nil || act.AccountId != p.Id {
		t.Fatalf("activity with an opportunity only: %v %v", act, err)
	}
	got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: act.Id})
	if err != nil || got.AccountId != p.Id {
		t.Fatalf("get: %v %v", got, err)
	}
	ov, err := e.overviews.GetAccountOverview(e.sales(), &crmv1.GetAccountOverviewRequest{Id: p.Id})
	if err != nil || len(ov.RecentActivities) != 1 || ov.RecentActivities[0].Id != act.Id {
		t.Fatalf("overview of the opportunity's account: %v %v", ov.GetRecentActivities(), err)
	}
	// The created event carries the account too.
	events := e.feed(e.rows().events)
	if last := events[len(events)-1]; last.Type != "activity.created" || last.GetActivity().GetAccountId() != p.Id {
		t.Fatalf("created event: %v", last)
	}
	// Over REST too.
	st, body := e.call("POST", "/v1/activities", token(t, auth.Sales), map[string]any{
		"type": "ACTIVITY_TYPE_EMAIL", "subject": "Mail", "opportunity_id": oppK.Id, "contact_id": atK.Id,
	})
	if st != 200 || body["account_id"] != k.Id {
		t.Fatalf("REST activity with an opportunity: %d %v", st, body)
	}
	// Links that agree, and a contact at no account, are fine.
	for _, a := range []*crmv1.Activity{
		{AccountId: p.Id, OpportunityId: oppP.Id, ContactId: atP.Id},
		{OpportunityId: oppP.Id, ContactId: nowhere.Id},
		{AccountId: k.Id, ContactId: nowhere.Id},
		{ContactId: atK.Id},
	} {
		if _, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: call(a)}); err != nil {
			t.Fatalf("create %v: %v", a, err)
		}
	}

	before := e.rows()
	for _, tc := range []struct {
		a    *crmv1.Activity
		want string
	}{
		{&crmv1.Activity{AccountId: k.Id, OpportunityId: oppP.Id}, "activity.account_id"},
		{&crmv1.Activity{AccountId: p.Id, ContactId: atK.Id}, "activity.contact_id"},
		{&crmv1.Activity{OpportunityId: oppP.Id, ContactId: atK.Id}, "activity.contact_id"},
	} {
		_, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: call(tc.a), RequestId: "bad-" + tc.want + tc.a.AccountId})
		if f := violations(t, err); !slices.Equal(f, []string{tc.want}) {
			t.Errorf("create %v: violations %v, want %s", tc.a, f, tc.want)
		}
	}
	// Updates: a change of one link is checked against the others.
	for _, tc := range []struct {
		a     *crmv1.Activity
		paths []string
		want  string
	}{
		{&crmv1.Activity{AccountId: k.Id}, []string{"account_id"}, "activity.account_id"},
		{&crmv1.Activity{OpportunityId: oppK.Id}, []string{"opportunity_id"}, "activity.opportunity_id"},
		{&crmv1.Activity{ContactId: atK.Id}, []string{"contact_id"}, "activity.contact_id"},
		{&crmv1.Activity{AccountId: k.Id, ContactId: atP.Id, OpportunityId: oppK.Id}, []string{"account_id", "contact_id", "opportunity_id"}, "activity.contact_id"},
	} {
		tc.a.Id = act.Id
		_, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{Activity: tc.a, UpdateMask: mask(tc.paths...)})
		if f := violations(t, err); !slices.Equal(f, []string{tc.want}) {
			t.Errorf("update %v: violations %v, want %s", tc.paths, f, tc.want)
		}
	}
	if after := e.rows(); after != before {
		t.Fatalf("links that disagree wrote: %+v -> %+v", before, after)
	}
	// Clearing the account of an activity with an opportunity keeps the
	// opportunity's: nothing changes.
	same, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: act.Id}, UpdateMask: mask("account_id"),
	})
	if err != nil || same.AccountId != p.Id || same.Etag != act.Etag {
		t.Fatalf("clearing the account: %v %v", same, err)
	}
	// Moving all links together is fine.
	moved, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: act.Id, OpportunityId: oppK.Id, ContactId: atK.Id}, UpdateMask: mask("account_id", "opportunity_id", "contact_id"),
	})
	if err != nil || moved.AccountId != k.Id || moved.OpportunityId != oppK.Id {
		t.Fatalf("moving the links: %v %v", moved, err)
	}

	// Cases: the contact must be at the case's account (or at none).
	before = e.rows()
	_, err = e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: k.Id, ContactId: atP.Id}})
	if f := violations(t, err); !slices.Equal(f, []string{"case.contact_id"}) {
		t.Fatalf("case with a contact of another account: %v", f)
	}
	if after := e.rows(); after != before {
		t.Fatalf("a refused case wrote: %+v -> %+v", before, after)
	}
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: k.Id, ContactId: atK.Id}, RequestId: "case-1"})
	if err != nil || cs.ContactId != atK.Id {
		t.Fatalf("case: %v %v", cs, err)
	}
	again, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: k.Id, ContactId: atK.Id}, RequestId: "case-1"})
	if err != nil || again.Id != cs.Id {
		t.Fatalf("case retry: %v %v", again, err)
	}
	free, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Loose", AccountId: p.Id, ContactId: nowhere.Id}})
	if err != nil || free.ContactId != nowhere.Id {
		t.Fatalf("case with a contact at no account: %v %v", free, err)
	}
	before = e.rows()
	_, err = e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{Case: &crmv1.Case{Id: cs.Id, ContactId: atP.Id}, UpdateMask: mask("contact_id")})
	if f := violations(t, err); !slices.Equal(f, []string{"case.contact_id"}) {
		t.Fatalf("case update to a contact of another account: %v", f)
	}
	if after := e.rows(); after != before {
		t.Fatalf("a refused case update wrote: %+v -> %+v", before, after)
	}
	up, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{Case: &crmv1.Case{Id: cs.Id, ContactId: nowhere.Id}, UpdateMask: mask("contact_id")})
	if err != nil || up.ContactId != nowhere.Id {
		t.Fatalf("case update to a contact at no account: %v %v", up, err)
	}
}

// Deleting a contact, an opportunity or an account clears it from the
// tasks, activities and cases that name it as an update of each: a new
// version (a stale If-Match no longer passes), update time and updated
// event (before the deletion's), and an audit entry for a case.
func TestDeletingALinkedRecordUpdatesTheRecordsNamingIt(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Peak")
	opp := e.createOpportunity(a.Id)
	c := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Pia", Email: "pia@peak.example"})
	task, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_TASK, Subject: "Follow up", ContactId: c.Id, OpportunityId: opp.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	call, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "Call", AccountId: a.Id,
	}})
	if err != nil {
		t.Fatal(err)
	}
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{AccountId: a.Id, ContactId: c.Id, Subject: "Broken"}})
	if err != nil {
		t.Fatal(err)
	}
	stale := func(path, etag string) {
		t.Helper()
		st, _, body := e.callWith("PATCH", path+"?update_mask=subject", token(t, auth.Admin), map[string]any{"subject": "Stale"},
			http.Header{"If-Match": []string{`"` + etag + `"`}})
		if st != 409 {
			t.Errorf("PATCH %s with the etag before the unlink: %d %v, want 409", path, st, body)
		}
	}
	// lastEvents returns the types of the newest n events and the feed.
	lastEvents := func(n int) ([]string, []*crmv1.Event) {
		t.Helper()
		evs := e.feed(e.rows().events)
		evs = evs[len(evs)-n:]
		var types []string
		for _, ev := range evs {
			types = append(types, ev.Type)
		}
		return types, evs
	}

	if _, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: c.Id}); err != nil {
		t.Fatal(err)
	}
	gotTask, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: task.Id})
	if err != nil || gotTask.ContactId != "" || gotTask.OpportunityId != opp.Id || gotTask.Etag != "2" ||
		!gotTask.UpdateTime.AsTime().After(task.UpdateTime.AsTime()) {
		t.Fatalf("task after its contact's deletion: %v %v", gotTask, err)
	}
	gotCase, err := e.cases.GetCase(e.service(), &crmv1.GetCaseRequest{Id: cs.Id})
	if err != nil || gotCase.ContactId != "" || gotCase.Etag != "2" || !gotCase.UpdateTime.AsTime().After(cs.UpdateTime.AsTime()) {
		t.Fatalf("case after its contact's deletion: %v %v", gotCase, err)
	}
	types, evs := lastEvents(3)
	if want := []string{"activity.updated", "case.updated", "contact.deleted"}; !slices.Equal(types, want) ||
		evs[0].Version != 2 || evs[0].GetActivity().GetContactId() != "" || evs[1].Version != 2 || evs[1].GetCase().GetContactId() != "" {
		t.Fatalf("events of the contact's deletion: %v", evs)
	}
	if n := e.count(`SELECT count(*) FROM audit_entries WHERE resource = $1 AND field = 'contact_id' AND old_value = $2 AND new_value IS NULL`,
		"cases/"+cs.Id, c.Id); n != 1 {
		t.Errorf("%d audit entries of the case's contact, want 1", n)
	}
	stale("/v1/activities/"+task.Id, task.Etag)
	stale("/v1/cases/"+cs.Id, cs.Etag)

	if _, err := e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: opp.Id}); err != nil {
		t.Fatal(err)
	}
	gotTask, err = e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: task.Id})
	if err != nil || gotTask.OpportunityId != "" || gotTask.AccountId != a.Id || gotTask.Etag != "3" {
		t.Fatalf("task after its opportunity's deletion: %v %v", gotTask, err)
	}
	types, evs = lastEvents(2)
	if want := []string{"activity.updated", "opportunity.deleted"}; !slices.Equal(types, want) || evs[0].Version != 3 ||
		evs[0].GetActivity().GetOpportunityId() != "" {
		t.Fatalf("events of the opportunity's deletion: %v", evs)
	}
	stale("/v1/activities/"+task.Id, "2")

	// The case goes first: an account with cases cannot be deleted.
	if _, err := e.cases.DeleteCase(e.service(), &crmv1.DeleteCaseRequest{Id: cs.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: a.Id}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{task.Id, call.Id} {
		got, err := e.activities.GetActivity(e.sales(), &crmv1.GetActivityRequest{Id: id})
		if err != nil || got.AccountId != "" {
			t.Fatalf("activity after its account's deletion: %v %v", got, err)
		}
	}
	types, _ = lastEvents(3)
	if want := []string{"activity.updated", "activity.updated", "account.deleted"}; !slices.Equal(types, want) {
		t.Fatalf("events of the account's deletion: %v", types)
	}
	stale("/v1/activities/"+call.Id, call.Etag)
}
