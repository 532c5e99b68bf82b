package e2e

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/e2e/internal/loadgen"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/server"
)

// The load generator behind BenchmarkWonDealLoop and seamctl bench: every
// deal it counts reached its order number in the CRM, every tenth also
// its items' availability, and both ways of running (creating each deal
// in the loop, or winning deals opened before) work.
func TestLoadGenerator(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	dial := func(addr string) *grpc.ClientConn {
		tok := st.Token("loadgen", auth.Admin)
		conn, err := grpc.NewClient(addr, append(server.WindowDialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithPerRPCCredentials(auth.TokenCredentials{Token: func() (string, error) { return tok, nil }}))...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	crm, erp := dial(st.GRPCAddr(stack.CRM)), dial(st.GRPCAddr(stack.ERP))
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
