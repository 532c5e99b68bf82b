package flow

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/bridge/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// newBridgeDB returns the URL of a fresh, migrated bridge database.
func newBridgeDB(t *testing.T) string {
	t.Helper()
	return pgtest.NewDB(t, "bridge", func(ctx context.Context, url string) error {
		pool, err := pg.Connect(ctx, pg.Config{URL: url})
		if err != nil {
			return err
		}
		defer pool.Close()
		return pg.Migrate(ctx, pool, migrations.FS)
	})
}

// TestStandbyTakesOver runs two engines on one bridge database: exactly one
// leads, and when it stops the other takes over within seconds.
func TestStandbyTakesOver(t *testing.T) {
	url := newBridgeDB(t)
	// Nothing listens here: the feeds just retry, which is all this test needs.
	conn, err := grpc.NewClient("127.0.0.1:1", grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	start := func() (*Engine, context.CancelFunc, chan struct{}) {
		pool, err := pg.Connect(context.Background(), pg.Config{URL: url, MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		e := New(NewCRM(conn), NewERP(conn), postgres.New(pool), slog.New(slog.DiscardHandler), nil,
			Options{LeaseRetry: 100 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { e.Run(ctx); pool.Close(); close(done) }()
		return e, cancel, done
	}
	a, stopA, doneA := start()
	b, stopB, doneB := start()
	defer func() { stopB(); <-doneB }()

	waitFor(t, 5*time.Second, "one leader", func() bool { return a.Leader() != b.Leader() })
	leader, standby, stopLeader, leaderDone := a, b, stopA, doneA
	if b.Leader() {
		leader, standby, stopLeader, leaderDone = b, a, stopB, doneB
		stopB = stopA // the deferred cleanup stops the survivor
		doneB = doneA
	}
	for range 10 { // the standby stays a standby while the leader lives
		if standby.Leader() {
			t.Fatal("two leaders")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Held events are the leader's: a standby refuses to release them
	// (its release would not reach the leader's parked keys).
	if _, _, err := standby.RetryFailure(context.Background(), 1); !errors.Is(err, ErrStandby) {
		t.Errorf("retry on the standby: %v, want ErrStandby", err)
	}
	if err := standby.DiscardFailure(context.Background(), 1); !errors.Is(err, ErrStandby) {
		t.Errorf("discard on the standby: %v, want ErrStandby", err)
	}
	stopLeader()
	<-leaderDone
	if leader.Leader() {
		t.Error("stopped engine still reports leadership")
	}
	waitFor(t, 5*time.Second, "standby takes over", standby.Leader)
}

func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestFulfillment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		order *erpv1.SalesOrder
		want  crmv1.FulfillmentStatus
	}{
		{&erpv1.SalesOrder{Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED}, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED},
		{&erpv1.SalesOrder{Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED, Backordered: true}, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_BACKORDERED},
		{&erpv1.SalesOrder{Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CANCELLED}, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CANCELLED},
		{&erpv1.SalesOrder{Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_ON_CREDIT_HOLD}, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_ON_CREDIT_HOLD},
	}
	for _, tt := range tests {
		if got := fulfillment(tt.order); got != tt.want {
			t.Errorf("fulfillment(%v) = %v, want %v", tt.order.GetStatus(), got, tt.want)
		}
	}
}

func TestOrderRefs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id string
		n  int
	}{{"0190-abc", 1}, {"0190-abc", 2}, {"0190-abc", 17}} {
		ref := orderRef(tc.id, tc.n)
		id, n := parseOrderRef(ref)
		if id != tc.id || n != tc.n {
			t.Errorf("parseOrderRef(orderRef(%q, %d) = %q) = %q, %d", tc.id, tc.n, ref, id, n)
		}
	}
	// A later order outranks every revision of an earlier one.
	first := &erpv1.SalesOrder{ExternalRef: "x", Revision: 99}
	second := &erpv1.SalesOrder{ExternalRef: "x/2", Revision: 1}
	if orderVersion(second) <= orderVersion(first) {
		t.Errorf("version of the second order %d not above the first's %d", orderVersion(second), orderVersion(first))
	}
}

// Orders typed into the ERP keep whatever reference their users gave
// them; only an opportunity id (and its later orders' "/n") is a deal's.
func TestDealOf(t *testing.T) {
	t.Parallel()
	const opp = "01a205e3-1c2d-75c5-a8f7-245f1f3d1822"
	for _, tc := range []struct {
		ref  string
		want string
		ok   bool
	}{
		{opp, opp, true},
		{opp + "/3", opp, true},
		{"", "", false},
		{"PO-4711", "", false},
		{"PO-4711/2", "", false},
		{"{" + opp + "}", "", false},
		{"urn:uuid:" + opp, "", false},
	} {
		got, ok := dealOf(&erpv1.SalesOrder{ExternalRef: tc.ref})
		if ok != tc.ok || (ok && got != tc.want) {
			t.Errorf("dealOf(%q) = %q, %v; want %q, %v", tc.ref, got, ok, tc.want, tc.ok)
		}
	}
}
