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
