package api_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// resourceInfo returns the ResourceInfo detail of an ALREADY_EXISTS.
func resourceInfo(t *testing.T, err error) *errdetails.ResourceInfo {
	t.Helper()
	wantCode(t, err, codes.AlreadyExists)
	for _, d := range status.Convert(err).Details() {
		if ri, ok := d.(*errdetails.ResourceInfo); ok {
			return ri
		}
	}
	t.Fatalf("no ResourceInfo in %v", err)
	return nil
}

func (e *env) createContact(c *crmv1.Contact) *crmv1.Contact {
	e.t.Helper()
	got, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: c})
	if err != nil {
		e.t.Fatalf("create contact: %v", err)
	}
	return got
}

func TestContactLifecycle(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	ctx := e.as(auth.Service)

	c, err := e.contacts.CreateContact(ctx, &crmv1.CreateContactRequest{Contact: &crmv1.Contact{
		AccountId: a.Id, Name: "Ana Lima", Email: " ana@acme.example ", Phone: "+49 (30) 123-45", Title: "Head of Purchasing",
		Role: "decision maker", Owner: "alice", Id: "forged", Etag: "9",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Id == "forged" || c.Etag != "1" || c.Email != "ana@acme.example" || c.AccountId != a.Id || c.Role != "decision maker" {
		t.Fatalf("created %v", c)
	}
	got, err := e.contacts.GetContact(e.as(auth.Finance), &crmv1.GetContactRequest{Id: c.Id})
	if err != nil || !proto.Equal(got, c) {
		t.Fatalf("get %v %v, want %v", got, err, c)
	}

	up, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact:    &crmv1.Contact{Id: c.Id, Title: "CFO", Name: "ignored", Etag: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title", "etag", "create_time"}},
	})
	if err != nil || up.Title != "CFO" || up.Name != "Ana Lima" || up.Etag != "2" {
		t.Fatalf("update %v %v", up, err)
	}
	same, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: c.Id, Title: "CFO"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
	})
	if err != nil || same.Etag != "2" {
		t.Fatalf("no-op update %v %v", same, err)
	}

	before := e.rows()
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: c.Id, Title: "Lost", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
	})
	wantCode(t, err, codes.Aborted)
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact:    &crmv1.Contact{Id: c.Id, Email: "not an email", Phone: "call me", AccountId: "x"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email", "phone", "account_id", "name"}},
	})
	if f := violations(t, err); !slices.Equal(f, []string{"contact.email", "contact.phone", "contact.account_id", "contact.name"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: c.Id, AccountId: "01900000-0000-7000-8000-000000000001"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"account_id"}},
	})
	if f := violations(t, err); !slices.Equal(f, []string{"contact.account_id"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: c.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"colour"}},
	})
	if f := violations(t, err); !slices.Equal(f, []string{"update_mask"}) {
		t.Fatalf("violations %v", f)
	}
	if after := e.rows(); after != before {
		t.Fatalf("rejected updates wrote: %+v -> %+v", before, after)
	}

	// An account with contacts cannot be deleted.
	_, err = e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: a.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(status.Convert(err).Message(), "contacts") {
		t.Fatalf("message %q does not say why", status.Convert(err).Message())
	}
	// Moving the contact off the account frees it.
	moved, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: c.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"account_id"}},
	})
	if err != nil || moved.AccountId != "" {
		t.Fatalf("detach: %v %v", moved, err)
	}
	if _, err := e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: a.Id}); err != nil {
		t.Fatal(err)
	}

	_, err = e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: c.Id, Etag: "1"})
	wantCode(t, err, codes.Aborted)
	if _, err := e.contacts.DeleteContact(e.sales(), &crmv1.DeleteContactRequest{Id: c.Id, Etag: moved.Etag}); err != nil {
		t.Fatal(err)
	}
	_, err = e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: c.Id})
	wantCode(t, err, codes.NotFound)
	_, err = e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: "nope"})
	wantCode(t, err, codes.InvalidArgument)

	for typ, want := range map[string]int{"contact.created": 1, "contact.updated": 2, "contact.deleted": 1} {
		if n := e.eventsOfType(typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
	evs := e.feed(6) // account created and deleted, contact created, updated twice, deleted
	if last := evs[len(evs)-1]; last.Type != "contact.deleted" || last.Key != c.Id || last.Version != 4 {
		t.Fatalf("last event %v", last)
	}
}

func TestCreateContactBadInput(t *testing.T) {
	e := newEnv(t)
	before := e.rows()
	tests := []struct {
		c    *crmv1.Contact
		want []string
	}{
		{&crmv1.Contact{}, []string{"contact.name"}},
		{&crmv1.Contact{Name: "  ", Email: "Ana <ana@x.example>", Phone: "12a", AccountId: "acme"},
			[]string{"contact.account_id", "contact.name", "contact.email", "contact.phone"}},
		{&crmv1.Contact{Name: strings.Repeat("n", 201), Title: strings.Repeat("t", 201), Role: strings.Repeat("r", 201), Owner: strings.Repeat("o", 201), Phone: strings.Repeat("1", 51)},
			[]string{"contact.name", "contact.phone", "contact.title", "contact.role", "contact.owner"}},
		{&crmv1.Contact{Name: "Ana", AccountId: "01900000-0000-7000-8000-000000000001"}, []string{"contact.account_id"}},
	}
	for i, tc := range tests {
		_, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: tc.c})
		if f := violations(t, err); !slices.Equal(f, tc.want) {
			t.Errorf("case %d: violations %v, want %v", i, f, tc.want)
		}
	}
	_, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana"}, RequestId: strings.Repeat("r", 201)})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.contacts.CreateContact(e.as(auth.Finance), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana"}})
	wantCode(t, err, codes.PermissionDenied)
	if after := e.rows(); after != before {
		t.Fatalf("rejected creates wrote: %+v -> %+v", before, after)
	}
}

func TestContactDuplicates(t *testing.T) {
	e := newEnv(t)
	first := e.createContact(&crmv1.Contact{Name: "Ana", Email: "Ana@Acme.example"})
	before := e.rows()
	_, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana L.", Email: "ana@acme.EXAMPLE"}})
	ri := resourceInfo(t, err)
	if ri.ResourceName != "contacts/"+first.Id || ri.ResourceType != "crm.v1.Contact" || !strings.Contains(status.Convert(err).Message(), first.Id) {
		t.Fatalf("duplicate error %v names %v", err, ri)
	}
	if after := e.rows(); after != before {
		t.Fatalf("refused duplicate wrote: %+v -> %+v", before, after)
	}
	forced, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana L.", Email: "ana@acme.example"}, Force: true})
	if err != nil || forced.Id == first.Id {
		t.Fatalf("forced: %v %v", forced, err)
	}
	// Contacts without email are never duplicates of each other.
	e.createContact(&crmv1.Contact{Name: "Bo"})
	e.createContact(&crmv1.Contact{Name: "Bo"})

	// Concurrent creates with one new email: exactly one wins.
	const n = 6
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: fmt.Sprint("C", i), Email: "race@x.example"}})
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch status.Code(err) {
		case codes.OK:
			ok++
		case codes.AlreadyExists:
		default:
			t.Fatalf("concurrent create: %v", err)
		}
	}
	if ok != 1 || e.count(`SELECT count(*) FROM contacts WHERE email_key = 'race@x.example'`) != 1 {
		t.Fatalf("%d concurrent creates succeeded", ok)
	}
}

func TestCreateContactRetry(t *testing.T) {
	e := newEnv(t)
	req := &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana", Email: "ana@x.example"}, RequestId: "c-1"}
	first, err := e.contacts.CreateContact(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	// The retry returns the first result, not a duplicate error.
	again, err := e.contacts.CreateContact(e.sales(), req)
	if err != nil || !proto.Equal(again, first) {
		t.Fatalf("retry %v %v, want %v", again, err, first)
	}
	if after := e.rows(); after != before {
		t.Fatalf("retry wrote: %+v -> %+v", before, after)
	}
	_, err = e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "X"}, RequestId: "c-1"})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Fatalf("violations %v", f)
	}
}

func TestListContacts(t *testing.T) {
	e := newEnv(t)
	a, b := e.createAccount("A"), e.createAccount("B")
	var atA []string
	for i := range 7 {
		acc := b.Id
		if i%2 == 0 {
			acc = a.Id
		}
		c := e.createContact(&crmv1.Contact{AccountId: acc, Name: fmt.Sprint("P", i), Email: fmt.Sprintf("p%d@x.example", i), Owner: "alice"})
		if acc == a.Id {
			atA = append(atA, c.Id)
		}
	}
	var seen []string
	tok := ""
	for {
		resp, err := e.contacts.ListContacts(e.as(auth.Integration), &crmv1.ListContactsRequest{PageSize: 3, PageToken: tok, Filter: `account_id = "` + a.Id + `"`})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range resp.Contacts {
			seen = append(seen, c.Id)
		}
		if tok = resp.NextPageToken; tok == "" {
			break
		}
	}
	if !slices.Equal(seen, atA) {
		t.Fatalf("contacts of A %v, want %v", seen, atA)
	}
	resp, err := e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{Filter: `email = "P3@X.example" AND owner = "alice"`})
	if err != nil || len(resp.Contacts) != 1 || resp.Contacts[0].Name != "P3" {
		t.Fatalf("by email: %v %v", resp, err)
	}
	for _, bad := range []string{`account_id = "x"`, `name = "P1"`, `email > "a"`} {
		_, err := e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{Filter: bad})
		if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
			t.Fatalf("%s: violations %v", bad, f)
		}
	}
	_, err = e.contacts.ListContacts(e.as(auth.Warehouse), &crmv1.ListContactsRequest{})
	wantCode(t, err, codes.PermissionDenied)
}
