package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func (e *env) addMember(campaignID string, m *crmv1.CampaignMember) *crmv1.CampaignMember {
	e.t.Helper()
	got, err := e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: campaignID, CampaignMember: m})
	if err != nil {
		e.t.Fatalf("add member: %v", err)
	}
	return got
}

// counts reads the campaign's member counts.
func (e *env) memberCounts(campaignID string) (int64, int64) {
	e.t.Helper()
	c, err := e.campaigns.GetCampaign(e.sales(), &crmv1.GetCampaignRequest{Id: campaignID})
	if err != nil {
		e.t.Fatal(err)
	}
	return c.MemberCount, c.RespondedMemberCount
}

func TestCampaignMemberLifecycle(t *testing.T) {
	e := newEnv(t)
	camp := e.createCampaign("Spring")
	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "ana@example.com"})
	lead := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@example.com"})

	req := &crmv1.CreateCampaignMemberRequest{CampaignId: camp.Id, RequestId: "m-1", CampaignMember: &crmv1.CampaignMember{
		ContactId: ana.Id, Id: "forged", Etag: "9",
	}}
	m, err := e.campaigns.CreateCampaignMember(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	if m.Id == "forged" || m.CampaignId != camp.Id || m.ContactId != ana.Id || m.LeadId != "" || m.Etag != "1" ||
		m.Status != crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT || m.RespondTime != nil {
		t.Fatalf("added %v", m)
	}
	before := e.rows()
	again, err := e.campaigns.CreateCampaignMember(e.sales(), req)
	if err != nil || again.Id != m.Id {
		t.Fatalf("retry %v %v", again, err)
	}
	// Once per campaign: without the request id it is a second add.
	_, err = e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: camp.Id,
		CampaignMember: &crmv1.CampaignMember{ContactId: ana.Id}})
	wantCode(t, err, codes.AlreadyExists)
	if e.rows() != before {
		t.Fatal("a retry or a duplicate wrote something")
	}
	lm := e.addMember(camp.Id, &crmv1.CampaignMember{LeadId: lead.Id, Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED})
	if lm.RespondTime == nil || lm.LeadId != lead.Id {
		t.Fatalf("lead member %v", lm)
	}
	_, err = e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: camp.Id,
		CampaignMember: &crmv1.CampaignMember{LeadId: lead.Id}})
	wantCode(t, err, codes.AlreadyExists)
	if n, r := e.memberCounts(camp.Id); n != 2 || r != 1 {
		t.Fatalf("counts %d %d, want 2 1", n, r)
	}
	if got, _ := e.campaigns.GetCampaign(e.sales(), &crmv1.GetCampaignRequest{Id: camp.Id}); got.Etag != camp.Etag {
		t.Errorf("membership changed the campaign's etag: %s -> %s", camp.Etag, got.Etag)
	}

	// Respond, with the etag; a stale etag is refused.
	up, err := e.campaigns.UpdateCampaignMember(e.sales(), &crmv1.UpdateCampaignMemberRequest{
		CampaignMember: &crmv1.CampaignMember{CampaignId: camp.Id, Id: m.Id, Etag: "1", Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if err != nil || up.Etag != "2" || up.RespondTime == nil || up.Status != crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED {
		t.Fatalf("respond %v %v", up, err)
	}
	_, err = e.campaigns.UpdateCampaignMember(e.sales(), &crmv1.UpdateCampaignMemberRequest{
		CampaignMember: &crmv1.CampaignMember{CampaignId: camp.Id, Id: m.Id, Etag: "1", Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT},
	})
	wantCode(t, err, codes.Aborted)
	if n, r := e.memberCounts(camp.Id); n != 2 || r != 2 {
		t.Fatalf("counts after respond %d %d, want 2 2", n, r)
	}
	// Back to SENT clears the response time.
	back, err := e.campaigns.UpdateCampaignMember(e.sales(), &crmv1.UpdateCampaignMemberRequest{
		CampaignMember: &crmv1.CampaignMember{CampaignId: camp.Id, Id: m.Id, Etag: "2", Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT},
	})
	if err != nil || back.RespondTime != nil || back.Etag != "3" {
		t.Fatalf("back to sent %v %v", back, err)
	}
	// Another campaign's path does not reach the member.
	other := e.createCampaign("Autumn")
	_, err = e.campaigns.UpdateCampaignMember(e.sales(), &crmv1.UpdateCampaignMemberRequest{
		CampaignMember: &crmv1.CampaignMember{CampaignId: other.Id, Id: m.Id, Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED},
	})
	wantCode(t, err, codes.NotFound)

	// Remove: stale etag refused, then gone, counts follow.
	_, err = e.campaigns.DeleteCampaignMember(e.sales(), &crmv1.DeleteCampaignMemberRequest{CampaignId: camp.Id, Id: lm.Id, Etag: "7"})
	wantCode(t, err, codes.Aborted)
	if _, err := e.campaigns.DeleteCampaignMember(e.sales(), &crmv1.DeleteCampaignMemberRequest{CampaignId: camp.Id, Id: lm.Id, Etag: "1"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.campaigns.DeleteCampaignMember(e.sales(), &crmv1.DeleteCampaignMemberRequest{CampaignId: camp.Id, Id: lm.Id})
	wantCode(t, err, codes.NotFound)
	if n, r := e.memberCounts(camp.Id); n != 1 || r != 0 {
		t.Fatalf("counts after remove %d %d, want 1 0", n, r)
	}
	for typ, want := range map[string]int{"campaign_member.created": 2, "campaign_member.updated": 2, "campaign_member.deleted": 1} {
		if got := e.eventsOfType(typ); got != want {
			t.Errorf("%s events: %d, want %d", typ, got, want)
		}
	}
	evs := e.feed(e.count(`SELECT count(*) FROM outbox_events`))
	last := evs[len(evs)-1]
	if last.Type != "campaign_member.deleted" || last.GetCampaignMember().GetId() != lm.Id || last.Version != 2 {
		t.Errorf("last event %v", last)
	}
}

func TestCampaignMemberValidation(t *testing.T) {
	e := newEnv(t)
	camp := e.createCampaign("Spring")
	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "ana@example.com"})
	lead := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@example.com"})
	before := e.rows()
	for _, tc := range []struct {
		campaign string
		m        *crmv1.CampaignMember
		want     []string
	}{
		{camp.Id, &crmv1.CampaignMember{}, []string{"campaign_member.contact_id"}},
		{camp.Id, &crmv1.CampaignMember{ContactId: ana.Id, LeadId: lead.Id}, []string{"campaign_member.lead_id"}},
		{camp.Id, &crmv1.CampaignMember{ContactId: "nope"}, []string{"campaign_member.contact_id"}},
		{camp.Id, &crmv1.CampaignMember{LeadId: "{" + lead.Id + "}"}, []string{"campaign_member.lead_id"}},
		{"nope", &crmv1.CampaignMember{ContactId: ana.Id}, []string{"campaign_id"}},
	} {
		_, err := e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: tc.campaign, CampaignMember: tc.m})
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("%v: violations %v, want %v", tc.m, got, tc.want)
		}
	}
	// The campaign of the path names the resource: NOT_FOUND. A contact or
	// lead of the body that names nothing is bad input naming its field,
	// as every unknown id in a request body.
	unknown := uuid.NewString()
	_, err := e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: unknown,
		CampaignMember: &crmv1.CampaignMember{ContactId: ana.Id}})
	wantCode(t, err, codes.NotFound)
	_, err = e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: unknown,
		CampaignMember: &crmv1.CampaignMember{ContactId: uuid.NewString()}})
	wantCode(t, err, codes.NotFound)
	for _, tc := range []struct {
		m    *crmv1.CampaignMember
		want string
	}{
		{&crmv1.CampaignMember{ContactId: unknown}, "campaign_member.contact_id"},
		{&crmv1.CampaignMember{LeadId: unknown}, "campaign_member.lead_id"},
	} {
		_, err := e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: camp.Id, CampaignMember: tc.m})
		if got := violations(t, err); !slices.Equal(got, []string{tc.want}) {
			t.Errorf("%v: violations %v, want %s", tc.m, got, tc.want)
		}
	}
	_, err = e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{CampaignId: unknown})
	wantCode(t, err, codes.NotFound)
	_, err = e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{CampaignId: camp.Id, Filter: `status = "maybe"`})
	if got := violations(t, err); !slices.Equal(got, []string{"filter"}) {
		t.Errorf("bad status filter: %v", err)
	}
	m := e.addMember(camp.Id, &crmv1.CampaignMember{ContactId: ana.Id})
	_, err = e.campaigns.UpdateCampaignMember(e.sales(), &crmv1.UpdateCampaignMemberRequest{
		CampaignMember: &crmv1.CampaignMember{CampaignId: camp.Id, Id: m.Id},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	})
	if got := violations(t, err); !slices.Equal(got, []string{"campaign_member.status"}) {
		t.Errorf("unset status in mask: %v", err)
	}
	// contact_id is fixed: a mask naming it changes nothing.
	same, err := e.campaigns.UpdateCampaignMember(e.sales(), &crmv1.UpdateCampaignMemberRequest{
		CampaignMember: &crmv1.CampaignMember{CampaignId: camp.Id, Id: m.Id, LeadId: lead.Id},
		UpdateMask:     &fieldmaskpb.FieldMask{Paths: []string{"lead_id"}},
	})
	if err != nil || same.Etag != "1" || same.LeadId != "" {
		t.Errorf("read-only mask %v %v", same, err)
	}
	if after := e.rows(); after.events != before.events+1 {
		t.Errorf("refused calls wrote events: %d -> %d", before.events, after.events)
	}
}

func TestCampaignMemberPagesAndFilter(t *testing.T) {
	e := newEnv(t)
	camp := e.createCampaign("Spring")
	noise := e.createCampaign("Other")
	var want []string
	for i := range 7 {
		c := e.createContact(&crmv1.Contact{Name: fmt.Sprintf("C%d", i), Email: fmt.Sprintf("c%d@example.com", i)})
		st := crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT
		if i%3 == 0 {
			st = crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED
		}
		want = append(want, e.addMember(camp.Id, &crmv1.CampaignMember{ContactId: c.Id, Status: st}).Id)
		e.addMember(noise.Id, &crmv1.CampaignMember{ContactId: c.Id})
	}
	list := func(filter string) []string {
		var got []string
		token := ""
		for {
			resp, err := e.campaigns.ListCampaignMembers(e.as(auth.Finance), &crmv1.ListCampaignMembersRequest{
				CampaignId: camp.Id, PageSize: 2, PageToken: token, Filter: filter,
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.CampaignMembers) > 2 {
				t.Fatalf("page of %d", len(resp.CampaignMembers))
			}
			for _, m := range resp.CampaignMembers {
				if m.CampaignId != camp.Id {
					t.Fatalf("member of another campaign: %v", m)
				}
				got = append(got, m.Id)
			}
			if token = resp.NextPageToken; token == "" {
				return got
			}
		}
	}
	if got := list(""); !slices.Equal(got, want) {
		t.Errorf("all pages %v, want %v", got, want)
	}
	// A token continues its own campaign's list only.
	first, err := e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{CampaignId: camp.Id, PageSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{CampaignId: noise.Id, PageToken: first.NextPageToken})
	if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
		t.Fatalf("another campaign's token: violations %v", f)
	}
	responded := []string{want[0], want[3], want[6]}
	for _, f := range []string{`status = "CAMPAIGN_MEMBER_STATUS_RESPONDED"`, `status = RESPONDED`, `status = "responded"`} {
		if got := list(f); !slices.Equal(got, responded) {
			t.Errorf("%s: %v, want %v", f, got, responded)
		}
	}
	if n, r := e.memberCounts(camp.Id); n != 7 || r != 3 {
		t.Errorf("counts %d %d, want 7 3", n, r)
	}
}

// Concurrent adds to one campaign each count: the counter is updated in
// the transaction of each add.
func TestCampaignMemberCountsUnderConcurrentAdds(t *testing.T) {
	e := newEnv(t)
	camp := e.createCampaign("Spring")
	const n = 24
	contacts := make([]string, n)
	for i := range contacts {
		contacts[i] = e.createContact(&crmv1.Contact{Name: fmt.Sprintf("C%d", i), Email: fmt.Sprintf("c%d@example.com", i)}).Id
	}
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i, id := range contacts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT
			if i%2 == 0 {
				st = crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED
			}
			_, err := e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{
				CampaignId: camp.Id, CampaignMember: &crmv1.CampaignMember{ContactId: id, Status: st},
			})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got, r := e.memberCounts(camp.Id); got != n || r != n/2 {
		t.Fatalf("counts %d %d, want %d %d", got, r, n, n/2)
	}
	// Deleting contacts concurrently (each removing its membership) keeps
	// the counts right too.
	for _, id := range contacts[:n/2] {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: id}); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got, r := e.memberCounts(camp.Id); got != n/2 || r != n/4 {
		t.Fatalf("counts after deletes %d %d, want %d %d", got, r, n/2, n/4)
	}
	if got := e.count(`SELECT count(*) FROM campaign_members`); got != n/2 {
		t.Fatalf("%d members, want %d", got, n/2)
	}
}

func TestDeletingContactOrLeadRemovesMemberships(t *testing.T) {
	e := newEnv(t)
	spring, autumn := e.createCampaign("Spring"), e.createCampaign("Autumn")
	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "ana@example.com"})
	bo := e.createContact(&crmv1.Contact{Name: "Bo", Email: "bo@example.com"})
	lead := e.createLead(&crmv1.Lead{Name: "Cy", Email: "cy@example.com"})
	m1 := e.addMember(spring.Id, &crmv1.CampaignMember{ContactId: ana.Id, Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED})
	m2 := e.addMember(autumn.Id, &crmv1.CampaignMember{ContactId: ana.Id})
	e.addMember(spring.Id, &crmv1.CampaignMember{ContactId: bo.Id})
	lm := e.addMember(autumn.Id, &crmv1.CampaignMember{LeadId: lead.Id})

	if _, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: ana.Id}); err != nil {
		t.Fatal(err)
	}
	if got := e.count(`SELECT count(*) FROM campaign_members WHERE id = ANY($1::uuid[])`, []string{m1.Id, m2.Id}); got != 0 {
		t.Fatalf("%d memberships of the deleted contact left", got)
	}
	if n, r := e.memberCounts(spring.Id); n != 1 || r != 0 {
		t.Errorf("spring counts %d %d, want 1 0", n, r)
	}
	if n, _ := e.memberCounts(autumn.Id); n != 1 {
		t.Errorf("autumn members %d, want 1", n)
	}
	if _, err := e.leads.DeleteLead(e.sales(), &crmv1.DeleteLeadRequest{Id: lead.Id}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.memberCounts(autumn.Id); n != 0 {
		t.Errorf("autumn members after the lead's deletion %d, want 0", n)
	}
	// Each membership's deleted event comes before its contact's or lead's.
	var order []string
	for _, ev := range e.feed(e.count(`SELECT count(*) FROM outbox_events`)) {
		switch ev.Type {
		case "campaign_member.deleted":
			if ev.Version != 2 {
				t.Errorf("%s version %d, want 2", ev.Key, ev.Version)
			}
			order = append(order, ev.Key)
		case "contact.deleted", "lead.deleted":
			order = append(order, ev.Key)
		}
	}
	first, second := []string{m1.Id, m2.Id}, []string{m2.Id, m1.Id}
	if !slices.Equal(order[:2], first) && !slices.Equal(order[:2], second) ||
		!slices.Equal(order[2:], []string{ana.Id, lm.Id, lead.Id}) {
		t.Errorf("deleted events %v", order)
	}
}

func TestCampaignMemberRoles(t *testing.T) {
	e := newEnv(t)
	camp := e.createCampaign("Spring")
	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "ana@example.com"})
	for _, role := range []auth.Role{auth.Service, auth.Finance, auth.Integration} {
		_, err := e.campaigns.CreateCampaignMember(e.as(role), &crmv1.CreateCampaignMemberRequest{CampaignId: camp.Id,
			CampaignMember: &crmv1.CampaignMember{ContactId: ana.Id}})
		wantCode(t, err, codes.PermissionDenied)
	}
	m := e.addMember(camp.Id, &crmv1.CampaignMember{ContactId: ana.Id})
	for _, role := range []auth.Role{auth.Service, auth.Finance, auth.Integration} {
		_, err := e.campaigns.UpdateCampaignMember(e.as(role), &crmv1.UpdateCampaignMemberRequest{
			CampaignMember: &crmv1.CampaignMember{CampaignId: camp.Id, Id: m.Id, Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED}})
		wantCode(t, err, codes.PermissionDenied)
		_, err = e.campaigns.DeleteCampaignMember(e.as(role), &crmv1.DeleteCampaignMemberRequest{CampaignId: camp.Id, Id: m.Id})
		wantCode(t, err, codes.PermissionDenied)
		if _, err := e.campaigns.ListCampaignMembers(e.as(role), &crmv1.ListCampaignMembersRequest{CampaignId: camp.Id}); err != nil {
			t.Errorf("%s list: %v", role, err)
		}
	}
	if _, err := e.campaigns.DeleteCampaignMember(e.as(auth.Admin), &crmv1.DeleteCampaignMemberRequest{CampaignId: camp.Id, Id: m.Id}); err != nil {
		t.Fatal(err)
	}
}

func TestCampaignMemberREST(t *testing.T) {
	e := newEnv(t)
	camp := e.createCampaign("Spring")
	lead := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@example.com"})
	tok := token(t, auth.Sales)
	path := "/v1/campaigns/" + camp.Id + "/members"
	status, body := e.call(http.MethodPost, path, tok, map[string]any{"leadId": lead.Id})
	if status != http.StatusOK || body["status"] != "CAMPAIGN_MEMBER_STATUS_SENT" || body["lead_id"] != lead.Id {
		t.Fatalf("POST %d %v", status, body)
	}
	id := body["id"].(string)
	status, body = e.call(http.MethodPost, path, tok, map[string]any{"lead_id": lead.Id})
	if status != http.StatusConflict {
		t.Errorf("duplicate POST %d %v", status, body)
	}
	status, body = e.call(http.MethodPost, path, tok, map[string]any{})
	if got := restViolations(body); status != http.StatusBadRequest || !slices.Equal(got, []string{"campaign_member.contact_id"}) {
		t.Errorf("empty POST %d %v", status, body)
	}
	status, body = e.call(http.MethodPost, path, tok, map[string]any{"lead_id": uuid.NewString()})
	if got := restViolations(body); status != http.StatusBadRequest || !slices.Equal(got, []string{"campaign_member.lead_id"}) {
		t.Errorf("POST of an unknown lead %d %v", status, body)
	}
	status, body = e.call(http.MethodPost, "/v1/campaigns/"+uuid.NewString()+"/members", tok, map[string]any{"lead_id": lead.Id})
	if status != http.StatusNotFound {
		t.Errorf("POST to an unknown campaign %d %v", status, body)
	}
	status, body = e.call(http.MethodPatch, path+"/"+id, tok, map[string]any{"status": "CAMPAIGN_MEMBER_STATUS_RESPONDED", "etag": "1"})
	if status != http.StatusOK || body["etag"] != "2" || body["respond_time"] == nil {
		t.Fatalf("PATCH %d %v", status, body)
	}
	status, body = e.call(http.MethodPatch, path+"/"+id, tok, map[string]any{"status": "CAMPAIGN_MEMBER_STATUS_SENT", "etag": "1"})
	if status != http.StatusConflict {
		t.Errorf("stale PATCH %d %v", status, body)
	}
	status, body = e.call(http.MethodGet, path+"?filter=status%3D%22responded%22", tok, nil)
	list, _ := body["campaign_members"].([]any)
	if status != http.StatusOK || len(list) != 1 {
		t.Fatalf("GET %d %v", status, body)
	}
	status, body = e.call(http.MethodGet, "/v1/campaigns/"+camp.Id, tok, nil)
	if status != http.StatusOK || body["member_count"] != "1" || body["responded_member_count"] != "1" {
		t.Errorf("campaign %d %v", status, body)
	}
	status, body = e.call(http.MethodDelete, path+"/"+id, tok, nil)
	if status != http.StatusOK {
		t.Fatalf("DELETE %d %v", status, body)
	}
}

// Members are part of their campaign: deleting it deletes them, in its
// transaction, each with its deleted event before the campaign's; their
// contacts and leads stay. A campaign a lead names still cannot be deleted.
func TestDeletingCampaignDeletesMembers(t *testing.T) {
	e := newEnv(t)
	spring, autumn := e.createCampaign("Spring"), e.createCampaign("Autumn")
	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "ana@example.com"})
	bo := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@example.com"})
	m1 := e.addMember(spring.Id, &crmv1.CampaignMember{ContactId: ana.Id, Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED})
	m2 := e.addMember(spring.Id, &crmv1.CampaignMember{LeadId: bo.Id})
	kept := e.addMember(autumn.Id, &crmv1.CampaignMember{ContactId: ana.Id})

	before := e.rows()
	_, err := e.campaigns.DeleteCampaign(e.sales(), &crmv1.DeleteCampaignRequest{Id: spring.Id, Etag: "7"})
	wantCode(t, err, codes.Aborted)
	if e.rows() != before || e.count(`SELECT count(*) FROM campaign_members`) != 3 {
		t.Fatal("a refused deletion wrote something")
	}
	if _, err := e.campaigns.DeleteCampaign(e.sales(), &crmv1.DeleteCampaignRequest{Id: spring.Id, Etag: spring.Etag}); err != nil {
		t.Fatal(err)
	}
	_, err = e.campaigns.GetCampaign(e.sales(), &crmv1.GetCampaignRequest{Id: spring.Id})
	wantCode(t, err, codes.NotFound)
	if got := e.count(`SELECT count(*) FROM campaign_members WHERE id = ANY($1::uuid[])`, []string{m1.Id, m2.Id}); got != 0 {
		t.Fatalf("%d members of the deleted campaign left", got)
	}
	if after := e.rows(); after.contacts != before.contacts || after.leads != before.leads {
		t.Errorf("the deletion removed contacts or leads: %+v -> %+v", before, after)
	}
	if n, r := e.memberCounts(autumn.Id); n != 1 || r != 0 {
		t.Errorf("autumn counts %d %d, want 1 0", n, r)
	}
	if list, err := e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{CampaignId: autumn.Id}); err != nil ||
		len(list.CampaignMembers) != 1 || list.CampaignMembers[0].Id != kept.Id {
		t.Errorf("autumn members %v %v", list, err)
	}
	var order []string
	for _, ev := range e.feed(before.events + 3) {
		switch ev.Type {
		case "campaign_member.deleted":
			if ev.Version != 2 {
				t.Errorf("%s version %d, want 2", ev.Key, ev.Version)
			}
			order = append(order, ev.Key)
		case "campaign.deleted":
			if c := ev.GetCampaign(); c.GetMemberCount() != 0 || c.GetRespondedMemberCount() != 0 {
				t.Errorf("deleted campaign's last state %v, want no members", c)
			}
			order = append(order, ev.Key)
		}
	}
	if !slices.Equal(order, []string{m1.Id, m2.Id, spring.Id}) {
		t.Errorf("deleted events %v, want members %s %s then campaign %s", order, m1.Id, m2.Id, spring.Id)
	}

	// A campaign a lead came from stays, members and all.
	e.createLead(&crmv1.Lead{Name: "Cy", CampaignId: autumn.Id})
	_, err = e.campaigns.DeleteCampaign(e.sales(), &crmv1.DeleteCampaignRequest{Id: autumn.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if n, _ := e.memberCounts(autumn.Id); n != 1 {
		t.Errorf("autumn members after the refused deletion %d, want 1", n)
	}
}

// Converting a lead hands its memberships to the contact: moved where the
// contact is not a member (same id, status and times), dropped for the
// contact's own where it is, which then shows the lead's response.
func TestConvertLeadCarriesCampaignMemberships(t *testing.T) {
	e := newEnv(t)
	spring, autumn := e.createCampaign("Spring"), e.createCampaign("Autumn")
	acme := e.createAccount("Acme")
	ana := e.createContact(&crmv1.Contact{AccountId: acme.Id, Name: "Ana", Email: "ana@acme.example"})
	anaAutumn := e.addMember(autumn.Id, &crmv1.CampaignMember{ContactId: ana.Id})
	l := e.createLead(&crmv1.Lead{Name: "Ana Lima", Company: "Acme", Email: "Ana@acme.example"})
	responded := crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED
	leadSpring := e.addMember(spring.Id, &crmv1.CampaignMember{LeadId: l.Id, Status: responded})
	leadAutumn := e.addMember(autumn.Id, &crmv1.CampaignMember{LeadId: l.Id, Status: responded})
	bo := e.createLead(&crmv1.Lead{Name: "Bo", Company: "Bco", Email: "bo@bco.example"})
	boSpring := e.addMember(spring.Id, &crmv1.CampaignMember{LeadId: bo.Id})
	events := e.count(`SELECT count(*) FROM outbox_events`)

	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id})
	if err != nil || conv.ConvertedContactId != ana.Id || conv.ConvertedAccountId != acme.Id {
		t.Fatalf("convert %v %v, want account %s contact %s", conv, err, acme.Id, ana.Id)
	}
	member := func(campaignID, filter string) []*crmv1.CampaignMember {
		t.Helper()
		resp, err := e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{CampaignId: campaignID, Filter: filter})
		if err != nil {
			t.Fatal(err)
		}
		return resp.CampaignMembers
	}
	if got := member(spring.Id, `lead_id = "`+l.Id+`"`); len(got) != 0 {
		t.Errorf("the converted lead is still a member: %v", got)
	}
	got := member(spring.Id, `contact_id = "`+ana.Id+`"`)
	if len(got) != 1 || got[0].Id != leadSpring.Id || got[0].LeadId != "" || got[0].Status != responded || got[0].Etag != "2" ||
		!got[0].RespondTime.AsTime().Equal(leadSpring.RespondTime.AsTime()) || !got[0].CreateTime.AsTime().Equal(leadSpring.CreateTime.AsTime()) {
		t.Errorf("spring membership of the contact %v, want the lead's %v moved", got, leadSpring)
	}
	got = member(autumn.Id, "")
	if len(got) != 1 || got[0].Id != anaAutumn.Id || got[0].Status != responded || got[0].Etag != "2" ||
		!got[0].RespondTime.AsTime().Equal(leadAutumn.RespondTime.AsTime()) {
		t.Errorf("autumn members %v, want the contact's %s responded at the lead's time", got, anaAutumn.Id)
	}
	if n, r := e.memberCounts(spring.Id); n != 2 || r != 1 {
		t.Errorf("spring counts %d %d, want 2 1", n, r)
	}
	if n, r := e.memberCounts(autumn.Id); n != 1 || r != 1 {
		t.Errorf("autumn counts %d %d, want 1 1", n, r)
	}
	var order []string
	for _, ev := range e.feed(events + 4)[events:] {
		order = append(order, ev.Type+" "+ev.Key)
	}
	want := []string{"campaign_member.updated " + leadSpring.Id, "campaign_member.deleted " + leadAutumn.Id,
		"campaign_member.updated " + anaAutumn.Id, "lead.converted " + l.Id}
	if !slices.Equal(order, want) {
		t.Errorf("events %v, want %v", order, want)
	}

	// Into a new contact: the membership moves after the contact is created.
	conv, err = e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: bo.Id})
	if err != nil {
		t.Fatal(err)
	}
	got = member(spring.Id, `contact_id = "`+conv.ConvertedContactId+`"`)
	if len(got) != 1 || got[0].Id != boSpring.Id || got[0].Status != crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_SENT {
		t.Errorf("spring membership of the new contact %v, want %s", got, boSpring.Id)
	}
	order = nil
	for _, ev := range e.feed(events + 8)[events+4:] {
		order = append(order, ev.Type)
	}
	if !slices.Equal(order, []string{"account.created", "contact.created", "campaign_member.updated", "lead.converted"}) {
		t.Errorf("events of the conversion into a new contact %v", order)
	}
	if n, r := e.memberCounts(spring.Id); n != 2 || r != 1 {
		t.Errorf("spring counts after the second conversion %d %d, want 2 1", n, r)
	}
	st, err := e.campaigns.GetCampaignStats(e.sales(), &crmv1.GetCampaignStatsRequest{Id: spring.Id})
	if err != nil || st.Members != 2 || st.RespondedMembers != 1 || st.ResponseRate != "0.5000" {
		t.Errorf("spring stats %v %v, want 2 members, 1 responded, rate 0.5000", st, err)
	}
}

// A converted lead's memberships are its contact's: adding the lead to a
// campaign is refused, naming the contact to add instead, and writes
// nothing; a retry of an add accepted before the conversion still
// answers with that membership, now the contact's.
func TestAddingConvertedLeadIsRefused(t *testing.T) {
	e := newEnv(t)
	spring, autumn := e.createCampaign("Spring"), e.createCampaign("Autumn")
	l := e.createLead(&crmv1.Lead{Name: "Bo", Company: "Bco", Email: "bo@bco.example"})
	req := &crmv1.CreateCampaignMemberRequest{CampaignId: spring.Id, RequestId: "add-bo", CampaignMember: &crmv1.CampaignMember{LeadId: l.Id}}
	m, err := e.campaigns.CreateCampaignMember(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id})
	if err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	_, err = e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: autumn.Id,
		CampaignMember: &crmv1.CampaignMember{LeadId: l.Id}})
	wantCode(t, err, codes.FailedPrecondition)
	if msg := status.Convert(err).Message(); !strings.Contains(msg, conv.ConvertedContactId) || !strings.Contains(msg, "contact") {
		t.Errorf("message %q does not name contact %s to add instead", msg, conv.ConvertedContactId)
	}
	again, err := e.campaigns.CreateCampaignMember(e.sales(), req)
	if err != nil || again.Id != m.Id || again.LeadId != "" || again.ContactId != conv.ConvertedContactId {
		t.Fatalf("retry of the add before the conversion: %v %v, want %s of contact %s", again, err, m.Id, conv.ConvertedContactId)
	}
	if e.rows() != before || e.count(`SELECT count(*) FROM campaign_members WHERE lead_id IS NOT NULL`) != 0 {
		t.Fatal("a refused add or a retry wrote something")
	}
	if n, _ := e.memberCounts(autumn.Id); n != 0 {
		t.Errorf("autumn members %d, want 0", n)
	}
	e.addMember(autumn.Id, &crmv1.CampaignMember{ContactId: conv.ConvertedContactId})
}

// Adding a lead merged away is INVALID_ARGUMENT on campaign_member.lead_id
// naming the lead it went into, as linking an activity to it is, so the
// caller adds that one instead.
func TestAddingMergedLeadNamesTheKeptLead(t *testing.T) {
	e := newEnv(t)
	spring := e.createCampaign("Spring")
	kept := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@bco.example"})
	dup := e.createLead(&crmv1.Lead{Name: "B.", Email: "b@bco.example"})
	if _, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: kept.Id, DuplicateId: dup.Id}); err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	_, err := e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: spring.Id,
		CampaignMember: &crmv1.CampaignMember{LeadId: dup.Id}})
	if f := violations(t, err); !slices.Equal(f, []string{"campaign_member.lead_id"}) {
		t.Fatalf("%v, want a violation of campaign_member.lead_id", err)
	}
	if msg := status.Convert(err).Message(); !strings.Contains(msg, "merged into lead \""+kept.Id+"\"") {
		t.Errorf("message %q does not name lead %s it went into", msg, kept.Id)
	}
	if e.rows() != before {
		t.Fatal("a refused add wrote something")
	}
	// A lead that never was is still the plain violation.
	_, err = e.campaigns.CreateCampaignMember(e.sales(), &crmv1.CreateCampaignMemberRequest{CampaignId: spring.Id,
		CampaignMember: &crmv1.CampaignMember{LeadId: uuid.NewString()}})
	if f := violations(t, err); !slices.Equal(f, []string{"campaign_member.lead_id"}) {
		t.Fatalf("%v, want a violation of campaign_member.lead_id", err)
	}
}
