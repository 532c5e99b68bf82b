package e2e

import (
	"context"
	"testing"

	"github.com/seamhq/seam/e2e/internal/loadgen"
	"github.com/seamhq/seam/e2e/internal/stack"
)

// The load generator behind BenchmarkWonDealLoop and seamctl bench: every
// deal it counts reached its order number in the CRM, every tenth also
// its items' availability, and both ways of running (creating each deal
// in the loop, or winning deals opened before) work.
func TestLoadGenerator(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	crm, erp := dialAdmin(t, st, stack.CRM), dialAdmin(t, st, stack.ERP)
	account, skus, err := loadgen.Setup(ctx, crm, erp, "LOADGEN")
	if err != nil {
		t.Fatal(err)
	}
	res, err := loadgen.WonDeals(ctx, crm, account, skus, loadgen.Config{Clients: 2, Deals: 30, ERP: erp})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Deals != 30 || res.Both != 3 || res.P50 <= 0 || res.BothMax <= 0 {
		t.Errorf("result %+v: want 30 deals, 3 with availability", res)
	}
	ids, err := loadgen.Open(ctx, crm, account, skus, 10, 2)
	if err != nil {
		t.Fatal(err)
	}
	res, err = loadgen.WonDeals(ctx, crm, account, skus, loadgen.Config{Clients: 2, Open: ids, ERP: erp})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(res)
	if res.Deals != 10 || res.Both != 1 {
		t.Errorf("result %+v: want 10 deals, 1 with availability", res)
	}
}
