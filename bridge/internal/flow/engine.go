package flow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"

	"github.com/seamhq/seam/bridge/internal/postgres"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Feed names, as stored with checkpoints.
const (
	FeedCRM = "crm"
	FeedERP = "erp"
)

// CRM is what the bridge calls on the CRM.
type CRM struct {
	Accounts      crmv1.AccountServiceClient
	Activities    crmv1.ActivityServiceClient
	Opportunities crmv1.OpportunityServiceClient
	Products      crmv1.ProductServiceClient
	Sync          crmv1.SyncServiceClient
	Events        crmv1.EventServiceClient
}

// ERP is what the bridge calls on the ERP.
type ERP struct {
	Customers   erpv1.CustomerServiceClient
	Items       erpv1.ItemServiceClient
	SalesOrders erpv1.SalesOrderServiceClient
	Invoices    erpv1.InvoiceServiceClient
	Planning    erpv1.PlanningServiceClient
	Events      erpv1.EventServiceClient
}

// NewCRM builds the CRM clients on one connection.
func NewCRM(conn grpc.ClientConnInterface) CRM {
	return CRM{
		Accounts:      crmv1.NewAccountServiceClient(conn),
		Activities:    crmv1.NewActivityServiceClient(conn),
		Opportunities: crmv1.NewOpportunityServiceClient(conn),
		Products:      crmv1.NewProductServiceClient(conn),
		Sync:          crmv1.NewSyncServiceClient(conn),
		Events:        crmv1.NewEventServiceClient(conn),
	}
}

// NewERP builds the ERP clients on one connection.
func NewERP(conn grpc.ClientConnInterface) ERP {
	return ERP{
		Customers:   erpv1.NewCustomerServiceClient(conn),
		Items:       erpv1.NewItemServiceClient(conn),
		SalesOrders: erpv1.NewSalesOrderServiceClient(conn),
		Invoices:    erpv1.NewInvoiceServiceClient(conn),
		Planning:    erpv1.NewPlanningServiceClient(conn),
		Events:      erpv1.NewEventServiceClient(conn),
	}
}

// Store is the bridge state the engine uses.
type Store interface {
	State
	FailureStore
	ReconcileStore
	DemandStore
	CustomerFor(ctx context.Context, accountID string) (string, bool, error)
	LinkCustomer(ctx context.Context, accountID, customerID string) error
	LinkOrder(ctx context.Context, opportunityID, orderID, number string) error
	DecisionTask(ctx context.Context, opportunityID, orderID string) (string, bool, error)
	RecordDecisionTask(ctx context.Context, opportunityID, orderID, number, taskID string) error
	ForgetDecisionTask(ctx context.Context, opportunityID, orderID, taskID string) error
	TryAcquireLease(ctx context.Context) (*postgres.Lease, error)
}

// Options tune the engine.
type Options struct {
	// DefaultCurrency is the currency of ERP customers made from CRM
	// accounts.
	DefaultCurrency string
	// MaxBackoff caps the wait between retries.
	MaxBackoff time.Duration
	// LeaseRetry is how often a standby tries to take over.
	LeaseRetry time.Duration
	// RetryEvery is how often parked keys due for a retry are looked for.
	RetryEvery time.Duration
	// ReconcileEvery is the interval of periodic reconciliation; 0 turns
	// it off.
	ReconcileEvery time.Duration
	// DemandStage is the first stage whose open opportunities count as
	// pipeline demand; DemandEvery how often it is sent (0 turns it off).
	DemandStage crmv1.Stage
	DemandEvery time.Duration
	// Now is the clock (tests).
	Now func() time.Time
}

// Engine runs the flows between CRM and ERP.
type Engine struct {
	crm   CRM
	erp   ERP
	store Store
	log   *slog.Logger
	m     *Metrics
	opts  Options

	written  revisions
	parking  parking
	activity activityLog

	// reconcileMu guards reconciling, the pass running, and the start of
	// passes, which run in passes.
	reconcileMu sync.Mutex
	reconciling *Report
	passes      sync.WaitGroup
	// catalogBatches and demandPasses count the catalog batches and the
	// passes of pipeline demand, for their request ids.
	catalogBatches, demandPasses atomic.Uint64
	// customers holds the ERP customer of each CRM account linked or
	// looked up during this lease term, saving a read of the bridge's
	// database for every order. syncAccount keeps it current; a new term
	// starts empty, as another replica may have relinked in between.
	customers sync.Map

	crmFeed *consumer[*crmv1.Event]
	erpFeed *consumer[*erpv1.Event]

	mu sync.Mutex
	// term is set while this replica leads: the lease term's context.
	term *leaseTerm
}

// leaseTerm is a time this replica leads; reconciliation passes run in
// its context.
type leaseTerm struct{ ctx context.Context }

// New builds an engine.
func New(crm CRM, erp ERP, store Store, log *slog.Logger, m *Metrics, opts Options) *Engine {
	if opts.DefaultCurrency == "" {
		opts.DefaultCurrency = "EUR"
	}
	if opts.LeaseRetry <= 0 {
		opts.LeaseRetry = 2 * time.Second
	}
	if opts.DemandStage == crmv1.Stage_STAGE_UNSPECIFIED {
		opts.DemandStage = crmv1.Stage_STAGE_PROPOSAL
	}
	if opts.RetryEvery <= 0 {
		opts.RetryEvery = 500 * time.Millisecond
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	e := &Engine{crm: crm, erp: erp, store: store, log: log, m: m, opts: opts}
	e.crmFeed = &consumer[*crmv1.Event]{
		name: FeedCRM, state: store, failures: store, park: &e.parking, activity: &e.activity, log: log, m: m, maxBackoff: opts.MaxBackoff,
		watch: func(ctx context.Context, after string) (receiver[*crmv1.Event], error) {
			return crm.Events.WatchEvents(ctx, &crmv1.WatchEventsRequest{After: after})
		},
		apply: e.applyCRM,
		backlog: func(ctx context.Context, after string) (int, time.Time, error) {
			resp, err := crm.Events.ListEvents(ctx, &crmv1.ListEventsRequest{After: after, PageSize: 1000})
			if err != nil || len(resp.GetEvents()) == 0 {
				return 0, time.Time{}, err
			}
			return len(resp.GetEvents()), resp.GetEvents()[0].GetCreateTime().AsTime(), nil
		},
	}
	e.erpFeed = &consumer[*erpv1.Event]{
		name: FeedERP, state: store, failures: store, park: &e.parking, activity: &e.activity, log: log, m: m, maxBackoff: opts.MaxBackoff,
		watch: func(ctx context.Context, after string) (receiver[*erpv1.Event], error) {
			return erp.Events.WatchEvents(ctx, &erpv1.WatchEventsRequest{After: after})
		},
		apply: e.applyERP,
		batcher: func(finish func(uint64, bool), one func(context.Context, *erpv1.Event) error) eventBatcher[*erpv1.Event] {
			return e.newStockBatcher(finish, one)
		},
		backlog: func(ctx context.Context, after string) (int, time.Time, error) {
			resp, err := erp.Events.ListEvents(ctx, &erpv1.ListEventsRequest{After: after, PageSize: 1000})
			if err != nil || len(resp.GetEvents()) == 0 {
				return 0, time.Time{}, err
			}
			return len(resp.GetEvents()), resp.GetEvents()[0].GetCreateTime().AsTime(), nil
		},
	}
	return e
}

// Run waits for the lease, then follows both feeds until ctx ends or the
// lease is lost, and then waits for the lease again.
func (e *Engine) Run(ctx context.Context) error {
	for ctx.Err() == nil {
		lease, err := e.store.TryAcquireLease(ctx)
		if err != nil {
			e.log.Warn("lease", "err", err)
		}
		if lease == nil {
			sleep(ctx, e.opts.LeaseRetry)
			continue
		}
		e.log.Info("holding the lease; following the feeds")
		e.work(ctx, lease)
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), e.opts.LeaseRetry)
		lease.Release(rctx)
		cancel()
		if ctx.Err() == nil {
			e.log.Warn("lease lost; standing by")
		}
	}
	return ctx.Err()
}

// work runs both feeds while the lease holds.
func (e *Engine) work(ctx context.Context, lease *postgres.Lease) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if err := e.beginTerm(ctx); err != nil {
		e.log.Error("begin lease term", "err", err)
		return
	}
	e.setTerm(&leaseTerm{ctx})
	defer func() {
		// No pass starts after the term; those running end with it.
		e.setTerm(nil)
		cancel()
		e.passes.Wait()
	}()
	var wg sync.WaitGroup
	wg.Go(func() { e.retryDue(ctx) })
	wg.Go(func() { e.reconcilePeriodically(ctx) })
	wg.Go(func() { e.measureBacklog(ctx) })
	wg.Go(func() { e.sendDemandPeriodically(ctx) })
	wg.Go(func() { e.crmFeed.run(ctx) })
	wg.Go(func() { e.erpFeed.run(ctx) })
	wg.Go(func() {
		defer cancel()
		t := time.NewTicker(e.opts.LeaseRetry)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				// A check that does not answer within the retry period
				// counts as lost: a standby may hold the lease by then.
				cctx, ccancel := context.WithTimeout(ctx, e.opts.LeaseRetry)
				err := lease.Check(cctx)
				ccancel()
				if err != nil && ctx.Err() == nil {
					e.log.Error("lease check failed", "err", err)
					return
				}
			}
		}
	})
	wg.Wait()
}

// beginTerm readies the engine for a lease term: the parked keys as the
// bridge's database has them, no customer links remembered from an
// earlier term (another replica may have relinked meanwhile), and no
// reconciliation left marked as running by the replica that led before.
func (e *Engine) beginTerm(ctx context.Context) error {
	keys, err := e.store.ParkedKeys(ctx)
	if err != nil {
		return fmt.Errorf("load parked keys: %w", err)
	}
	e.parking.load(keys)
	e.customers.Clear()
	n, err := e.store.AbandonReconciliations(ctx, abandoned)
	if err != nil {
		return err
	}
	if n > 0 {
		e.log.Warn("reconciliations left running by an earlier lease term marked as not finished", "count", n)
	}
	return nil
}

// setTerm makes this replica the leader for the lease term t, or a
// standby when t is nil, after which no reconciliation pass starts.
func (e *Engine) setTerm(t *leaseTerm) {
	e.reconcileMu.Lock()
	defer e.reconcileMu.Unlock()
	e.mu.Lock()
	e.term = t
	e.mu.Unlock()
	e.m.setLeader(t != nil)
}

// Leader reports whether this replica holds the lease.
func (e *Engine) Leader() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.term != nil
}

// backlogTimeout bounds the reads of a source's backlog: a source that
// does not answer leaves its backlog unknown (and says why in the feed's
// last error) rather than holding up the status.
const backlogTimeout = 3 * time.Second

// Status reports each feed, with the backlog asked from the sources.
func (e *Engine) Status(ctx context.Context) []FeedStatus {
	out := []FeedStatus{e.crmFeed.snapshot(), e.erpFeed.snapshot()}
	backlogs := []func(context.Context, string) (int, time.Time, error){e.crmFeed.backlog, e.erpFeed.backlog}
	names := []string{FeedCRM, FeedERP}
	for i := range out {
		out[i].Name = names[i]
		cursor := out[i].Cursor
		if cursor == "" {
			c, err := e.store.Checkpoint(ctx, names[i])
			if err != nil {
				out[i].LastError = err.Error()
				continue
			}
			out[i].Cursor = c
			cursor = c
		}
		bctx, cancel := context.WithTimeout(ctx, backlogTimeout)
		n, oldest, err := backlogs[i](bctx, cursor)
		cancel()
		if err != nil {
			if out[i].LastError == "" {
				out[i].LastError = fmt.Sprintf("read backlog: %v", err)
			}
			continue
		}
		out[i].LagEvents, out[i].BacklogKnown = n, true
		if n > 0 {
			out[i].LagSeconds = e.opts.Now().Sub(oldest).Seconds()
		}
	}
	return out
}

// measureBacklog refreshes the backlog gauges while this replica leads.
func (e *Engine) measureBacklog(ctx context.Context) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			for _, f := range e.Status(ctx) {
				e.m.setFeed(f)
			}
		}
	}
}
