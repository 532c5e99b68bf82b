package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A contact's external_id is stored without surrounding white space and
// shown, blank is none, it is written by create and by an update naming
// it, and it is in the contact's events.
func TestContactExternalID(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	c := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Ana Lima", Email: "ana@acme.example", ExternalId: "  P-1 "})
	if c.GetExternalId() != "P-1" {
		t.Fatalf("created with external_id %q, want it trimmed to P-1", c.GetExternalId())
	}
	got, err := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: c.Id})
	if err != nil || got.GetExternalId() != "P-1" {
		t.Fatalf("read back %v, %v", got, err)
	}
	// Blank is no external id: two contacts may have none.
	for _, blank := range []string{"", "   "} {
		b := e.createContact(&crmv1.Contact{Name: "No Key", ExternalId: blank})
		if b.GetExternalId() != "" {
			t.Fatalf("blank %q stored as %q", blank, b.GetExternalId())
		}
	}
	if n := e.count(`SELECT count(*) FROM contacts WHERE external_id IS NULL`); n != 2 {
		t.Fatalf("%d contacts without an external_id stored as NULL, want 2", n)
	}

	// An update naming the field changes it; one without it keeps it.
	c.ExternalId = " P-2\t"
	upd, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: c, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
	if err != nil || upd.GetExternalId() != "P-2" || upd.Etag != "2" {
		t.Fatalf("update = %v, %v", upd, err)
	}
	upd.Title = "CEO"
	upd.ExternalId = "ignored"
	upd, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}}})
	if err != nil || upd.GetExternalId() != "P-2" || upd.Title != "CEO" {
		t.Fatalf("update of the title = %v, %v", upd, err)
	}
	if n := e.count(`SELECT count(*) FROM outbox_events WHERE type = 'contact.updated' AND payload->>'external_id' = 'P-2'`); n != 2 {
		t.Fatalf("%d contact.updated events carry external_id P-2, want 2", n)
	}
	// Clearing it with a blank value.
	upd.ExternalId = " "
	upd, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: upd, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}})
	if err != nil || upd.GetExternalId() != "" || e.count(`SELECT count(*) FROM contacts WHERE id = $1 AND external_id IS NULL`, c.Id) != 1 {
		t.Fatalf("clearing = %v, %v", upd, err)
	}

	_, err = e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Long", ExternalId: strings.Repeat("x", 201)}})
	if f := violations(t, err); !slices.Equal(f, []string{"contact.external_id"}) {
		t.Fatalf("too long: violations %v", f)
	}
}

// external_id is unique among all contacts, whatever account they are
// at: a create or an update that takes another contact's id is
// ALREADY_EXISTS naming that contact (a google.rpc.ResourceInfo), even
// with force, and writes nothing.
func TestContactExternalIDConflict(t *testing.T) {
	e := newEnv(t)
	a, b := e.createAccount("Acme"), e.createAccount("Globex")
	holder := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Ana", Email: "ana@acme.example", ExternalId: "P-1"})
	before := e.rows()
	_, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{
		Contact: &crmv1.Contact{AccountId: b.Id, Name: "Bo", Email: "bo@globex.example", ExternalId: " P-1 "}, Force: true,
	})
	wantCode(t, err, codes.AlreadyExists)
	wantContactHolder(t, err, holder.Id)
	if after := e.rows(); after != before {
		t.Fatalf("a rejected create wrote rows: %v -> %v", before, after)
	}

	other := e.createContact(&crmv1.Contact{AccountId: b.Id, Name: "Bo", Email: "bo@globex.example"})
	other.ExternalId = "P-1"
	before = e.rows()
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: other, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"external_id"}}, Force: true})
	wantCode(t, err, codes.AlreadyExists)
	wantContactHolder(t, err, holder.Id)
	if after := e.rows(); after != before {
		t.Fatalf("a rejected update wrote rows: %v -> %v", before, after)
	}
	if got, _ := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: other.Id}); got.GetExternalId() != "" || got.Etag != "1" {
		t.Fatalf("the rejected update changed the contact: %v", got)
	}
	// The holder keeps it on updates of its own.
	holder.Title = "CEO"
	if _, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: holder}); err != nil {
		t.Fatalf("the holder's update: %v", err)
	}
}

// A list filters contacts by external_id.
func TestListContactsByExternalID(t *testing.T) {
	e := newEnv(t)
	want := e.createContact(&crmv1.Contact{Name: "Ana", ExternalId: "P-1"})
	e.createContact(&crmv1.Contact{Name: "Bo", ExternalId: "P-2"})
	e.createContact(&crmv1.Contact{Name: "Cy"})
	resp, err := e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{Filter: `external_id = "P-1"`})
	if err != nil || len(resp.Contacts) != 1 || resp.Contacts[0].Id != want.Id || resp.Contacts[0].ExternalId != "P-1" {
		t.Fatalf("by external_id: %v %v", resp, err)
	}
	resp, err = e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{Filter: `external_id = "P-3"`})
	if err != nil || len(resp.Contacts) != 0 {
		t.Fatalf("unknown external_id: %v %v", resp, err)
	}
}

// wantContactHolder fails unless err names the contact id in its message
// and in a ResourceInfo detail.
func wantContactHolder(t *testing.T, err error, id string) {
	t.Helper()
	ri := resourceInfo(t, err)
	if ri.GetResourceType() != "crm.v1.Contact" || ri.GetResourceName() != "contacts/"+id || !strings.Contains(ri.GetDescription(), id) {
		t.Errorf("resource info %v does not name contacts/%s", ri, id)
	}
	if msg := err.Error(); !strings.Contains(msg, id) || !strings.Contains(msg, "external_id") {
		t.Errorf("message %q does not name contact %s and its external_id", msg, id)
	}
}
