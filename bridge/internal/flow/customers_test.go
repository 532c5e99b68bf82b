package flow

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/pg"
)

// countingStore counts the reads of customer links.
type countingStore struct {
	*postgres.Store
	reads atomic.Int64
}

func (s *countingStore) CustomerFor(ctx context.Context, accountID string) (string, bool, error) {
	s.reads.Add(1)
	return s.Store.CustomerFor(ctx, accountID)
}

// An account's ERP customer is read from the bridge's database once per
// lease term, not for every order.
func TestCustomerLinksAreCached(t *testing.T) {
	t.Parallel()
	url := newBridgeDB(t)
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := &countingStore{Store: postgres.New(pool)}
	if err := store.LinkCustomer(ctx, "acc-1", "cust-1"); err != nil {
		t.Fatal(err)
	}
	// Nothing listens here: the customer must come from the links.
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e := New(NewCRM(conn), NewERP(conn), store, slog.New(slog.DiscardHandler), nil, Options{})

	for range 3 {
		if id, err := e.customerOf(ctx, "acc-1"); err != nil || id != "cust-1" {
			t.Fatalf("customerOf = %q, %v; want cust-1", id, err)
		}
	}
	if n := store.reads.Load(); n != 1 {
		t.Errorf("%d reads of the link for three orders, want 1", n)
	}
	// A new lease term reads again: another replica may have relinked.
	if err := e.beginTerm(ctx); err != nil {
		t.Fatal(err)
	}
	if err := store.LinkCustomer(ctx, "acc-1", "cust-2"); err != nil {
		t.Fatal(err)
	}
	if id, err := e.customerOf(ctx, "acc-1"); err != nil || id != "cust-2" || store.reads.Load() != 2 {
		t.Errorf("after a new term: %q, %v, %d reads; want cust-2 from a second read", id, err, store.reads.Load())
	}
}
