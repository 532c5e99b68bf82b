package flow

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/seamhq/seam/bridge/internal/postgres"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Stock levels change far more often than anything else, and only the
// newest level of a SKU matters; catalog changes come in bursts too (an
// import of ten thousand items). The catalog batcher collects item and
// stock.changed events, keeps the newest of each kind per SKU, and writes
// them to the CRM in batches of up to stockBatchSize per call (items
// first, so that the stock of a new SKU finds its product), flushing as
// soon as the feed pauses. An event is finished when the batch holding its
// SKU's newer or equal state is written.
const (
	stockBatchSize  = 500
	stockBatchDelay = 2 * time.Millisecond
)

type pendingStock struct {
	ev   *erpv1.Event
	seqs []uint64
}

type stockBatcher struct {
	e      *Engine
	finish func(seq uint64, applied bool)
	// one applies a single event the slow way (with retries and parking),
	// for a batch the CRM rejects as a whole.
	one func(ctx context.Context, ev *erpv1.Event) error

	mu      sync.Mutex
	pending map[string]*pendingStock // by kind and SKU
	order   []string
	wake    chan struct{}
}

// batchKind is the kind of a batched event: "item" or "stock".
func batchKind(ev *erpv1.Event) string {
	switch ev.GetType() {
	case "item.created", "item.updated":
		if ev.GetItem() != nil {
			return "item"
		}
	case "stock.changed":
		if ev.GetStockLevel() != nil {
			return "stock"
		}
	}
	return ""
}

func (e *Engine) newStockBatcher(finish func(uint64, bool), one func(context.Context, *erpv1.Event) error) *stockBatcher {
	return &stockBatcher{e: e, finish: finish, one: one, pending: map[string]*pendingStock{}, wake: make(chan struct{}, 1)}
}

// offer takes a stock event unless its SKU is parked (then the event goes
// the normal way and waits behind the failure).
func (b *stockBatcher) offer(ev *erpv1.Event, seq uint64) bool {
	kind := batchKind(ev)
	if kind == "" || b.e.parking.has(FeedERP, ev.GetKey()) {
		return false
	}
	id := kind + " " + ev.GetKey()
	b.mu.Lock()
	p, ok := b.pending[id]
	if !ok {
		p = &pendingStock{}
		b.pending[id] = p
		b.order = append(b.order, id)
	}
	if p.ev == nil || ev.GetVersion() >= p.ev.GetVersion() {
		p.ev = ev
	}
	p.seqs = append(p.seqs, seq)
	b.mu.Unlock()
	select {
	case b.wake <- struct{}{}:
	default:
	}
	return true
}

// run flushes batches until ctx ends; what is pending then is replayed
// from the checkpoint.
func (b *stockBatcher) run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-b.wake:
		}
		// Let a burst gather before writing.
		sleep(ctx, stockBatchDelay)
		for {
			batch := b.take()
			if len(batch) == 0 {
				break
			}
			if !b.flush(ctx, batch) {
				return
			}
		}
	}
}

func (b *stockBatcher) take() []*pendingStock {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := min(len(b.order), stockBatchSize)
	batch := make([]*pendingStock, 0, n)
	for _, sku := range b.order[:n] {
		batch = append(batch, b.pending[sku])
		delete(b.pending, sku)
	}
	b.order = b.order[n:]
	return batch
}

// flush writes a batch, retrying transient failures; it reports false when
// ctx ended first.
func (b *stockBatcher) flush(ctx context.Context, batch []*pendingStock) bool {
	// One request id for the batch's calls and lines; an event applied
	// alone below has its own (forEvent).
	ctx = withRequestID(ctx, catalogBatchRequestID(b.e.catalogBatches.Add(1)))
	items := &crmv1.UpsertProductsRequest{}
	stock := &crmv1.SetAvailabilityRequest{}
	for _, p := range batch {
		if batchKind(p.ev) == "item" {
			items.Products = append(items.Products, productUpsert(p.ev.GetItem(), p.ev.GetVersion()))
		} else {
			stock.Updates = append(stock.Updates, b.e.availabilityUpdate(p.ev.GetStockLevel(), p.ev.GetVersion()))
		}
	}
	for attempt := 0; ; attempt++ {
		start := time.Now()
		var err error
		if len(items.GetProducts()) > 0 {
			_, err = b.e.crm.Sync.UpsertProducts(ctx, items)
		}
		if err == nil && len(stock.GetUpdates()) > 0 {
			err = b.e.writeAvailability(ctx, stock)
		}
		for _, p := range batch {
			b.e.m.observe(FeedERP, p.ev.GetType(), start, p.ev.GetCreateTime().AsTime(), err)
		}
		if err == nil {
			b.e.log.DebugContext(ctx, "catalog batch written", "skus", len(batch),
				"first_event", batch[0].ev.GetId(), "last_event", batch[len(batch)-1].ev.GetId())
			b.e.activity.add(Activity{
				Feed: FeedERP, Event: "catalog batch", Key: fmt.Sprintf("%d SKUs", len(batch)), Outcome: OutcomeApplied, Took: time.Since(start),
			})
			break
		}
		if ctx.Err() != nil {
			return false
		}
		if permanent(err) || attempt+1 >= maxLaneAttempts {
			// Find the culprit the slow way: one event at a time, parking
			// what fails.
			for _, p := range batch {
				if err := b.one(ctx, p.ev); err != nil {
					return false
				}
			}
			break
		}
		b.e.log.WarnContext(ctx, "catalog batch failed, retrying", "size", len(batch), "attempt", attempt+1, "err", err)
		sleep(ctx, backoff(attempt, 5*time.Second))
	}
	for _, p := range batch {
		for i, seq := range p.seqs {
			b.finish(seq, i == len(p.seqs)-1)
		}
	}
	return true
}

// availabilityUpdate is the CRM form of a stock level.
func (e *Engine) availabilityUpdate(a *erpv1.Availability, version int64) *crmv1.AvailabilityUpdate {
	if version == 0 {
		version = a.GetVersion()
	}
	u := &crmv1.AvailabilityUpdate{
		Sku:           a.GetSku(),
		OnHand:        a.GetOnHand(),
		Reserved:      a.GetReserved(),
		Available:     a.GetAvailable(),
		PromiseDate:   promiseDate(a),
		SourceVersion: version,
		AsOf:          a.GetUpdateTime(),
	}
	// The schedule goes as the ERP computed it; the CRM promises each
	// opportunity line's quantity from it.
	for _, q := range a.GetPromiseSchedule() {
		u.PromiseSchedule = append(u.PromiseSchedule, &crmv1.PromisableQuantity{Date: q.GetDate(), Quantity: q.GetQuantity()})
	}
	return u
}

// writeAvailability sends availability updates; SKUs the CRM does not know
// yet get their product first, read from the ERP, and are sent again.
func (e *Engine) writeAvailability(ctx context.Context, req *crmv1.SetAvailabilityRequest) error {
	resp, err := e.crm.Sync.SetAvailability(ctx, req)
	if err != nil {
		return err
	}
	if len(resp.GetUnknownSkus()) == 0 {
		return nil
	}
	unknown := map[string]bool{}
	for _, sku := range resp.GetUnknownSkus() {
		item, err := e.erp.Items.GetItem(ctx, &erpv1.GetItemRequest{Sku: sku})
		if err != nil {
			return err
		}
		// The item's own event carries its version; 0 keeps that one authoritative.
		if err := e.upsertProduct(ctx, item, 0); err != nil {
			return err
		}
		unknown[sku] = true
	}
	again := &crmv1.SetAvailabilityRequest{}
	for _, u := range req.GetUpdates() {
		if unknown[u.GetSku()] {
			again.Updates = append(again.Updates, u)
		}
	}
	_, err = e.crm.Sync.SetAvailability(ctx, again)
	return err
}

// has reports whether a key is parked.
func (p *parking) has(feed, key string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.keys[postgres.FeedKey{Feed: feed, Key: key}]
}
