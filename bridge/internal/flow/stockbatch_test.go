package flow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// syncStub records SetAvailability calls.
type syncStub struct {
	crmv1.SyncServiceClient
	mu    sync.Mutex
	calls int
	level map[string]int64 // sku -> newest version written
}

func (s *syncStub) SetAvailability(_ context.Context, req *crmv1.SetAvailabilityRequest, _ ...grpc.CallOption) (*crmv1.SetAvailabilityResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	for _, u := range req.GetUpdates() {
		if u.GetSourceVersion() > s.level[u.GetSku()] {
			s.level[u.GetSku()] = u.GetSourceVersion()
		}
	}
	return &crmv1.SetAvailabilityResponse{Applied: int32(len(req.GetUpdates()))}, nil
}

// A burst of stock changes is written in few calls, newest level per SKU,
// and every event is finished exactly once.
func TestStockBatcherCoalescesAndBatches(t *testing.T) {
	t.Parallel()
	stub := &syncStub{level: map[string]int64{}}
	e := &Engine{crm: CRM{Sync: stub}, log: slog.New(slog.DiscardHandler), opts: Options{Now: time.Now}}
	e.parking.load(nil)

	var mu sync.Mutex
	finished := map[uint64]int{}
	b := e.newStockBatcher(func(seq uint64, _ bool) {
		mu.Lock()
		finished[seq]++
		mu.Unlock()
	}, func(context.Context, *erpv1.Event) error { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go b.run(ctx)

	const skus, changes = 1200, 5
	seq := uint64(0)
	for v := int64(1); v <= changes; v++ {
		for i := range skus {
			sku := fmt.Sprintf("SKU-%04d", i)
			ev := &erpv1.Event{Type: "stock.changed", Key: sku, Version: v,
				Payload: &erpv1.Event_StockLevel{StockLevel: &erpv1.Availability{Sku: sku, Available: fmt.Sprint(v), Version: v}}}
			if !b.offer(ev, seq) {
				t.Fatal("offer refused a stock event")
			}
			seq++
		}
	}
	waitFor(t, 10*time.Second, "every event finished", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(finished) == int(seq)
	})
	for s, n := range finished {
		if n != 1 {
			t.Fatalf("event %d finished %d times", s, n)
		}
	}
	stub.mu.Lock()
	defer stub.mu.Unlock()
	for i := range skus {
		if v := stub.level[fmt.Sprintf("SKU-%04d", i)]; v != changes {
			t.Fatalf("SKU-%04d ends at version %d, want %d", i, v, changes)
		}
	}
	if stub.calls > int(seq)/10 {
		t.Errorf("%d calls for %d events: not batched", stub.calls, seq)
	}
	t.Logf("%d stock events written in %d calls", seq, stub.calls)
}

// scheduleStub keeps, per SKU, the schedule and promise date of the
// newest update written.
type scheduleStub struct {
	crmv1.SyncServiceClient
	mu       sync.Mutex
	version  map[string]int64
	schedule map[string]string
	promise  map[string]string
}

func (s *scheduleStub) SetAvailability(_ context.Context, req *crmv1.SetAvailabilityRequest, _ ...grpc.CallOption) (*crmv1.SetAvailabilityResponse, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &crmv1.SetAvailabilityResponse{}
	for _, u := range req.GetUpdates() {
		if u.GetSourceVersion() <= s.version[u.GetSku()] {
			out.Stale++
			continue
		}
		var steps []string
		for _, q := range u.GetPromiseSchedule() {
			steps = append(steps, q.GetDate()+"="+q.GetQuantity())
		}
		s.version[u.GetSku()], s.schedule[u.GetSku()] = u.GetSourceVersion(), fmt.Sprint(steps)
		s.promise[u.GetSku()] = u.GetPromiseDate()
		out.Applied++
	}
	return out, nil
}

// The ERP's promise schedule travels with each availability update, in
// batches and one at a time; an older level arriving late changes nothing.
// The promise date sent is the schedule's: past a receipt that backorders
// take whole.
func TestAvailabilityCarriesPromiseSchedule(t *testing.T) {
	t.Parallel()
	stub := &scheduleStub{version: map[string]int64{}, schedule: map[string]string{}, promise: map[string]string{}}
	e := &Engine{crm: CRM{Sync: stub}, log: slog.New(slog.DiscardHandler), opts: Options{Now: time.Now}}
	e.parking.load(nil)
	level := func(sku string, v int64, steps ...string) *erpv1.Availability {
		a := &erpv1.Availability{Sku: sku, Available: steps[1], NextReceiptDate: "2030-12-01", Version: v}
		for i := 0; i < len(steps); i += 2 {
			a.PromiseSchedule = append(a.PromiseSchedule, &erpv1.PromisableQuantity{Date: steps[i], Quantity: steps[i+1]})
		}
		return a
	}
	newer := level("S-1", 2, "", "10", "2030-12-01", "30", "2030-12-15", "60")
	older := level("S-1", 1, "", "0", "2030-12-15", "30")
	const want = "[=10 2030-12-01=30 2030-12-15=60]"

	// One at a time: the newer level, then the older one, which is stale.
	ctx := context.Background()
	for _, a := range []*erpv1.Availability{newer, older} {
		if err := e.setAvailability(ctx, a, a.GetVersion()); err != nil {
			t.Fatal(err)
		}
	}
	if got := stub.schedule["S-1"]; got != want {
		t.Errorf("one at a time: CRM schedule = %s, want %s", got, want)
	}
	if got := stub.promise["S-1"]; got != "2030-12-01" {
		t.Errorf("one at a time: CRM promise date = %q, want 2030-12-01", got)
	}

	// In a batch: the newest of a SKU's events goes, whatever their order.
	var mu sync.Mutex
	finished := 0
	b := e.newStockBatcher(func(uint64, bool) {
		mu.Lock()
		finished++
		mu.Unlock()
	}, func(context.Context, *erpv1.Event) error { return nil })
	bctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go b.run(bctx)
	// S-3's receipt of 2030-12-01 goes to backorders whole: one more unit
	// is promised on the 15th.
	levels := []*erpv1.Availability{level("S-2", 2, "", "10", "2030-12-01", "30", "2030-12-15", "60"), level("S-2", 1, "", "0"),
		level("S-3", 1, "", "0", "2030-12-15", "30")}
	for i, a := range levels {
		ev := &erpv1.Event{Type: "stock.changed", Key: a.GetSku(), Version: a.GetVersion(), Payload: &erpv1.Event_StockLevel{StockLevel: a}}
		if !b.offer(ev, uint64(i)) {
			t.Fatal("offer refused a stock event")
		}
	}
	waitFor(t, 10*time.Second, "every event finished", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return finished == len(levels)
	})
	stub.mu.Lock()
	defer stub.mu.Unlock()
	if got := stub.schedule["S-2"]; got != want {
		t.Errorf("batched: CRM schedule = %s, want %s", got, want)
	}
	if got := stub.promise["S-3"]; got != "2030-12-15" {
		t.Errorf("batched: CRM promise date past a backordered receipt = %q, want 2030-12-15", got)
	}
}
