package api_test

import (
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// Deleting the opportunity, contact or account a lead was converted into
// clears the lead's link as an update of the lead, in the deletion's
// transaction: a new version and update time, and a lead.updated event
// before the deletion's. Leads converted into other records stay as they
// are.
func TestDeletingConvertedRecordsUpdatesLeads(t *testing.T) {
	e := newEnv(t)
	acme, other := e.createAccount("Acme"), e.createAccount("Other")
	convert := func(name, email, accountID string, withOpportunity bool) *crmv1.Lead {
		t.Helper()
		// Ana comes in twice: her second lead is created with force.
		l := e.createLeadAgain(&crmv1.Lead{Name: name, Email: email, Owner: "alice"})
		req := &crmv1.ConvertLeadRequest{Id: l.Id, AccountId: accountID}
		if withOpportunity {
			req.Opportunity = &crmv1.LeadOpportunity{Name: "x", CurrencyCode: "EUR"}
		}
		conv, err := e.leads.ConvertLead(e.sales(), req)
		if err != nil {
			t.Fatalf("convert %s: %v", name, err)
		}
		return conv
	}
	// Both take the oldest contact with the email, made by the first.
	first := convert("Ana", "ana@acme.example", acme.Id, true)
	second := convert("Ana again", "ana@acme.example", acme.Id, false)
	bystander := convert("Bo", "bo@other.example", other.Id, true)
	if first.ConvertedOpportunityId == "" || second.ConvertedContactId != first.ConvertedContactId {
		t.Fatalf("converted %v and %v", first, second)
	}

	get := func(id string) *crmv1.Lead {
		t.Helper()
		l, err := e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: id})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	// check deletes with del and wants each of leads (as read before)
	// written once more, with link cleared as edit clears it, its
	// lead.updated event before the deletion's (of type deleted).
	check := func(what, deleted string, del func() error, edit func(*crmv1.Lead), leads ...*crmv1.Lead) []*crmv1.Lead {
		t.Helper()
		n := len(e.feed(e.rows().events))
		if err := del(); err != nil {
			t.Fatalf("delete %s: %v", what, err)
		}
		// One transaction: its events are served together.
		evs := e.feed(n + 1)[n:]
		if len(evs) != len(leads)+1 || evs[len(evs)-1].Type != deleted {
			t.Errorf("delete %s: events %v, want %d lead.updated and %s", what, evs, len(leads), deleted)
		}
		var out []*crmv1.Lead
		for i, before := range leads {
			got := get(before.Id)
			want := proto.Clone(before).(*crmv1.Lead)
			edit(want)
			if got.ConvertedAccountId != want.ConvertedAccountId || got.ConvertedContactId != want.ConvertedContactId ||
				got.ConvertedOpportunityId != want.ConvertedOpportunityId || got.Status != crmv1.LeadStatus_LEAD_STATUS_CONVERTED {
				t.Errorf("delete %s: lead %v, want links %v", what, got, want)
			}
			version, err := strconv.ParseInt(before.Etag, 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			version++
			if got.Etag != strconv.FormatInt(version, 10) || !got.UpdateTime.AsTime().After(before.UpdateTime.AsTime()) {
				t.Errorf("delete %s: lead etag %s update time %v, was %s %v", what, got.Etag, got.UpdateTime.AsTime(), before.Etag, before.UpdateTime.AsTime())
			}
			out = append(out, got)
			if i >= len(evs)-1 {
				continue // reported above
			}
			ev := evs[i]
			if ev.Type != "lead.updated" || ev.Key != got.Id || ev.Version != version {
				t.Errorf("delete %s: event %d %v, want lead.updated of %s at %s", what, i, ev, got.Id, got.Etag)
			}
			if p := ev.GetLead(); p == nil || p.Etag != got.Etag || p.ConvertedAccountId != got.ConvertedAccountId ||
				p.ConvertedContactId != got.ConvertedContactId || p.ConvertedOpportunityId != got.ConvertedOpportunityId {
				t.Errorf("delete %s: event payload %v, want %v", what, p, got)
			}
		}
		return out
	}

	// The opportunity: only the first lead names it.
	first = check("opportunity", "opportunity.deleted", func() error {
		_, err := e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: first.ConvertedOpportunityId})
		return err
	}, func(l *crmv1.Lead) { l.ConvertedOpportunityId = "" }, first)[0]

	// The contact: both leads name it (with no opportunity or activity of
	// its own, the events are the leads' and the contact's).
	leads := check("contact", "contact.deleted", func() error {
		_, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: first.ConvertedContactId})
		return err
	}, func(l *crmv1.Lead) { l.ConvertedContactId = "" }, first, second)
	first, second = leads[0], leads[1]

	// The account, with its contact and opportunity gone.
	leads = check("account", "account.deleted", func() error {
		_, err := e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: acme.Id})
		return err
	}, func(l *crmv1.Lead) { l.ConvertedAccountId = "" }, first, second)
	if leads[0].ConvertedAccountId != "" || leads[0].ConvertedContactId != "" || leads[0].ConvertedOpportunityId != "" {
		t.Fatalf("first lead keeps links: %v", leads[0])
	}

	// The lead converted into other records is untouched.
	if got := get(bystander.Id); got.Etag != bystander.Etag || got.ConvertedAccountId != other.Id ||
		got.ConvertedContactId != bystander.ConvertedContactId || got.ConvertedOpportunityId != bystander.ConvertedOpportunityId {
		t.Fatalf("bystander %v, was %v", got, bystander)
	}
}
