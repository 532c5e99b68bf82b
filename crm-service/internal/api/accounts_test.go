package api_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestAccountLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := e.sales()

	// Read-only fields sent on create are ignored.
	a, err := e.accounts.CreateAccount(ctx, &crmv1.CreateAccountRequest{Account: &crmv1.Account{
		Name: "Acme", Website: "acme.example", Industry: "machinery", Owner: "alice",
		ErpCustomerId: "C-FORGED", PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID,
		OpenBalance: eur("5.00"), Etag: "99", Id: "not-mine",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if a.Id == "not-mine" || a.ErpCustomerId != "" || a.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED || a.OpenBalance != nil || a.Etag != "1" {
		t.Fatalf("read-only fields were taken from the client: %v", a)
	}
	got, err := e.accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: a.Id})
	if err != nil || got.Name != "Acme" || got.Website != "https://acme.example" || !got.CreateTime.AsTime().Equal(a.CreateTime.AsTime()) {
		t.Fatalf("get: %v, %v", got, err)
	}

	// Update with the current etag, changing only the masked field.
	up, err := e.accounts.UpdateAccount(ctx, &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: a.Id, Name: "Acme GmbH", Industry: "ignored", Etag: a.Etag, ErpCustomerId: "C-FORGED"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "erp_customer_id"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if up.Name != "Acme GmbH" || up.Industry != "machinery" || up.Etag != "2" || up.ErpCustomerId != "" {
		t.Fatalf("update: %v", up)
	}

	// A stale etag is ABORTED and writes nothing.
	before := e.rows()
	_, err = e.accounts.UpdateAccount(ctx, &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: a.Id, Name: "Lost update", Etag: a.Etag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	})
	wantCode(t, err, codes.Aborted)
	if after := e.rows(); after != before {
		t.Fatalf("stale update wrote: %+v -> %+v", before, after)
	}
	if got, _ := e.accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: a.Id}); got.Name != "Acme GmbH" || got.Etag != "2" {
		t.Fatalf("after stale update: %v", got)
	}
	_, err = e.accounts.DeleteAccount(ctx, &crmv1.DeleteAccountRequest{Id: a.Id, Etag: "1"})
	wantCode(t, err, codes.Aborted)

	// Unknown mask fields and bad values name the field.
	_, err = e.accounts.UpdateAccount(ctx, &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: a.Id},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"colour", "name"}},
	})
	if f := violations(t, err); !slices.Equal(f, []string{"update_mask"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.accounts.UpdateAccount(ctx, &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: a.Id}})
	if f := violations(t, err); !slices.Equal(f, []string{"account.name"}) {
		t.Fatalf("violations %v", f)
	}

	// An account with opportunities cannot be deleted.
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	_, err = e.accounts.DeleteAccount(ctx, &crmv1.DeleteAccountRequest{Id: a.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if _, err := e.opportunities.DeleteOpportunity(ctx, &crmv1.DeleteOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.accounts.DeleteAccount(ctx, &crmv1.DeleteAccountRequest{Id: a.Id, Etag: "2"}); err != nil {
		t.Fatal(err)
	}
	_, err = e.accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: a.Id})
	wantCode(t, err, codes.NotFound)
	_, err = e.accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: "nope"})
	wantCode(t, err, codes.InvalidArgument)

	for typ, want := range map[string]int{"account.created": 1, "account.updated": 1, "account.deleted": 1} {
		if n := e.eventsOfType(typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
}

func TestCreateAccountRetry(t *testing.T) {
	e := newEnv(t)
	req := &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme"}, RequestId: "req-1"}
	first, err := e.accounts.CreateAccount(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	again, err := e.accounts.CreateAccount(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.Id != first.Id || again.Etag != first.Etag || again.Name != first.Name {
		t.Fatalf("retry returned %v, first %v", again, first)
	}
	if after := e.rows(); after != before || after.accounts != 1 || after.events != 1 {
		t.Fatalf("retry wrote: %+v -> %+v", before, after)
	}
	// The same request id for another method is a client error.
	_, err = e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{
		RequestId: "req-1", Opportunity: &crmv1.Opportunity{AccountId: first.Id, Name: "x", CurrencyCode: "EUR"},
	})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Fatalf("violations %v", f)
	}
}

func TestListAccountsFilterAndPages(t *testing.T) {
	e := newEnv(t)
	want := map[string]bool{}
	for i := range 23 {
		owner := "bob"
		if i%3 == 0 {
			owner = "alice"
		}
		a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: fmt.Sprintf("A%02d", i), Owner: owner}})
		if err != nil {
			t.Fatal(err)
		}
		if owner == "alice" {
			want[a.Id] = true
		}
	}
	seen := map[string]bool{}
	tokenStr, pages := "", 0
	for {
		resp, err := e.accounts.ListAccounts(e.as(auth.Finance), &crmv1.ListAccountsRequest{PageSize: 3, PageToken: tokenStr, Filter: `owner = "alice"`})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, a := range resp.Accounts {
			if seen[a.Id] || !want[a.Id] {
				t.Fatalf("account %s (%s) seen twice or not matching", a.Id, a.Owner)
			}
			seen[a.Id] = true
		}
		if tokenStr = resp.NextPageToken; tokenStr == "" {
			break
		}
	}
	if len(seen) != len(want) || pages != 3 {
		t.Fatalf("saw %d of %d in %d pages", len(seen), len(want), pages)
	}
	// A token is bound to its filter; bad filters name the filter.
	resp, _ := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{PageSize: 1, Filter: `owner = "alice"`})
	_, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{PageToken: resp.NextPageToken, Filter: `owner = "bob"`})
	if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
		t.Fatalf("violations %v", f)
	}
	// Nor is it taken by another list keyed the same way (by UUID), where
	// it would skip that list's rows up to the account's id.
	_, err = e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{PageToken: resp.NextPageToken, Filter: `owner = "alice"`})
	if f := violations(t, err); !slices.Equal(f, []string{"page_token"}) {
		t.Fatalf("accounts token on contacts: violations %v", f)
	}
	for _, bad := range []string{`colour = "red"`, `owner > "a"`, `owner = "a" AND owner = "b"`, `owner = `} {
		_, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: bad})
		if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
			t.Fatalf("%s: violations %v", bad, f)
		}
	}
}

func TestLinkAccount(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	events := e.rows().events
	linked, err := e.sync.LinkAccount(e.bridge(), &crmv1.LinkAccountRequest{AccountId: a.Id, ErpCustomerId: "C-42"})
	if err != nil {
		t.Fatal(err)
	}
	if linked.ErpCustomerId != "C-42" || linked.Etag != "2" {
		t.Fatalf("linked %v", linked)
	}
	if n := e.rows().events; n != events {
		t.Fatalf("LinkAccount recorded events: %d -> %d", events, n)
	}
	again, err := e.sync.LinkAccount(e.bridge(), &crmv1.LinkAccountRequest{AccountId: a.Id, ErpCustomerId: "C-42"})
	if err != nil || again.Etag != "2" {
		t.Fatalf("relink: %v %v", again, err)
	}
	resp, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: `erp_customer_id = "C-42"`})
	if err != nil || len(resp.Accounts) != 1 || resp.Accounts[0].Id != a.Id {
		t.Fatalf("filter by erp_customer_id: %v %v", resp, err)
	}
	_, err = e.sync.LinkAccount(e.bridge(), &crmv1.LinkAccountRequest{AccountId: "x"})
	if f := violations(t, err); !slices.Equal(f, []string{"account_id", "erp_customer_id"}) {
		t.Fatalf("violations %v", f)
	}
}

func TestListAccountsByExternalID(t *testing.T) {
	e := newEnv(t)
	want, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", ExternalId: "EXT-1"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range []*crmv1.Account{{Name: "Beta", ExternalId: "EXT-2"}, {Name: "Gamma"}} {
		if _, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: a}); err != nil {
			t.Fatal(err)
		}
	}
	resp, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: `external_id = "EXT-1"`})
	if err != nil || len(resp.Accounts) != 1 || resp.Accounts[0].Id != want.Id {
		t.Fatalf("by external_id: %v %v", resp, err)
	}
	resp, err = e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: `external_id = "EXT-9"`})
	if err != nil || len(resp.Accounts) != 0 {
		t.Fatalf("unknown external_id: %v %v", resp, err)
	}
}
