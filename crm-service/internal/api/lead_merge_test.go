package api_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// leadMembers lists the memberships of lead in a campaign.
func (e *env) leadMembers(campaignID, leadID string) []*crmv1.CampaignMember {
	e.t.Helper()
	resp, err := e.campaigns.ListCampaignMembers(e.sales(), &crmv1.ListCampaignMembersRequest{
		CampaignId: campaignID, Filter: `lead_id = "` + leadID + `"`,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return resp.CampaignMembers
}

// Merging a duplicate lead fills the kept lead's empty fields from it,
// moves its campaign memberships (one per campaign, responded if either
// responded), deletes it, with the events, in one transaction; the same
// merge again answers the kept lead and writes nothing.
func TestMergeLead(t *testing.T) {
	e := newEnv(t)
	spring, autumn, expo := e.createCampaign("Spring").Id, e.createCampaign("Autumn").Id, e.createCampaign("Expo").Id
	kept := e.createLead(&crmv1.Lead{Name: "Ana Lima", Email: "ana@acme.example", Company: "Acme"})
	dup := e.createLeadAgain(&crmv1.Lead{Name: "A. Lima", Email: "ANA@acme.example", Company: "Acme Inc", Phone: "+1 555",
		Title: "CTO", Source: "web", CampaignId: spring, Owner: "ben"})
	// Both in Spring (only the duplicate responded), the duplicate alone in
	// Autumn, the kept lead alone in Expo.
	keptSpring := e.addMember(spring, &crmv1.CampaignMember{LeadId: kept.Id})
	e.addMember(spring, &crmv1.CampaignMember{LeadId: dup.Id, Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED})
	dupAutumn := e.addMember(autumn, &crmv1.CampaignMember{LeadId: dup.Id})
	e.addMember(expo, &crmv1.CampaignMember{LeadId: kept.Id})
	events := e.rows().events

	merged, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: kept.Id, DuplicateId: dup.Id, Etag: kept.Etag})
	if err != nil {
		t.Fatal(err)
	}
	want := &crmv1.Lead{Name: "Ana Lima", Email: "ana@acme.example", Company: "Acme", Phone: "+1 555", Title: "CTO",
		Source: "web", CampaignId: spring, Owner: "ben", Status: kept.Status}
	if merged.Name != want.Name || merged.Email != want.Email || merged.Company != want.Company || merged.Phone != want.Phone ||
		merged.Title != want.Title || merged.Source != want.Source || merged.CampaignId != want.CampaignId ||
		merged.Owner != want.Owner || merged.Status != want.Status || merged.Etag == kept.Etag {
		t.Fatalf("merged %v, want %v", merged, want)
	}
	_, err = e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: dup.Id})
	wantCode(t, err, codes.NotFound)
	if msg := status.Convert(err).Message(); msg != "lead \""+dup.Id+"\" not found: it was merged into lead \""+kept.Id+"\"" {
		t.Errorf("get of the merged duplicate: %q, want it to say it is not found and name the lead it went into", msg)
	}
	// Spring: one membership, the kept lead's, now responded; Autumn: the
	// duplicate's, moved; Expo untouched.
	if m := e.leadMembers(spring, kept.Id); len(m) != 1 || m[0].Id != keptSpring.Id ||
		m[0].Status != crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED || m[0].RespondTime == nil {
		t.Fatalf("spring: %v", m)
	}
	if m := e.leadMembers(autumn, kept.Id); len(m) != 1 || m[0].Id != dupAutumn.Id {
		t.Fatalf("autumn: %v", m)
	}
	if n := e.count(`SELECT count(*) FROM campaign_members WHERE lead_id = $1`, dup.Id); n != 0 {
		t.Fatalf("%d memberships left with the duplicate", n)
	}
	if all, responded := e.memberCounts(spring); all != 1 || responded != 1 {
		t.Fatalf("spring counts %d %d", all, responded)
	}
	var types []string
	feed := e.feed(e.rows().events)[events:]
	for _, ev := range feed {
		types = append(types, ev.Type+" "+ev.Key)
	}
	if !slices.Contains(types, "lead.updated "+kept.Id) || types[len(types)-1] != "lead.deleted "+dup.Id ||
		!slices.Contains(types, "campaign_member.updated "+dupAutumn.Id) || len(types) != 5 {
		t.Fatalf("events %v", types)
	}
	// The duplicate's lead.deleted names the lead it went into, so a feed
	// consumer tells a merge from a deletion; the kept lead's update names
	// none.
	for _, ev := range feed {
		want := map[string]string{"lead.deleted": kept.Id, "lead.updated": ""}
		if w, ok := want[ev.Type]; ok && ev.GetLead().GetMergedIntoLeadId() != w {
			t.Errorf("%s %s: merged_into_lead_id %q, want %q", ev.Type, ev.Key, ev.GetLead().GetMergedIntoLeadId(), w)
		}
	}

	// Again (a retry, with the etag it had): the kept lead, nothing written.
	before := e.rows()
	again, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: kept.Id, DuplicateId: dup.Id, Etag: kept.Etag})
	if err != nil || again.Etag != merged.Etag || e.rows() != before {
		t.Fatalf("retry: %v %v", again, err)
	}
	// Over REST too.
	if st, body := e.call("POST", "/v1/leads/"+kept.Id+":merge", token(t, auth.Sales), map[string]any{"duplicate_id": dup.Id}); st != 200 || body["id"] != kept.Id {
		t.Fatalf("REST retry: %d %v", st, body)
	}
	// The other way round, the kept lead is no duplicate merged before.
	_, err = e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: dup.Id, DuplicateId: kept.Id})
	wantCode(t, err, codes.NotFound)
}

// Merge's rules: ids are UUIDs and two different leads; a stale etag is
// ABORTED, a converted lead FAILED_PRECONDITION, a missing one NOT_FOUND,
// service users may not merge; none of them writes. A merge into a lead
// merged later still answers through the lead it went into: the first pair
// again is NOT_FOUND (the duplicate went into another lead), documented.
func TestMergeLeadRules(t *testing.T) {
	e := newEnv(t)
	a := e.createLead(&crmv1.Lead{Name: "A", Email: "a@x.example"})
	b := e.createLead(&crmv1.Lead{Name: "B", Email: "b@x.example", Company: "Acme"})
	before := e.rows()
	for _, c := range []struct {
		req  *crmv1.MergeLeadRequest
		want []string
	}{
		{&crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: a.Id}, []string{"duplicate_id"}},
		{&crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: "nope"}, []string{"duplicate_id"}},
		{&crmv1.MergeLeadRequest{Id: "nope", DuplicateId: b.Id}, []string{"id"}},
		{&crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: b.Id, Etag: "x"}, []string{"etag"}},
	} {
		_, err := e.leads.MergeLead(e.sales(), c.req)
		if f := violations(t, err); !slices.Equal(f, c.want) {
			t.Errorf("%v: %v, want %v", c.req, err, c.want)
		}
	}
	_, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: b.Id, Etag: "9"})
	wantCode(t, err, codes.Aborted)
	_, err = e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: "0190a000-0000-7000-8000-000000000009"})
	wantCode(t, err, codes.NotFound)
	_, err = e.leads.MergeLead(e.service(), &crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: b.Id})
	wantCode(t, err, codes.PermissionDenied)
	if e.rows() != before {
		t.Fatal("a refused merge wrote")
	}
	// Converted, either way round.
	conv := e.createLead(&crmv1.Lead{Name: "C", Email: "c@x.example", Company: "Conv"})
	if _, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: conv.Id}); err != nil {
		t.Fatal(err)
	}
	before = e.rows()
	_, err = e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: conv.Id})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: conv.Id, DuplicateId: a.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if e.rows() != before {
		t.Fatal("a refused merge wrote")
	}

	// b into a, then a into d: merging b into a again is NOT_FOUND.
	if _, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: b.Id}); err != nil {
		t.Fatal(err)
	}
	d := e.createLead(&crmv1.Lead{Name: "D", Email: "d@x.example"})
	got, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: d.Id, DuplicateId: a.Id})
	if err != nil || got.Company != "Acme" {
		t.Fatalf("a into d: %v %v", got, err)
	}
	_, err = e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: a.Id, DuplicateId: b.Id})
	wantCode(t, err, codes.NotFound)
	if n := e.count(`SELECT count(*) FROM lead_merges WHERE lead_id = $1`, d.Id); n != 2 {
		t.Fatalf("%d merges lead to d, want 2", n)
	}
}

// A merge waits for an update of the duplicate that holds its row, then
// reads it as committed: the kept lead takes the updated value. An update
// that comes after the merge finds no duplicate (NOT_FOUND).
func TestMergeLeadWhileDuplicateIsUpdated(t *testing.T) {
	e := newEnv(t)
	kept := e.createLead(&crmv1.Lead{Name: "Ana", Email: "ana@x.example"})
	dup := e.createLeadAgain(&crmv1.Lead{Name: "Ana L", Email: "ana@x.example", Phone: "111"})

	tx, err := e.db.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, dup.Id); err != nil {
		t.Fatal(err)
	}
	type result struct {
		l   *crmv1.Lead
		err error
	}
	done := make(chan result, 1)
	go func() {
		l, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: kept.Id, DuplicateId: dup.Id})
		done <- result{l, err}
	}()
	// Wait until the merge waits for the row.
	deadline := time.Now().Add(10 * time.Second)
	for e.count(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()`) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the merge never waited for the duplicate")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := tx.Exec(t.Context(), `UPDATE leads SET phone = '222', version = version + 1 WHERE id = $1`, dup.Id); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil || r.l.Phone != "222" {
		t.Fatalf("merge after the update: %v %v", r.l, r.err)
	}
	_, err = e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: dup.Id, Name: "X"}})
	wantCode(t, err, codes.NotFound)
}

// Every call naming a lead merged away, not only a get, is NOT_FOUND
// naming the lead it went into, so a client working from a stale list
// (an update, a conversion, a deletion, another merge) learns where the
// data is now.
func TestCallsOnAMergedLeadNameTheKeptLead(t *testing.T) {
	e := newEnv(t)
	kept := e.createLead(&crmv1.Lead{Name: "Ana", Email: "ana@x.example"})
	dup := e.createLead(&crmv1.Lead{Name: "A.", Email: "a@x.example", Company: "Acme"})
	other := e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@x.example"})
	if _, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: kept.Id, DuplicateId: dup.Id}); err != nil {
		t.Fatal(err)
	}
	want := "merged into lead \"" + kept.Id + "\""
	for name, call := range map[string]func() error{
		"update": func() error {
			_, err := e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{
				Lead: &crmv1.Lead{Id: dup.Id, Title: "CTO"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
			})
			return err
		},
		"delete": func() error {
			_, err := e.leads.DeleteLead(e.sales(), &crmv1.DeleteLeadRequest{Id: dup.Id})
			return err
		},
		"convert": func() error {
			_, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: dup.Id})
			return err
		},
		"merge into it": func() error {
			_, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: dup.Id, DuplicateId: other.Id})
			return err
		},
		"merge it into another": func() error {
			_, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: other.Id, DuplicateId: dup.Id})
			return err
		},
	} {
		err := call()
		wantCode(t, err, codes.NotFound)
		if msg := status.Convert(err).Message(); !strings.Contains(msg, " not found: it was "+want) {
			t.Errorf("%s: %q, want it to name the lead it went into", name, msg)
		}
	}
}
