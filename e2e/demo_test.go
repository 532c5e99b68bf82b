package e2e

import (
	"context"
	"testing"

	"github.com/seamhq/seam/e2e/internal/demo"
	"github.com/seamhq/seam/e2e/internal/stack"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// TestDemoDataLoadsTwice loads the local stack's demo data twice over gRPC:
// the second load changes nothing.
func TestDemoDataLoadsTwice(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	crm, erp := dialAdmin(t, st, stack.CRM), dialAdmin(t, st, stack.ERP)
	clients := demo.NewClients(crm, erp)

	counts := func() [3]int {
		accounts, err := clients.Accounts.ListAccounts(ctx, &crmv1.ListAccountsRequest{PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		opps, err := clients.Opportunities.ListOpportunities(ctx, &crmv1.ListOpportunitiesRequest{PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		items, err := clients.Items.ListItems(ctx, &erpv1.ListItemsRequest{PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return [3]int{len(accounts.GetAccounts()), len(opps.GetOpportunities()), len(items.GetItems())}
	}
	availability := func() string {
		a, err := clients.Items.GetItem(ctx, &erpv1.GetItemRequest{Sku: "PUMP-100"})
		if err != nil {
			t.Fatal(err)
		}
		av, err := erpv1.NewItemServiceClient(erp).GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: a.GetSku()})
		if err != nil {
			t.Fatal(err)
		}
		return av.GetOnHand()
	}

	if err := demo.Load(ctx, clients); err != nil {
		t.Fatal(err)
	}
	first, firstStock := counts(), availability()
	want := [3]int{len(demo.Accounts), len(demo.Opportunities), len(demo.Items)}
	if first != want {
		t.Fatalf("after the first load: accounts, opportunities, items = %v, want %v", first, want)
	}
	if err := demo.Load(ctx, clients); err != nil {
		t.Fatal(err)
	}
	if second, stock := counts(), availability(); second != first || stock != firstStock {
		t.Fatalf("second load changed data: %v -> %v, PUMP-100 on hand %s -> %s", first, second, firstStock, stock)
	}
}
