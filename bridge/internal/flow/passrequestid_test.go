package flow

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/telemetry"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// callIDs records the x-request-id each call was made with, in order.
type callIDs struct {
	mu    sync.Mutex
	calls []string // "Method id"
}

func (c *callIDs) note(ctx context.Context, method string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	md, _ := metadata.FromOutgoingContext(ctx)
	c.calls = append(c.calls, method+" "+strings.Join(md.Get("x-request-id"), ","))
}

func (c *callIDs) all() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.calls...)
}

// logLines returns the log lines of buf whose msg is msg.
func logLines(t *testing.T, buf *lockedBuffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.SplitSeq(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// batchSync is a CRM sync client that records its calls' request ids and
// refuses the first SetAvailability as unavailable.
type batchSync struct {
	crmv1.SyncServiceClient
	ids    *callIDs
	mu     sync.Mutex
	failed bool
}

func (s *batchSync) UpsertProducts(ctx context.Context, req *crmv1.UpsertProductsRequest, _ ...grpc.CallOption) (*crmv1.UpsertProductsResponse, error) {
	s.ids.note(ctx, "UpsertProducts")
	return &crmv1.UpsertProductsResponse{}, nil
}

func (s *batchSync) SetAvailability(ctx context.Context, req *crmv1.SetAvailabilityRequest, _ ...grpc.CallOption) (*crmv1.SetAvailabilityResponse, error) {
	s.ids.note(ctx, "SetAvailability")
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.failed {
		s.failed = true
		return nil, status.Error(codes.Unavailable, "try again")
	}
	return &crmv1.SetAvailabilityResponse{Applied: int32(len(req.GetUpdates()))}, nil
}

// Every call of a catalog batch, its retries included, and the batch's
// log lines carry one request id of the batch's own,
// bridge-catalog-batch-<n>; the next batch has the next.
func TestCatalogBatchCarriesItsRequestID(t *testing.T) {
	t.Parallel()
	ids := &callIDs{}
	var logs lockedBuffer
	e := &Engine{crm: CRM{Sync: &batchSync{ids: ids}}, opts: Options{Now: time.Now},
		log: telemetry.NewLogger(&logs, telemetry.Config{LogLevel: "debug"}, "bridge")}
	e.parking.load(nil)
	var mu sync.Mutex
	finished := 0
	b := e.newStockBatcher(func(uint64, bool) { mu.Lock(); finished++; mu.Unlock() },
		func(context.Context, *erpv1.Event) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)

	offer := func(seq uint64, sku string) {
		item := &erpv1.Event{Id: "item-" + sku, Type: "item.created", Key: sku, Version: 1,
			Payload: &erpv1.Event_Item{Item: &erpv1.Item{Sku: sku, Name: sku}}}
		stock := &erpv1.Event{Id: "stock-" + sku, Type: "stock.changed", Key: sku, Version: 1,
			Payload: &erpv1.Event_StockLevel{StockLevel: &erpv1.Availability{Sku: sku, Available: "1"}}}
		if !b.offer(item, seq) || !b.offer(stock, seq+1) {
			t.Fatal("offer refused a catalog event")
		}
	}
	done := func(n int) func() bool {
		return func() bool { mu.Lock(); defer mu.Unlock(); return finished == n }
	}
	offer(0, "SKU-1")
	waitFor(t, 10*time.Second, "the first batch written", done(2))
	offer(2, "SKU-2")
	waitFor(t, 10*time.Second, "the second batch written", done(4))

	want := []string{
		"UpsertProducts bridge-catalog-batch-1",
		"SetAvailability bridge-catalog-batch-1", // refused
		"UpsertProducts bridge-catalog-batch-1",  // the retry
		"SetAvailability bridge-catalog-batch-1",
		"UpsertProducts bridge-catalog-batch-2",
		"SetAvailability bridge-catalog-batch-2",
	}
	if got := ids.all(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	retried := logLines(t, &logs, "catalog batch failed, retrying")
	if len(retried) != 1 || retried[0][telemetry.RequestIDKey] != "bridge-catalog-batch-1" {
		t.Errorf("retry lines %v, want one with request_id bridge-catalog-batch-1", retried)
	}
	written := logLines(t, &logs, "catalog batch written")
	if len(written) != 2 || written[0][telemetry.RequestIDKey] != "bridge-catalog-batch-1" ||
		written[1][telemetry.RequestIDKey] != "bridge-catalog-batch-2" || written[1]["first_event"] != "item-SKU-2" {
		t.Errorf("written lines %v, want batches 1 and 2", written)
	}
}

// recordingCRM is a reconciliation's CRM that records the request ids of
// its list calls.
type recordingCRM struct {
	*crmSide
	ids *callIDs
}

func (c recordingCRM) ListOpportunities(ctx context.Context, req *crmv1.ListOpportunitiesRequest, opts ...grpc.CallOption) (*crmv1.ListOpportunitiesResponse, error) {
	c.ids.note(ctx, "ListOpportunities")
	return c.crmSide.ListOpportunities(ctx, req, opts...)
}

func (c recordingCRM) ListProducts(ctx context.Context, req *crmv1.ListProductsRequest, opts ...grpc.CallOption) (*crmv1.ListProductsResponse, error) {
	c.ids.note(ctx, "ListProducts")
	return c.crmSide.ListProducts(ctx, req, opts...)
}

type recordingERP struct {
	*erpSide
	ids *callIDs
}

func (e recordingERP) ListItems(ctx context.Context, req *erpv1.ListItemsRequest, opts ...grpc.CallOption) (*erpv1.ListItemsResponse, error) {
	e.ids.note(ctx, "ListItems")
	return e.erpSide.ListItems(ctx, req, opts...)
}

func (e recordingERP) ListCustomers(ctx context.Context, req *erpv1.ListCustomersRequest, opts ...grpc.CallOption) (*erpv1.ListCustomersResponse, error) {
	e.ids.note(ctx, "ListCustomers")
	return e.erpSide.ListCustomers(ctx, req, opts...)
}

// The calls of a reconciliation pass and its log line carry the pass's
// request id, bridge-reconcile-<report id>.
func TestReconciliationCarriesItsRequestID(t *testing.T) {
	t.Parallel()
	s := newSides()
	s.addAccount(accountA, "Acme", 1)
	s.addDeal(dealA, accountA, erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED)
	ids := &callIDs{}
	var logs lockedBuffer
	c, x := recordingCRM{crmSide: &crmSide{sides: s}, ids: ids}, recordingERP{erpSide: &erpSide{sides: s}, ids: ids}
	e := New(CRM{Accounts: c, Activities: c, Opportunities: c, Products: c, Sync: c},
		ERP{Customers: x, Items: x, SalesOrders: x, Invoices: x}, newStore(t),
		telemetry.NewLogger(&logs, telemetry.Config{LogLevel: "info"}, "bridge"), nil, Options{})

	for range 2 {
		before := len(ids.all())
		r := reconciled(t, e)
		want := fmt.Sprintf("bridge-reconcile-%d", r.ID)
		calls := ids.all()[before:]
		methods := map[string]bool{}
		for _, call := range calls {
			method, id, _ := strings.Cut(call, " ")
			methods[method] = true
			if id != want {
				t.Errorf("pass %d: %s called with x-request-id %q, want %q", r.ID, method, id, want)
			}
		}
		if len(methods) != 4 {
			t.Errorf("pass %d: calls %q, want each of the four list calls", r.ID, calls)
		}
		lines := logLines(t, &logs, "reconciliation")
		if len(lines) == 0 || lines[len(lines)-1][telemetry.RequestIDKey] != want {
			t.Errorf("pass %d: log lines %v, want the last with request_id %s", r.ID, lines, want)
		}
	}
}

// demandCRM answers every stage with one open opportunity of one line,
// recording the request ids of the calls.
type demandCRM struct {
	crmv1.OpportunityServiceClient
	ids *callIDs
}

func (c demandCRM) ListOpportunities(ctx context.Context, req *crmv1.ListOpportunitiesRequest, _ ...grpc.CallOption) (*crmv1.ListOpportunitiesResponse, error) {
	c.ids.note(ctx, "ListOpportunities")
	return &crmv1.ListOpportunitiesResponse{Opportunities: []*crmv1.Opportunity{{
		Id: "deal-" + req.GetFilter(), Probability: 50, Lines: []*crmv1.OpportunityLine{{Sku: "GEAR-1", Quantity: "4"}},
	}}}, nil
}

type demandERP struct {
	erpv1.PlanningServiceClient
	ids *callIDs
}

func (e demandERP) SetPipelineDemand(ctx context.Context, _ *erpv1.SetPipelineDemandRequest, _ ...grpc.CallOption) (*erpv1.SetPipelineDemandResponse, error) {
	e.ids.note(ctx, "SetPipelineDemand")
	return &erpv1.SetPipelineDemandResponse{}, nil
}

// A pass of pipeline demand carries one request id of its own,
// bridge-demand-<n>, on its calls and its log line; the next pass has the
// next.
func TestDemandPassCarriesItsRequestID(t *testing.T) {
	t.Parallel()
	ids := &callIDs{}
	var logs lockedBuffer
	e := New(CRM{Opportunities: demandCRM{ids: ids}}, ERP{Planning: demandERP{ids: ids}}, newStore(t),
		telemetry.NewLogger(&logs, telemetry.Config{LogLevel: "info"}, "bridge"), nil,
		Options{DemandStage: crmv1.Stage_STAGE_PROPOSAL, DemandEvery: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.sendDemandPeriodically(ctx); close(done) }()
	waitFor(t, 10*time.Second, "two passes", func() bool { return len(ids.all()) >= 5 })
	cancel()
	<-done

	// Proposal and negotiation are listed in each pass; only the first
	// sends (the second finds nothing changed).
	want := []string{
		"ListOpportunities bridge-demand-1",
		"ListOpportunities bridge-demand-1",
		"SetPipelineDemand bridge-demand-1",
		"ListOpportunities bridge-demand-2",
		"ListOpportunities bridge-demand-2",
	}
	if got := ids.all()[:5]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("calls:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	sent := logLines(t, &logs, "pipeline demand sent")
	if len(sent) != 1 || sent[0][telemetry.RequestIDKey] != "bridge-demand-1" {
		t.Errorf("log lines %v, want one with request_id bridge-demand-1", sent)
	}

	// SendDemand, called by itself, is a pass of its own.
	if _, err := e.SendDemand(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := ids.all()
	if last := got[len(got)-1]; !strings.HasPrefix(last, "ListOpportunities bridge-demand-") || last == got[4] {
		t.Errorf("SendDemand's last call %q, want a bridge-demand- id of a new pass", last)
	}
}
