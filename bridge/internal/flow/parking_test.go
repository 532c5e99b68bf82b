package flow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/pg"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// fakeCRM serves a scripted CRM event feed and records the write-backs.
type fakeCRM struct {
	crmv1.UnimplementedEventServiceServer
	crmv1.UnimplementedSyncServiceServer
	crmv1.UnimplementedAccountServiceServer

	mu      sync.Mutex
	events  []*crmv1.Event
	added   chan struct{}
	orders  map[string]string // opportunity id -> order number
	written map[string]time.Time
}

func (f *fakeCRM) publish(evs ...*crmv1.Event) {
	f.mu.Lock()
	for _, ev := range evs {
		ev.Cursor = strconv.Itoa(len(f.events) + 1)
		ev.Id = "ev-" + ev.Cursor
		ev.CreateTime = timestamppb.Now()
		f.events = append(f.events, ev)
	}
	close(f.added)
	f.added = make(chan struct{})
	f.mu.Unlock()
}

func (f *fakeCRM) WatchEvents(req *crmv1.WatchEventsRequest, stream grpc.ServerStreamingServer[crmv1.Event]) error {
	next, _ := strconv.Atoi(req.GetAfter())
	for {
		f.mu.Lock()
		pending := append([]*crmv1.Event(nil), f.events[min(next, len(f.events)):]...)
		added := f.added
		f.mu.Unlock()
		for _, ev := range pending {
			if err := stream.Send(ev); err != nil {
				return err
			}
			next++
		}
		select {
		case <-stream.Context().Done():
			return nil
		case <-added:
		}
	}
}

func (f *fakeCRM) ListEvents(context.Context, *crmv1.ListEventsRequest) (*crmv1.ListEventsResponse, error) {
	return &crmv1.ListEventsResponse{}, nil
}

func (f *fakeCRM) GetAccount(_ context.Context, req *crmv1.GetAccountRequest) (*crmv1.Account, error) {
	return &crmv1.Account{Id: req.GetId(), Name: "Account " + req.GetId()}, nil
}

func (f *fakeCRM) LinkAccount(_ context.Context, req *crmv1.LinkAccountRequest) (*crmv1.Account, error) {
	return &crmv1.Account{Id: req.GetAccountId(), ErpCustomerId: req.GetErpCustomerId()}, nil
}

func (f *fakeCRM) SetOpportunityOrder(_ context.Context, req *crmv1.SetOpportunityOrderRequest) (*crmv1.Opportunity, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.orders[req.GetOpportunityId()]; !ok {
		f.written[req.GetOpportunityId()] = time.Now()
	}
	f.orders[req.GetOpportunityId()] = req.GetOrderNumber()
	return &crmv1.Opportunity{Id: req.GetOpportunityId()}, nil
}

func (f *fakeCRM) order(id string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.orders[id]
}

// fakeERP creates orders, rejecting those of poisoned opportunities.
type fakeERP struct {
	erpv1.UnimplementedEventServiceServer
	erpv1.UnimplementedCustomerServiceServer
	erpv1.UnimplementedSalesOrderServiceServer

	mu     sync.Mutex
	poison map[string]bool
	orders map[string]*erpv1.SalesOrder // by external ref
}

func (f *fakeERP) WatchEvents(_ *erpv1.WatchEventsRequest, stream grpc.ServerStreamingServer[erpv1.Event]) error {
	<-stream.Context().Done()
	return nil
}

func (f *fakeERP) ListEvents(context.Context, *erpv1.ListEventsRequest) (*erpv1.ListEventsResponse, error) {
	return &erpv1.ListEventsResponse{}, nil
}

func (f *fakeERP) SyncCustomer(_ context.Context, req *erpv1.SyncCustomerRequest) (*erpv1.Customer, error) {
	return &erpv1.Customer{Id: "cust-" + req.GetCrmAccountId(), CrmAccountId: req.GetCrmAccountId()}, nil
}

func (f *fakeERP) CreateSalesOrder(_ context.Context, req *erpv1.CreateSalesOrderRequest) (*erpv1.SalesOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	ref := req.GetSalesOrder().GetExternalRef()
	if f.poison[ref] {
		return nil, status.Error(codes.InvalidArgument, "sales_order.lines[0].sku: unknown SKU")
	}
	if o, ok := f.orders[ref]; ok {
		return o, nil
	}
	o := &erpv1.SalesOrder{
		Id: "order-" + ref, Number: fmt.Sprintf("SO-%06d", len(f.orders)+1), ExternalRef: ref,
		Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_DRAFT, Revision: 1,
	}
	f.orders[ref] = o
	return o, nil
}

func (f *fakeERP) ConfirmSalesOrder(_ context.Context, req *erpv1.ConfirmSalesOrderRequest) (*erpv1.SalesOrder, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, o := range f.orders {
		if o.GetId() == req.GetId() {
			o.Status, o.Revision = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED, 2
			return o, nil
		}
	}
	return nil, status.Error(codes.NotFound, "no order")
}

func (f *fakeERP) setPoison(ref string, on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.poison[ref] = on
}

func serve(t *testing.T, register func(*grpc.Server)) *grpc.ClientConn {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := grpc.NewServer()
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

func won(id string) *crmv1.Event {
	return &crmv1.Event{Type: "opportunity.won", Key: id, Version: 2, Payload: &crmv1.Event_Opportunity{Opportunity: &crmv1.Opportunity{
		Id: id, AccountId: "acc-1", CurrencyCode: "EUR",
		Lines: []*crmv1.OpportunityLine{{Sku: "S1", Quantity: "1"}},
	}}}
}

// A poisoned opportunity parks its key and holds its later events while
// every other deal goes through; a retry after the cause is fixed applies
// the held events in order, and a discard drops one.
func TestPoisonedKeyParksWithoutStoppingOthers(t *testing.T) {
	url := newBridgeDB(t)
	pool, err := pg.Connect(context.Background(), pg.Config{URL: url, MaxConns: 6})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)

	crm := &fakeCRM{added: make(chan struct{}), orders: map[string]string{}, written: map[string]time.Time{}}
	erp := &fakeERP{poison: map[string]bool{"poison": true, "doomed": true}, orders: map[string]*erpv1.SalesOrder{}}
	crmConn := serve(t, func(s *grpc.Server) {
		crmv1.RegisterEventServiceServer(s, crm)
		crmv1.RegisterSyncServiceServer(s, crm)
		crmv1.RegisterAccountServiceServer(s, crm)
	})
	erpConn := serve(t, func(s *grpc.Server) {
		erpv1.RegisterEventServiceServer(s, erp)
		erpv1.RegisterCustomerServiceServer(s, erp)
		erpv1.RegisterSalesOrderServiceServer(s, erp)
	})
	var logs lockedBuffer
	e := New(NewCRM(crmConn), NewERP(erpConn), store, slog.New(slog.NewTextHandler(&logs, nil)), nil,
		Options{LeaseRetry: 50 * time.Millisecond, RetryEvery: 50 * time.Millisecond, MaxBackoff: 50 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	crm.publish(won("poison"), won("doomed"))
	published := time.Now()
	var good []string
	for i := range 40 {
		id := fmt.Sprintf("good-%02d", i)
		good = append(good, id)
		crm.publish(won(id))
	}
	waitFor(t, 10*time.Second, "every good deal has its order", func() bool {
		for _, id := range good {
			if crm.order(id) == "" {
				return false
			}
		}
		return true
	})
	var slowest time.Duration
	crm.mu.Lock()
	for _, id := range good {
		slowest = max(slowest, crm.written[id].Sub(published))
	}
	crm.mu.Unlock()
	t.Logf("slowest good deal written back %s after the poisoned ones were published", slowest)
	if crm.order("poison") != "" {
		t.Fatal("the poisoned deal has an order")
	}

	// A later event of the parked key waits behind the failure (one that
	// does not supersede it: a later win would, and the retry would skip
	// the earlier one).
	update := won("poison")
	update.Type, update.Version = "opportunity.updated", 3
	crm.publish(update)
	var held []postgres.Failure
	waitFor(t, 5*time.Second, "the poisoned key's events held", func() bool {
		held, err = store.KeyFailures(context.Background(), FeedCRM, "poison")
		return err == nil && len(held) == 2
	})
	if held[0].State != postgres.StateFailed || held[1].State != postgres.StateWaiting {
		t.Fatalf("held states = %s, %s; want failed, waiting", held[0].State, held[1].State)
	}

	// Still poisoned: a retry reports the failure, and counts as a failed
	// attempt in the feed's status.
	failedBefore := crmStatus(e).Failed
	resolved, head, err := e.RetryFailure(context.Background(), held[0].ID)
	if err != nil || resolved || head == nil || head.Attempts < 2 {
		t.Fatalf("retry while poisoned = %v, %+v, %v", resolved, head, err)
	}
	if got := crmStatus(e).Failed; got <= failedBefore {
		t.Errorf("failed attempts after a failed retry = %d, were %d", got, failedBefore)
	}
	// Fixed: the retry applies both held events and releases the key.
	erp.setPoison("poison", false)
	resolved, _, err = e.RetryFailure(context.Background(), held[0].ID)
	if err != nil || !resolved {
		t.Fatalf("retry after the fix = %v, %v", resolved, err)
	}
	if crm.order("poison") == "" {
		t.Fatal("no order after the retry")
	}
	if rest, _ := store.KeyFailures(context.Background(), FeedCRM, "poison"); len(rest) != 0 {
		t.Fatalf("%d events still held after the retry", len(rest))
	}

	// Discarding drops the event; the key flows again.
	doomed, _ := store.KeyFailures(context.Background(), FeedCRM, "doomed")
	if len(doomed) != 1 {
		t.Fatalf("doomed key holds %d events, want 1", len(doomed))
	}
	operator := auth.WithPrincipal(context.Background(), auth.Principal{Subject: "ops-ana", Roles: []auth.Role{auth.Admin}})
	if err := e.DiscardFailure(operator, doomed[0].ID); err != nil {
		t.Fatal(err)
	}
	// The log says who dropped the event.
	if !strings.Contains(logs.String(), `msg="held event discarded"`) || !strings.Contains(logs.String(), "by=ops-ana") {
		t.Errorf("no log line of the discard naming its caller ops-ana in:\n%s", logs.String())
	}
	erp.setPoison("doomed", false)
	crm.publish(won("doomed"))
	waitFor(t, 5*time.Second, "the discarded key flows again", func() bool { return crm.order("doomed") != "" })
	if err := e.DiscardFailure(context.Background(), doomed[0].ID); !errors.Is(err, ErrNoFailure) {
		t.Fatalf("discarding twice = %v, want ErrNoFailure", err)
	}
}

func crmStatus(e *Engine) FeedStatus { return e.crmFeed.snapshot() }

func TestSupersedes(t *testing.T) {
	t.Parallel()
	ev := func(feed, typ string) postgres.Failure {
		return postgres.Failure{Feed: feed, EventType: typ, EventKey: "k"}
	}
	tests := []struct {
		later, earlier postgres.Failure
		want           bool
	}{
		{ev(FeedCRM, "opportunity.reopened"), ev(FeedCRM, "opportunity.won"), true},
		{ev(FeedCRM, "opportunity.lost"), ev(FeedCRM, "opportunity.reopened"), true},
		{ev(FeedCRM, "opportunity.won"), ev(FeedCRM, "opportunity.won"), true},
		// The loss must still cancel its order before the new win.
		{ev(FeedCRM, "opportunity.won"), ev(FeedCRM, "opportunity.lost"), false},
		{ev(FeedCRM, "opportunity.updated"), ev(FeedCRM, "opportunity.won"), false},
		{ev(FeedCRM, "account.updated"), ev(FeedCRM, "account.created"), true},
		{ev(FeedERP, "stock.changed"), ev(FeedERP, "stock.changed"), true},
		{ev(FeedERP, "sales_order.shipped"), ev(FeedERP, "sales_order.confirmed"), true},
		// An amendment also rewrites the payment status.
		{ev(FeedERP, "sales_order.shipped"), ev(FeedERP, "sales_order.amended"), false},
		{ev(FeedERP, "invoice.updated"), ev(FeedERP, "invoice.issued"), true},
		{ev(FeedERP, "customer.balance_changed"), ev(FeedERP, "customer.balance_changed"), false},
		{ev(FeedERP, "stock.changed"), ev(FeedCRM, "stock.changed"), false},
		{postgres.Failure{Feed: FeedERP, EventType: "stock.changed", EventKey: "other"}, ev(FeedERP, "stock.changed"), false},
	}
	for _, tt := range tests {
		if got := supersedes(tt.later, tt.earlier); got != tt.want {
			t.Errorf("%s %s after %s %s: supersedes = %v, want %v", tt.later.Feed, tt.later.EventType,
				tt.earlier.Feed, tt.earlier.EventType, got, tt.want)
		}
	}
}

// An event that may supersede a parked key's failure makes the key due at
// once, so a fix made at the source is tried without waiting out the
// failure's backoff; one outside any family leaves the retry time alone.
func TestHeldEventMakesKeyDue(t *testing.T) {
	t.Parallel()
	pool, err := pg.Connect(context.Background(), pg.Config{URL: newBridgeDB(t), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	store := postgres.New(pool)
	ctx := context.Background()
	later := time.Now().Add(time.Hour)
	var p parking
	for _, key := range []string{"fixed", "edited"} {
		head := postgres.Failure{Feed: FeedCRM, Cursor: "c-" + key, EventID: "won-" + key, EventType: "opportunity.won",
			EventKey: key, Event: []byte{1}, Error: "refused", Attempts: 1, State: postgres.StateFailed, NextRetryAt: later}
		if err := store.RecordFailure(ctx, head); err != nil {
			t.Fatal(err)
		}
	}
	keys, err := store.ParkedKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.load(keys)
	hold := func(key, typ string) {
		t.Helper()
		held, err := p.holdIfParked(ctx, store, FeedCRM, key, func() postgres.Failure {
			return postgres.Failure{Feed: FeedCRM, Cursor: "c2-" + key, EventID: typ + "-" + key, EventType: typ, EventKey: key, Event: []byte{2}}
		})
		if err != nil || !held {
			t.Fatalf("hold %s of %s: %v %v", typ, key, held, err)
		}
	}
	hold("fixed", "opportunity.reopened")
	hold("edited", "opportunity.updated")
	due, err := store.DueKeys(ctx, time.Now().Add(time.Second), 10)
	if err != nil || len(due) != 1 || due[0] != (postgres.FeedKey{Feed: FeedCRM, Key: "fixed"}) {
		t.Errorf("due keys = %v, %v; want only the key a reopening was held behind", due, err)
	}
}

// lockedBuffer is a log destination the test reads while the engine
// writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
