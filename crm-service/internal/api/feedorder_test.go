package api_test

import (
	"fmt"
	"sync"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// Concurrent writes of one record reach the feed in version order: each
// writer takes the record's key lock before its transaction has an id,
// and the feed orders by transaction id. Without the lock, writers queued
// on the row took their ids in arrival order and committed in another.
func TestFeedOrdersEachRecordsEvents(t *testing.T) {
	e := newEnv(t)
	a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", Website: "acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	c := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Ana"})

	// Enough writers at once that several queue on each row.
	const rounds, writers = 4, 24
	var wg sync.WaitGroup
	for i := range rounds * writers {
		wg.Go(func() {
			_, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
				Account: &crmv1.Account{Id: a.Id, Industry: fmt.Sprint("industry ", i)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}},
			})
			if err != nil {
				t.Errorf("update account: %v", err)
			}
		})
		// Imports match the account by its website and update it too.
		wg.Go(func() {
			_, err := e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{Accounts: []*crmv1.Account{
				{Name: "Acme", Website: "acme.example", Industry: fmt.Sprint("imported ", i)},
			}})
			if err != nil {
				t.Errorf("import account: %v", err)
			}
		})
		wg.Go(func() {
			_, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
				Opportunity: &crmv1.Opportunity{Id: o.Id, Name: fmt.Sprint("Deal ", i)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
			})
			if err != nil {
				t.Errorf("update opportunity: %v", err)
			}
		})
		wg.Go(func() {
			_, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
				Contact: &crmv1.Contact{Id: c.Id, Title: fmt.Sprint("title ", i)}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
			})
			if err != nil {
				t.Errorf("update contact: %v", err)
			}
		})
	}
	wg.Wait()
	versions := map[string][]int64{}
	for _, ev := range e.feed(4 * rounds * writers) {
		versions[ev.Key] = append(versions[ev.Key], ev.Version)
	}
	for _, key := range []string{a.Id, o.Id, c.Id} {
		vs := versions[key]
		if len(vs) < rounds*writers+1 {
			t.Errorf("%s: %d events, want at least %d", key, len(vs), rounds*writers+1) // imports that change nothing add none
		}
		for i := 1; i < len(vs); i++ {
			if vs[i] <= vs[i-1] {
				t.Errorf("%s: the feed serves versions %v, out of order", key, vs)
				break
			}
		}
	}
}
