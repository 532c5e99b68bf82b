package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestAccountDuplicates(t *testing.T) {
	e := newEnv(t)
	first, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme  GmbH", Website: "https://www.acme.example/de"}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	for _, dup := range []*crmv1.Account{
		{Name: "acme gmbh", Website: "acme.example"},
		{Name: " ACME GmbH ", Website: "http://Acme.Example:8080/x?y"},
	} {
		_, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: dup})
		ri := resourceInfo(t, err)
		if ri.ResourceName != "accounts/"+first.Id || ri.ResourceType != "crm.v1.Account" || !strings.Contains(status.Convert(err).Message(), first.Id) {
			t.Fatalf("%v: error %v names %v", dup, err, ri)
		}
	}
	if after := e.rows(); after != before {
		t.Fatalf("refused duplicates wrote: %+v -> %+v", before, after)
	}
	// Another domain, or no website, is another company.
	for _, other := range []*crmv1.Account{{Name: "Acme GmbH", Website: "acme.example.org"}, {Name: "Acme GmbH"}} {
		if _, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: other}); err != nil {
			t.Fatalf("%v: %v", other, err)
		}
	}
	// Same name and no website twice is a duplicate too.
	_, err = e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "acme gmbh"}})
	wantCode(t, err, codes.AlreadyExists)
	forced, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{
		Account: &crmv1.Account{Name: "Acme GmbH", Website: "acme.example"}, Force: true,
	})
	if err != nil || forced.Id == first.Id {
		t.Fatalf("forced: %v %v", forced, err)
	}
	// A renamed account is found under its new name.
	if _, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: first.Id, Name: "Beta"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	}); err != nil {
		t.Fatal(err)
	}
	_, err = e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "beta", Website: "www.acme.example"}})
	if ri := resourceInfo(t, err); ri.ResourceName != "accounts/"+first.Id {
		t.Fatalf("renamed: %v", ri)
	}
	// A retry of a create returns its first result even though the
	// account now exists.
	req := &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Gamma"}, RequestId: "g-1"}
	g, err := e.accounts.CreateAccount(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	if again, err := e.accounts.CreateAccount(e.sales(), req); err != nil || again.Id != g.Id {
		t.Fatalf("retry: %v %v", again, err)
	}
}

func TestAccountHierarchyAndAddresses(t *testing.T) {
	e := newEnv(t)
	parent := e.createAccount("Holding")
	billing := &crmv1.PostalAddress{Street: "Hauptstr. 1\nHof 2", PostalCode: "10115", City: "Berlin", CountryCode: "DE"}
	child, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{
		Name: "Subsidiary", ParentAccountId: parent.Id, BillingAddress: billing,
	}})
	if err != nil {
		t.Fatal(err)
	}
	if child.ParentAccountId != parent.Id || !proto.Equal(child.BillingAddress, billing) || child.ShippingAddress != nil {
		t.Fatalf("child %v", child)
	}
	got, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: child.Id})
	if err != nil || !proto.Equal(got, child) {
		t.Fatalf("read back %v %v", got, err)
	}
	grandchild, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Branch", ParentAccountId: child.Id}})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: `parent_account_id = "` + parent.Id + `"`})
	if err != nil || len(resp.Accounts) != 1 || resp.Accounts[0].Id != child.Id {
		t.Fatalf("children: %v %v", resp, err)
	}

	before := e.rows()
	parentMask := &fieldmaskpb.FieldMask{Paths: []string{"parent_account_id"}}
	tests := []struct {
		name string
		call func() error
		want []string
	}{
		{"cycle", func() error {
			_, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
				Account: &crmv1.Account{Id: parent.Id, ParentAccountId: grandchild.Id}, UpdateMask: parentMask})
			return err
		}, []string{"account.parent_account_id"}},
		{"self", func() error {
			_, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
				Account: &crmv1.Account{Id: parent.Id, ParentAccountId: parent.Id}, UpdateMask: parentMask})
			return err
		}, []string{"account.parent_account_id"}},
		{"missing parent", func() error {
			_, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{
				Name: "Orphan", ParentAccountId: "01900000-0000-7000-8000-000000000001"}})
			return err
		}, []string{"account.parent_account_id"}},
		{"missing parent on update", func() error {
			_, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
				Account: &crmv1.Account{Id: child.Id, ParentAccountId: "01900000-0000-7000-8000-000000000001"}, UpdateMask: parentMask})
			return err
		}, []string{"account.parent_account_id"}},
		{"bad values", func() error {
			_, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{
				Name: "X", ParentAccountId: "holding",
				BillingAddress:  &crmv1.PostalAddress{City: strings.Repeat("c", 201), CountryCode: "de"},
				ShippingAddress: &crmv1.PostalAddress{Street: "Main St 1"},
			}})
			return err
		}, []string{"account.parent_account_id", "account.billing_address.city", "account.billing_address.country_code", "account.shipping_address.country_code"}},
		{"bad filter", func() error {
			_, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: `parent_account_id = "x"`})
			return err
		}, []string{"filter"}},
	}
	for _, tc := range tests {
		if f := violations(t, tc.call()); !slices.Equal(f, tc.want) {
			t.Errorf("%s: violations %v, want %v", tc.name, f, tc.want)
		}
	}
	// A parent with children cannot be deleted.
	_, err = e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: child.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if after := e.rows(); after != before {
		t.Fatalf("rejected calls wrote: %+v -> %+v", before, after)
	}

	// Moving a branch up is fine; clearing the address removes it.
	moved, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: grandchild.Id, ParentAccountId: parent.Id, ShippingAddress: &crmv1.PostalAddress{City: "Paris", CountryCode: "FR"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"parent_account_id", "shipping_address"}},
	})
	if err != nil || moved.ParentAccountId != parent.Id || moved.ShippingAddress.GetCity() != "Paris" || moved.Etag != "2" {
		t.Fatalf("moved %v %v", moved, err)
	}
	cleared, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: child.Id},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"billing_address", "parent_account_id"}},
	})
	if err != nil || cleared.BillingAddress != nil || cleared.ParentAccountId != "" {
		t.Fatalf("cleared %v %v", cleared, err)
	}
	if _, err := e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: child.Id}); err != nil {
		t.Fatal(err)
	}
}
