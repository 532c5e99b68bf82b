package postgres_test

import (
	"testing"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
)

func newLead(t *testing.T, f fixture, company, email string) lead.Lead {
	t.Helper()
	l := lead.Lead{ID: newID(t), Name: "Ana", Company: company, Email: email, Status: lead.StatusNew, Version: 1, CreateTime: now, UpdateTime: now}
	got, err := f.store.CreateLead(t.Context(), "", lead.MethodCreate, l, lead.Event{Type: lead.EventCreated, Key: l.ID, Payload: []byte(`{}`)}, false)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// A conversion writes all of its records or none: when the last write
// fails (here an opportunity on an account that does not exist), the new
// account, contact and the lead's change are rolled back with it.
func TestConvertLeadIsOneTransaction(t *testing.T) {
	f := newFixture(t)
	l := newLead(t, f, "Newco", "ana@newco.example")
	events := f.count(t, `SELECT count(*) FROM outbox_events`)
	_, err := f.store.ConvertLead(t.Context(), l.ID, "r1", lead.MethodConvert, lead.Lookup{}, func(cur lead.Lead, found lead.Found) (lead.Conversion, error) {
		if found.AccountID != "" || found.ContactID != "" {
			t.Errorf("found %+v in an empty database", found)
		}
		a := newAccount(newID(t), cur.Company)
		c := contact.Contact{ID: newID(t), AccountID: a.ID, Name: cur.Name, Email: cur.Email, Version: 1, CreateTime: now, UpdateTime: now}
		o := pipeline.Opportunity{ID: newID(t), AccountID: newID(t), Name: "Deal", Stage: pipeline.StageProspecting, Currency: "EUR",
			Amount: eur("0"), PaymentStatus: account.PaymentUnspecified, Version: 1, CreateTime: now, UpdateTime: now}
		next := cur
		next.Status, next.ConvertedAccountID, next.ConvertedContactID, next.Version = lead.StatusConverted, a.ID, c.ID, 2
		return lead.Conversion{
			Account: &a, AccountEvent: event(account.EventCreated, a.ID),
			Contact: &c, ContactEvent: contact.Event{Type: contact.EventCreated, Key: c.ID, Payload: []byte(`{}`)},
			Opportunity: &o, OpportunityEvent: pipeline.Event{Type: pipeline.EventCreated, Key: o.ID, Payload: []byte(`{}`)},
			Lead: next, LeadEvent: lead.Event{Type: lead.EventConverted, Key: l.ID, Payload: []byte(`{}`)},
		}, nil
	})
	if err == nil {
		t.Fatal("conversion with a bad opportunity succeeded")
	}
	for table, want := range map[string]int{"accounts": 0, "contacts": 0, "opportunities": 0, "idempotency_keys": 0, "outbox_events": events} {
		if n := f.count(t, `SELECT count(*) FROM `+table); n != want {
			t.Errorf("%d rows in %s after the failed conversion, want %d", n, table, want)
		}
	}
	got, err := f.store.GetLead(t.Context(), l.ID)
	if err != nil || got.Status != lead.StatusNew || got.Version != 1 {
		t.Fatalf("lead after the failed conversion: %+v %v", got, err)
	}
}

// The lookups find the oldest account with the lead's key and the oldest
// contact with its email.
func TestConvertLeadFinds(t *testing.T) {
	f := newFixture(t)
	first := newAccount(newID(t), "Acme")
	first.Website = "https://acme.example"
	second := newAccount(newID(t), "ACME")
	second.Website = "acme.example"
	for _, a := range []account.Account{first, second} {
		if _, err := f.store.CreateAccount(t.Context(), "", account.MethodCreate, a, event(account.EventCreated, a.ID), false); err != nil {
			t.Fatal(err)
		}
	}
	c := contact.Contact{ID: newID(t), Name: "Ana", Email: "Ana@Acme.example", Version: 1, CreateTime: now, UpdateTime: now}
	if _, err := f.store.CreateContact(t.Context(), "", contact.MethodCreate, c, contact.Event{Type: contact.EventCreated, Key: c.ID, Payload: []byte(`{}`)}, true); err != nil {
		t.Fatal(err)
	}
	l := newLead(t, f, "acme", "ana@acme.example")
	l.Website = "www.acme.example"
	if _, err := f.pool.Exec(t.Context(), `UPDATE leads SET website = $2 WHERE id = $1`, l.ID, l.Website); err != nil {
		t.Fatal(err)
	}
	var seen lead.Found
	_, err := f.store.ConvertLead(t.Context(), l.ID, "", lead.MethodConvert, lead.Lookup{}, func(cur lead.Lead, found lead.Found) (lead.Conversion, error) {
		seen = found
		next := cur
		next.Status, next.ConvertedAccountID, next.ConvertedContactID, next.Version = lead.StatusConverted, found.AccountID, found.ContactID, 2
		return lead.Conversion{Lead: next, LeadEvent: lead.Event{Type: lead.EventConverted, Key: l.ID, Payload: []byte(`{}`)}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen.AccountID != first.ID || seen.ContactID != c.ID {
		t.Fatalf("found %+v, want account %s contact %s", seen, first.ID, c.ID)
	}
}

// unlinker is a postgres.LeadUnlinker clearing the link at the next
// version, with an event naming the link.
type unlinker struct{}

func (unlinker) UnlinkAll(list []lead.Lead, link lead.Link) (lead.Unlinked, error) {
	var u lead.Unlinked
	for _, l := range list {
		if link == lead.LinkOpportunity {
			l.ConvertedOpportunityID = ""
		}
		l.Version++
		u.Leads = append(u.Leads, l)
		u.Events = append(u.Events, lead.Event{Type: lead.EventUpdated, Key: l.ID, Payload: []byte(`"` + string(link) + `"`)})
	}
	return u, nil
}

// Deleting an opportunity a lead was converted into writes the lead the
// store's LeadUnlinker returns, with its event, in the deletion's
// transaction; a store without one refuses the deletion rather than
// leave the foreign key to clear the link unseen.
func TestDeleteOpportunityUnlinksLeads(t *testing.T) {
	f := newFixture(t)
	acc := newID(t)
	f.seedAccount(t, acc)
	o := f.newOpportunity(t, newID(t), acc)
	l := newLead(t, f, "Acme", "ana@acme.example")
	if _, err := f.pool.Exec(t.Context(), `UPDATE leads SET status = 'converted', converted_opportunity_id = $2, version = 2 WHERE id = $1`, l.ID, o.ID); err != nil {
		t.Fatal(err)
	}
	del := func() error {
		return f.store.DeleteOpportunity(t.Context(), o.ID, func(pipeline.Opportunity, []activity.Activity) (pipeline.Deletion, error) {
			return pipeline.Deletion{Event: pipeline.Event{Type: pipeline.EventDeleted, Key: o.ID, Payload: []byte(`{}`)}}, nil
		})
	}
	events := f.count(t, `SELECT count(*) FROM outbox_events`)
	if err := del(); err == nil {
		t.Fatal("deletion without a LeadUnlinker succeeded")
	}
	if n := f.count(t, `SELECT count(*) FROM leads WHERE id = $1 AND converted_opportunity_id IS NOT NULL AND version = 2`, l.ID); n != 1 {
		t.Fatal("the refused deletion changed the lead")
	}
	f.store.SetLeadUnlinker(unlinker{})
	if err := del(); err != nil {
		t.Fatal(err)
	}
	got, err := f.store.GetLead(t.Context(), l.ID)
	if err != nil || got.ConvertedOpportunityID != "" || got.Version != 3 || got.Status != lead.StatusConverted {
		t.Fatalf("lead after the deletion: %+v %v", got, err)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox_events`); n != events+2 {
		t.Fatalf("%d events, want %d", n, events+2)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox_events WHERE type = 'lead.updated' AND key = $1`, l.ID); n != 1 {
		t.Fatalf("%d lead.updated events of the lead, want 1", n)
	}
}
