package postgres_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
)

// memberPayloads encodes a member event as its id and version.
type memberPayloads struct{}

func (memberPayloads) EncodeCampaignMember(m campaign.Member) ([]byte, error) {
	return fmt.Appendf(nil, `{"id":%q,"etag":"%d"}`, m.ID, m.Version), nil
}

func (f fixture) newCampaign(t *testing.T, name string) campaign.Campaign {
	t.Helper()
	c := campaign.Campaign{ID: newID(t), Name: name, Status: campaign.StatusActive, Version: 1, CreateTime: now, UpdateTime: now}
	got, err := f.store.CreateCampaign(t.Context(), "", campaign.MethodCreate, c, campaign.Event{Type: campaign.EventCreated, Key: c.ID, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// addMember makes contactID or leadID a member of campaignID, RESPONDED at
// responded unless it is zero.
func (f fixture) addMember(t *testing.T, campaignID, contactID, leadID string, responded time.Time) campaign.Member {
	t.Helper()
	m := campaign.Member{ID: newID(t), CampaignID: campaignID, ContactID: contactID, LeadID: leadID, Status: campaign.MemberStatusSent,
		Version: 1, CreateTime: now, UpdateTime: now}
	if !responded.IsZero() {
		m.Status, m.RespondTime = campaign.MemberStatusResponded, responded
	}
	got, err := f.store.CreateCampaignMember(t.Context(), "", campaign.MethodCreateMember, m,
		campaign.Event{Type: campaign.MemberEventCreated, Key: m.ID, Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func (f fixture) newContact(t *testing.T, email string) contact.Contact {
	t.Helper()
	c := contact.Contact{ID: newID(t), Name: "Ana", Email: email, Version: 1, CreateTime: now, UpdateTime: now}
	got, err := f.store.CreateContact(t.Context(), "", contact.MethodCreate, c, contact.Event{Type: contact.EventCreated, Key: c.ID, Payload: []byte(`{}`)}, true)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// checkMemberCounts fails unless every campaign's counters equal what
// campaign_members holds.
func (f fixture) checkMemberCounts(t *testing.T) {
	t.Helper()
	if n := f.count(t, `SELECT count(*) FROM campaigns c WHERE member_count <> (SELECT count(*) FROM campaign_members WHERE campaign_id = c.id)
OR responded_count <> (SELECT count(*) FROM campaign_members WHERE campaign_id = c.id AND status = 'responded')`); n != 0 {
		t.Errorf("%d campaigns' member counts differ from their members", n)
	}
}

// convertWithMembers converts l to the contact found (or a new one) with
// the conversion's transfer of memberships, calling before first on each
// run of the transaction; it returns what the last run found.
func (f fixture) convertWithMembers(t *testing.T, l lead.Lead, clock time.Time, before func(lead.Found)) lead.Found {
	t.Helper()
	seen, err := f.convertLead(t, l, clock, before)
	if err != nil {
		t.Fatal(err)
	}
	return seen
}

// convertLead is convertWithMembers returning its error, for goroutines.
func (f fixture) convertLead(t *testing.T, l lead.Lead, clock time.Time, before func(lead.Found)) (lead.Found, error) {
	members := campaign.NewMembers(f.store, memberPayloads{}, func() time.Time { return clock })
	var seen lead.Found
	_, err := f.store.ConvertLead(t.Context(), l.ID, "", lead.MethodConvert, lead.Lookup{}, func(cur lead.Lead, found lead.Found) (lead.Conversion, error) {
		seen = found
		if before != nil {
			before(found)
		}
		var c lead.Conversion
		contactID := found.ContactID
		if contactID == "" {
			p := contact.Contact{ID: newID(t), Name: cur.Name, Email: cur.Email, Version: 1, CreateTime: clock, UpdateTime: clock}
			c.Contact, c.ContactEvent, contactID = &p, contact.Event{Type: contact.EventCreated, Key: p.ID, Payload: []byte(`{}`)}, p.ID
		}
		var err error
		if c.Members, err = members.Transfer(found.LeadMembers, found.ContactMembers, contactID); err != nil {
			return lead.Conversion{}, err
		}
		next := cur
		next.Status, next.ConvertedContactID, next.Version = lead.StatusConverted, contactID, cur.Version+1
		c.Lead, c.LeadEvent = next, lead.Event{Type: lead.EventConverted, Key: l.ID, Payload: []byte(`{}`)}
		return c, nil
	})
	return seen, err
}

func memberIDs(list []campaign.Member) []string {
	out := make([]string, len(list))
	for i, m := range list {
		out[i] = m.ID
	}
	return out
}

// Converting a lead moves its memberships to the contact it matches: a
// membership in a campaign the contact is not in keeps its id, status and
// times; where the contact is in the campaign, the contact's stays (taking
// the lead's response when only the lead had responded) and the lead's is
// deleted. The counters follow, and each change records its event before
// the lead's.
func TestConvertLeadMovesCampaignMembers(t *testing.T) {
	f := newFixture(t)
	spring, autumn, winter, summer, other := f.newCampaign(t, "Spring"), f.newCampaign(t, "Autumn"),
		f.newCampaign(t, "Winter"), f.newCampaign(t, "Summer"), f.newCampaign(t, "Other")
	ana := f.newContact(t, "ana@acme.example")
	l := newLead(t, f, "Acme", "ana@acme.example")
	t1, t2 := now.Add(time.Hour), now.Add(2*time.Hour)

	moved := f.addMember(t, spring.ID, "", l.ID, t1)      // the contact is not in spring
	leadAutumn := f.addMember(t, autumn.ID, "", l.ID, t1) // responded; the contact's did not
	anaAutumn := f.addMember(t, autumn.ID, ana.ID, "", time.Time{})
	leadWinter := f.addMember(t, winter.ID, "", l.ID, time.Time{}) // the contact's responded
	anaWinter := f.addMember(t, winter.ID, ana.ID, "", t2)
	leadSummer := f.addMember(t, summer.ID, "", l.ID, time.Time{}) // neither responded
	anaSummer := f.addMember(t, summer.ID, ana.ID, "", time.Time{})
	anaOther := f.addMember(t, other.ID, ana.ID, "", time.Time{}) // not the lead's campaign
	events := f.count(t, `SELECT count(*) FROM outbox_events`)

	later := now.Add(24 * time.Hour)
	found := f.convertWithMembers(t, l, later, nil)
	if got, want := memberIDs(found.LeadMembers), sortedIDs(moved.ID, leadAutumn.ID, leadWinter.ID, leadSummer.ID); !cmp.Equal(got, want) {
		t.Errorf("lead members %v, want %v", got, want)
	}
	if got, want := memberIDs(found.ContactMembers), sortedIDs(anaAutumn.ID, anaWinter.ID, anaSummer.ID); !cmp.Equal(got, want) {
		t.Errorf("contact members %v, want %v (none of other campaigns)", got, want)
	}

	if n := f.count(t, `SELECT count(*) FROM campaign_members WHERE lead_id = $1`, l.ID); n != 0 {
		t.Errorf("%d memberships of the converted lead left", n)
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_members WHERE id = ANY($1::uuid[])`, []string{leadAutumn.ID, leadWinter.ID, leadSummer.ID}); n != 0 {
		t.Errorf("%d of the lead's memberships in the contact's campaigns left", n)
	}
	get := func(m campaign.Member) campaign.Member {
		t.Helper()
		list, _, err := f.store.ListCampaignMembers(t.Context(), campaign.MemberQuery{CampaignID: m.CampaignID, Equal: map[string]string{}, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range list {
			if got.ID == m.ID {
				return got
			}
		}
		t.Fatalf("member %s gone", m.ID)
		return campaign.Member{}
	}
	want := moved
	want.ContactID, want.LeadID, want.Version, want.UpdateTime = ana.ID, "", 2, later
	if diff := cmp.Diff(want, get(moved)); diff != "" {
		t.Errorf("moved membership (-want +got):\n%s", diff)
	}
	want = anaAutumn
	want.Status, want.RespondTime, want.Version, want.UpdateTime = campaign.MemberStatusResponded, t1, 2, later
	if diff := cmp.Diff(want, get(anaAutumn)); diff != "" {
		t.Errorf("contact's membership taking the lead's response (-want +got):\n%s", diff)
	}
	for _, m := range []campaign.Member{anaWinter, anaSummer, anaOther} {
		if diff := cmp.Diff(m, get(m)); diff != "" {
			t.Errorf("contact's membership changed (-want +got):\n%s", diff)
		}
	}
	f.checkMemberCounts(t)
	for _, c := range []struct {
		campaign     campaign.Campaign
		n, responded int64
	}{{spring, 1, 1}, {autumn, 1, 1}, {winter, 1, 1}, {summer, 1, 0}, {other, 1, 0}} {
		got, err := f.store.GetCampaign(t.Context(), c.campaign.ID)
		if err != nil || got.Members != c.n || got.RespondedMembers != c.responded {
			t.Errorf("%s counts %d %d (%v), want %d %d", c.campaign.Name, got.Members, got.RespondedMembers, err, c.n, c.responded)
		}
	}

	var got []string
	rows, err := f.pool.Query(t.Context(), `SELECT type || ' ' || key FROM outbox_events ORDER BY id OFFSET $1`, events)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		got = append(got, s)
	}
	var wantEvents []string
	for _, m := range found.LeadMembers {
		switch m.ID {
		case moved.ID:
			wantEvents = append(wantEvents, "campaign_member.updated "+m.ID)
		case leadAutumn.ID:
			wantEvents = append(wantEvents, "campaign_member.deleted "+m.ID, "campaign_member.updated "+anaAutumn.ID)
		default:
			wantEvents = append(wantEvents, "campaign_member.deleted "+m.ID)
		}
	}
	wantEvents = append(wantEvents, "lead.converted "+l.ID)
	if diff := cmp.Diff(wantEvents, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}

// A contact that joins one of the lead's campaigns after the conversion
// read the memberships (here between the reads and the writes) makes the
// conversion run again, which then keeps the contact's membership.
func TestConvertLeadRetriesWhenTheContactJoinsACampaign(t *testing.T) {
	f := newFixture(t)
	spring := f.newCampaign(t, "Spring")
	ana := f.newContact(t, "ana@acme.example")
	l := newLead(t, f, "Acme", "ana@acme.example")
	f.addMember(t, spring.ID, "", l.ID, now.Add(time.Hour))
	runs := 0
	var joined campaign.Member
	found := f.convertWithMembers(t, l, now.Add(24*time.Hour), func(lead.Found) {
		runs++
		if runs == 1 {
			joined = f.addMember(t, spring.ID, ana.ID, "", time.Time{})
		}
	})
	if runs != 2 || len(found.ContactMembers) != 1 || found.ContactMembers[0].ID != joined.ID {
		t.Fatalf("%d runs, last found %+v; want 2 runs finding the contact's membership", runs, found.ContactMembers)
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_members WHERE campaign_id = $1 AND contact_id = $2 AND status = 'responded'`, spring.ID, ana.ID); n != 1 {
		t.Errorf("contact's responded memberships %d, want 1", n)
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_members`); n != 1 {
		t.Errorf("%d memberships, want 1", n)
	}
	f.checkMemberCounts(t)
}

// A lead converted into a new contact hands it all of its memberships.
func TestConvertLeadToNewContactMovesCampaignMembers(t *testing.T) {
	f := newFixture(t)
	spring, autumn := f.newCampaign(t, "Spring"), f.newCampaign(t, "Autumn")
	l := newLead(t, f, "Newco", "bo@newco.example")
	a := f.addMember(t, spring.ID, "", l.ID, now.Add(time.Hour))
	b := f.addMember(t, autumn.ID, "", l.ID, time.Time{})
	f.convertWithMembers(t, l, now.Add(24*time.Hour), nil)
	got, err := f.store.GetLead(t.Context(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_members WHERE id = ANY($1::uuid[]) AND contact_id = $2 AND lead_id IS NULL AND version = 2`,
		[]string{a.ID, b.ID}, got.ConvertedContactID); n != 2 {
		t.Errorf("%d memberships moved to the new contact %s, want 2", n, got.ConvertedContactID)
	}
	f.checkMemberCounts(t)
}

// sortedIDs returns ids in the database's uuid order (their text's).
func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return ids
}

// campaignPayloads encodes a campaign event as its id and version.
type campaignPayloads struct{}

func (campaignPayloads) EncodeCampaign(c campaign.Campaign) ([]byte, error) {
	return fmt.Appendf(nil, `{"id":%q,"etag":"%d"}`, c.ID, c.Version), nil
}

// A campaign deleted while its members are being updated and removed,
// and a lead of its members converted, takes its locks in the order they
// do (the campaign's key, then the members'), so none waits on another in
// a cycle: every call ends done or NOT_FOUND, and PostgreSQL detects no
// deadlock (pg.InTx would run a deadlocked transaction again out of
// sight; the tracer counts them).
func TestDeleteCampaignWithConcurrentMemberWrites(t *testing.T) {
	f := newFixture(t)
	clock := func() time.Time { return now }
	members := campaign.NewMembers(f.store, memberPayloads{}, clock)
	campaigns := campaign.NewService(f.store, campaignPayloads{}, members, clock)
	const rounds, size, writers = 25, 6, 3
	contacts := make([]string, size)
	for i := range contacts {
		contacts[i] = f.newContact(t, fmt.Sprintf("c%d@example.com", i)).ID
	}
	expected := func(err error) bool { return err == nil || errs.KindOf(err) == errs.NotFound }
	for round := range rounds {
		c := f.newCampaign(t, fmt.Sprintf("Round %d", round))
		ms := make([]campaign.Member, size)
		for i, id := range contacts {
			ms[i] = f.addMember(t, c.ID, id, "", time.Time{})
		}
		l := newLead(t, f, fmt.Sprintf("Lead %d", round), fmt.Sprintf("lead%d@example.com", round))
		f.addMember(t, c.ID, "", l.ID, time.Time{})
		var wg sync.WaitGroup
		wg.Go(func() {
			if _, err := f.convertLead(t, l, now, nil); err != nil {
				t.Errorf("round %d: convert lead: %v", round, err)
			}
		})
		started := make(chan struct{}, writers)
		for w := range writers {
			wg.Go(func() {
				for n := 0; ; n++ {
					m := ms[(n+w*size/writers)%size]
					st := campaign.MemberStatusResponded
					if (n/size+w)%2 == 1 {
						st = campaign.MemberStatusSent
					}
					var err error
					if w == 0 && n == size {
						err = members.Delete(t.Context(), c.ID, m.ID, "")
					} else {
						_, err = members.Update(t.Context(), c.ID, m.ID, campaign.MemberInput{Status: st}, "")
					}
					if n == 0 {
						started <- struct{}{}
					}
					if !expected(err) {
						t.Errorf("round %d: member write: %v", round, err)
						return
					}
					if err != nil && n >= size {
						return // the campaign is gone
					}
				}
			})
		}
		wg.Go(func() {
			<-started
			if err := campaigns.Delete(t.Context(), c.ID, ""); err != nil {
				t.Errorf("round %d: delete campaign: %v", round, err)
			}
		})
		wg.Wait()
		if t.Failed() || f.tracer.deadlocks.Load() > 0 {
			break
		}
		if n := f.count(t, `SELECT count(*) FROM campaign_members WHERE campaign_id = $1`, c.ID); n != 0 {
			t.Fatalf("round %d: %d members of the deleted campaign left", round, n)
		}
	}
	if n := f.tracer.deadlocks.Load(); n != 0 {
		t.Errorf("%d deadlocks between the campaign's deletion and its members' writes", n)
	}
}

// Adding a lead to a campaign while the lead is being converted waits for
// the conversion and is then refused, naming the contact: no membership
// is left on the converted lead, where the conversion would not have
// moved it.
func TestAddingLeadDuringItsConversionIsRefused(t *testing.T) {
	f := newFixture(t)
	spring := f.newCampaign(t, "Spring")
	l := newLead(t, f, "Newco", "bo@newco.example")
	added := make(chan error, 1)
	f.convertWithMembers(t, l, now.Add(time.Hour), func(lead.Found) {
		go func() {
			m := campaign.Member{ID: newID(t), CampaignID: spring.ID, LeadID: l.ID, Status: campaign.MemberStatusSent, Version: 1, CreateTime: now, UpdateTime: now}
			_, err := f.store.CreateCampaignMember(t.Context(), "", campaign.MethodCreateMember, m,
				campaign.Event{Type: campaign.MemberEventCreated, Key: m.ID, Payload: []byte(`{}`)})
			added <- err
		}()
		// The add waits for the conversion's lock of the lead.
		deadline := time.Now().Add(10 * time.Second)
		for f.count(t, `SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`) == 0 {
			if time.Now().After(deadline) {
				t.Fatal("the add did not wait for the conversion")
			}
			time.Sleep(10 * time.Millisecond)
		}
	})
	converted, err := f.store.GetLead(t.Context(), l.ID)
	if err != nil {
		t.Fatal(err)
	}
	err = <-added
	if errs.KindOf(err) != errs.FailedPrecondition || !strings.Contains(err.Error(), converted.ConvertedContactID) {
		t.Fatalf("add during the conversion: %v, want FAILED_PRECONDITION naming contact %s", err, converted.ConvertedContactID)
	}
	if n := f.count(t, `SELECT count(*) FROM campaign_members`); n != 0 {
		t.Errorf("%d memberships, want none", n)
	}
	f.checkMemberCounts(t)
}
