package flow

import (
	"context"
	"encoding/json"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/telemetry"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// requestIDs records the x-request-id metadata of the unary calls a
// service receives, by method.
type requestIDs struct {
	mu  sync.Mutex
	ids map[string][]string
}

func (r *requestIDs) record(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	r.mu.Lock()
	r.ids[info.FullMethod] = append(r.ids[info.FullMethod], strings.Join(md.Get("x-request-id"), ","))
	r.mu.Unlock()
	return handler(ctx, req)
}

func (r *requestIDs) of(method string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.ids[method]...)
}

// serveRecording is serve with the request ids of the calls recorded.
func serveRecording(t *testing.T, rec *requestIDs, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer(grpc.UnaryInterceptor(rec.record))
	register(s)
	go s.Serve(lis)
	t.Cleanup(s.Stop)
	conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// The calls the bridge makes to the CRM and the ERP applying an event,
// and its log lines about the event, carry the event's request id
// (bridge-<feed>-<event id>), as do those of a retry of the held event.
func TestEventCallsCarryItsRequestID(t *testing.T) {
	pool, err := pg.Connect(context.Background(), pg.Config{URL: newBridgeDB(t), MaxConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)

	crm := &fakeCRM{added: make(chan struct{}), orders: map[string]string{}, written: map[string]time.Time{}}
	erp := &fakeERP{poison: map[string]bool{"poison": true}, orders: map[string]*erpv1.SalesOrder{}}
	crmIDs, erpIDs := &requestIDs{ids: map[string][]string{}}, &requestIDs{ids: map[string][]string{}}
	crmConn := serveRecording(t, crmIDs, func(s *grpc.Server) {
		crmv1.RegisterEventServiceServer(s, crm)
		crmv1.RegisterSyncServiceServer(s, crm)
		crmv1.RegisterAccountServiceServer(s, crm)
	})
	erpConn := serveRecording(t, erpIDs, func(s *grpc.Server) {
		erpv1.RegisterEventServiceServer(s, erp)
		erpv1.RegisterCustomerServiceServer(s, erp)
		erpv1.RegisterSalesOrderServiceServer(s, erp)
	})
	var logs lockedBuffer
	e := New(NewCRM(crmConn), NewERP(erpConn), store, telemetry.NewLogger(&logs, telemetry.Config{LogLevel: "info"}, "bridge"), nil,
		Options{LeaseRetry: 50 * time.Millisecond, RetryEvery: time.Hour, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	crm.publish(won("deal")) // event ev-1
	waitFor(t, 10*time.Second, "the deal has its order", func() bool { return crm.order("deal") != "" })
	for _, c := range []struct {
		ids    *requestIDs
		method string
	}{
		{erpIDs, "/erp.v1.CustomerService/SyncCustomer"},
		{erpIDs, "/erp.v1.SalesOrderService/CreateSalesOrder"},
		{erpIDs, "/erp.v1.SalesOrderService/ConfirmSalesOrder"},
		{crmIDs, "/crm.v1.SyncService/SetOpportunityOrder"},
	} {
		got := c.ids.of(c.method)
		if len(got) == 0 {
			t.Errorf("%s not called", c.method)
		}
		for _, id := range got {
			if id != "bridge-crm-ev-1" {
				t.Errorf("%s called with x-request-id %q, want bridge-crm-ev-1", c.method, id)
			}
		}
	}

	// A refused event: the refused call and the log line of the parking
	// carry its id, and so does the call of its retry.
	crm.publish(won("poison")) // event ev-2
	var held []postgres.Failure
	waitFor(t, 10*time.Second, "the poisoned deal held", func() bool {
		held, err = store.KeyFailures(context.Background(), FeedCRM, "poison")
		return err == nil && len(held) == 1
	})
	parked := false
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == "event failed; key parked" {
			parked = true
			if m["request_id"] != "bridge-crm-ev-2" {
				t.Errorf("parking logged with request_id %v, want bridge-crm-ev-2: %s", m["request_id"], line)
			}
		}
	}
	if !parked {
		t.Errorf("no parking logged:\n%s", logs.String())
	}
	erp.setPoison("poison", false)
	if resolved, _, err := e.RetryFailure(context.Background(), held[0].ID); err != nil || !resolved {
		t.Fatalf("retry = %v, %v", resolved, err)
	}
	created := erpIDs.of("/erp.v1.SalesOrderService/CreateSalesOrder")
	if n := len(created); n < 3 || created[n-1] != "bridge-crm-ev-2" || created[n-2] != "bridge-crm-ev-2" {
		t.Errorf("CreateSalesOrder request ids %q, want the refused call and its retry to carry bridge-crm-ev-2", created)
	}
	if !strings.Contains(logs.String(), `"msg":"held event applied","service":"bridge","feed":"crm","key":"poison","type":"opportunity.won","request_id":"bridge-crm-ev-2"`) {
		t.Errorf("the retry's log line lacks the event's request id:\n%s", logs.String())
	}
}

func TestEventRequestID(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ feed, id, want string }{
		{FeedERP, "0193a1b2-c3d4", "bridge-erp-0193a1b2-c3d4"},
		{FeedCRM, "", ""},
		{FeedCRM, "a b\u00e9", "bridge-crm-a_b__"},
		{FeedCRM, strings.Repeat("x", 200), "bridge-crm-" + strings.Repeat("x", maxRequestIDLen-len("bridge-crm-"))},
	} {
		if got := eventRequestID(tc.feed, tc.id); got != tc.want {
			t.Errorf("eventRequestID(%q, %q) = %q, want %q", tc.feed, tc.id, got, tc.want)
		}
	}
}
