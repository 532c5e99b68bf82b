// Package loadgen drives the won-deal loop through the public gRPC APIs and
// measures it: each client creates an opportunity, wins it, and watches it
// (WatchOpportunity) until the ERP order number is visible in the CRM.
package loadgen

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Config of a run.
type Config struct {
	// Clients is the number of concurrent clients.
	Clients int
	// Deals is the number of deals in total.
	Deals int
	// Poll, when set, makes the clients poll GetOpportunity for the order
	// number instead of watching: first after Poll, then at intervals
	// growing to five times that.
	Poll time.Duration
	// Open, when set, lists opportunities created beforehand (by Open):
	// the clients win these instead of creating each deal first, so the
	// run times the loop from :win alone. Deals is then len(Open).
	Open []string
	// ERP, when set, makes every availabilityEvery-th deal also wait, once
	// its order number shows, until the CRM shows its items' availability
	// with the deal's reservations: the ERP's level of each item is read
	// then, and the CRM's product watched until its available quantity is
	// no higher (nothing is received while the run lasts, so availability
	// only falls). Result.Both* are the latencies from :win to both.
	ERP grpc.ClientConnInterface
}

// availabilityEvery is how often a deal also waits for availability: a
// sample, so that the extra reads do not become the load.
const availabilityEvery = 10

// Result of a run.
type Result struct {
	Deals     int
	Clients   int
	Elapsed   time.Duration
	PerSecond float64
	// Latency from the :win call to the order number being visible in CRM.
	P50, P90, P99, Max time.Duration
	// With Config.ERP, the latency from :win to the order number and the
	// items' availability visible in CRM, over a sample of Both deals.
	Both                      int
	BothP50, BothP99, BothMax time.Duration
}

func (r Result) String() string {
	round := func(d time.Duration) time.Duration { return d.Round(10 * time.Microsecond) }
	s := fmt.Sprintf("%d deals, %d clients: %.1f deals/s; win->order visible p50 %s p90 %s p99 %s max %s",
		r.Deals, r.Clients, r.PerSecond, round(r.P50), round(r.P90), round(r.P99), round(r.Max))
	if r.Both > 0 {
		s += fmt.Sprintf("; win->order and availability visible (%d deals) p50 %s p99 %s max %s",
			r.Both, round(r.BothP50), round(r.BothP99), round(r.BothMax))
	}
	return s
}

// catalogSize is how many stocked items the deals draw their lines from.
const catalogSize = 30

// Setup prepares an account and stocked items; it returns the account id
// and the SKUs once the CRM catalog has them.
func Setup(ctx context.Context, crm, erp grpc.ClientConnInterface, prefix string) (string, []string, error) {
	items := erpv1.NewItemServiceClient(erp)
	stock := erpv1.NewStockServiceClient(erp)
	var skus []string
	for i := range catalogSize {
		sku := fmt.Sprintf("%s-%02d", prefix, i)
		_, err := items.CreateItem(ctx, &erpv1.CreateItemRequest{Item: &erpv1.Item{
			Sku: sku, Name: "Load item " + sku, ListPrice: &moneyv1.Money{CurrencyCode: "EUR", Amount: "99.50"},
		}})
		if err != nil && status.Code(err) != codes.AlreadyExists {
			return "", nil, fmt.Errorf("create item: %w", err)
		}
		if _, err := stock.CreateStockAdjustment(ctx, &erpv1.CreateStockAdjustmentRequest{
			StockAdjustment: &erpv1.StockAdjustment{Sku: sku, Quantity: "100000000", Reason: "receipt"},
		}); err != nil {
			return "", nil, fmt.Errorf("receive stock: %w", err)
		}
		skus = append(skus, sku)
	}
	acc, err := crmv1.NewAccountServiceClient(crm).CreateAccount(ctx, &crmv1.CreateAccountRequest{
		Account: &crmv1.Account{Name: "Load test account " + prefix},
	})
	if err != nil {
		return "", nil, fmt.Errorf("create account: %w", err)
	}
	products := crmv1.NewProductServiceClient(crm)
	deadline := time.Now().Add(30 * time.Second)
	for _, sku := range skus {
		for {
			if _, err := products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: sku}); err == nil {
				break
			}
			if time.Now().After(deadline) {
				return "", nil, errors.New("items did not reach the CRM catalog in 30s")
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return acc.GetId(), skus, nil
}

// WonDeals runs the loop.
func WonDeals(ctx context.Context, crm grpc.ClientConnInterface, accountID string, skus []string, cfg Config) (Result, error) {
	cfg.Clients = max(cfg.Clients, 1)
	if cfg.Open != nil {
		cfg.Deals = len(cfg.Open)
	}
	opps := crmv1.NewOpportunityServiceClient(crm)
	products := crmv1.NewProductServiceClient(crm)
	var items erpv1.ItemServiceClient
	if cfg.ERP != nil {
		items = erpv1.NewItemServiceClient(cfg.ERP)
	}
	var mu sync.Mutex
	var latencies, both []time.Duration
	start := time.Now()
	err := each(cfg.Clients, cfg.Deals, func(n int) error {
		var id string
		if cfg.Open != nil {
			id = cfg.Open[n-1]
		} else {
			var err error
			if id, err = openDeal(ctx, opps, accountID, skus, n); err != nil {
				return err
			}
		}
		won := time.Now()
		d, err := winDeal(ctx, opps, id, cfg.Poll)
		if err != nil {
			return err
		}
		var b time.Duration
		if items != nil && n%availabilityEvery == 0 {
			if err := availabilityShown(ctx, items, products, dealSKUs(skus, n)); err != nil {
				return fmt.Errorf("opportunity %s: %w", id, err)
			}
			b = time.Since(won)
		}
		mu.Lock()
		latencies = append(latencies, d)
		if b > 0 {
			both = append(both, b)
		}
		mu.Unlock()
		return nil
	})
	elapsed := time.Since(start)
	if err != nil {
		return Result{}, err
	}
	q := func(l []time.Duration, p float64) time.Duration { return l[min(len(l)-1, int(p*float64(len(l))))] }
	slices.Sort(latencies)
	res := Result{
		Deals: len(latencies), Clients: cfg.Clients, Elapsed: elapsed,
		PerSecond: float64(len(latencies)) / elapsed.Seconds(),
		P50:       q(latencies, 0.50), P90: q(latencies, 0.90), P99: q(latencies, 0.99), Max: latencies[len(latencies)-1],
	}
	if len(both) > 0 {
		slices.Sort(both)
		res.Both, res.BothP50, res.BothP99, res.BothMax = len(both), q(both, 0.50), q(both, 0.99), both[len(both)-1]
	}
	return res, nil
}

// availabilityShown reads the ERP's availability of skus and waits until
// the CRM's products show it or less.
func availabilityShown(ctx context.Context, items erpv1.ItemServiceClient, products crmv1.ProductServiceClient, skus []string) error {
	erpAvailable := make([]decimal.Decimal, len(skus))
	for i, sku := range skus {
		av, err := items.GetAvailability(ctx, &erpv1.GetAvailabilityRequest{Sku: sku})
		if err != nil {
			return fmt.Errorf("ERP availability of %s: %w", sku, err)
		}
		if erpAvailable[i], err = decimal.NewFromString(av.GetAvailable()); err != nil {
			return fmt.Errorf("ERP availability of %s: %w", sku, err)
		}
	}
	deadline := time.Now().Add(30 * time.Second)
	for i, sku := range skus {
		for wait := time.Millisecond; ; wait = min(wait*2, 5*time.Millisecond) {
			p, err := products.GetProduct(ctx, &crmv1.GetProductRequest{Sku: sku})
			if err != nil {
				return fmt.Errorf("CRM product %s: %w", sku, err)
			}
			if crm, err := decimal.NewFromString(p.GetAvailableQuantity()); err == nil && crm.LessThanOrEqual(erpAvailable[i]) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("the CRM shows %s of %s available 30s after the ERP showed %s", p.GetAvailableQuantity(), sku, erpAvailable[i])
			}
			time.Sleep(wait)
		}
	}
	return nil
}

// Open creates n open opportunities for WonDeals to win, with clients
// concurrent callers, and returns their ids.
func Open(ctx context.Context, crm grpc.ClientConnInterface, accountID string, skus []string, n, clients int) ([]string, error) {
	opps := crmv1.NewOpportunityServiceClient(crm)
	ids := make([]string, n)
	err := each(clients, n, func(i int) error {
		id, err := openDeal(ctx, opps, accountID, skus, i)
		ids[i-1] = id
		return err
	})
	if err != nil {
		return nil, err
	}
	return ids, nil
}

// each runs do(1..n) on clients concurrent workers and returns the first
// error; a worker stops at its first error.
func each(clients, n int, do func(n int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	for range max(clients, 1) {
		wg.Go(func() {
			for {
				i := int(next.Add(1))
				if i > n {
					return
				}
				if err := do(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return firstErr
}

// dealSKUs are the items of the n-th deal's three lines, spread over the
// catalog as real deals are.
func dealSKUs(skus []string, n int) []string {
	out := make([]string, 3)
	for i := range out {
		out[i] = skus[(n*7+i*11)%len(skus)]
	}
	return out
}

// openDeal creates the n-th deal's opportunity.
func openDeal(ctx context.Context, opps crmv1.OpportunityServiceClient, accountID string, skus []string, n int) (string, error) {
	opp := &crmv1.Opportunity{AccountId: accountID, Name: fmt.Sprintf("Load deal %d", n), CurrencyCode: "EUR"}
	for i, sku := range dealSKUs(skus, n) {
		opp.Lines = append(opp.Lines, &crmv1.OpportunityLine{Sku: sku, Quantity: fmt.Sprint(1 + (n+i)%3)})
	}
	created, err := opps.CreateOpportunity(ctx, &crmv1.CreateOpportunityRequest{Opportunity: opp})
	if err != nil {
		return "", fmt.Errorf("create opportunity: %w", err)
	}
	return created.GetId(), nil
}

// winDeal wins the opportunity and returns the time until its order
// number shows.
func winDeal(ctx context.Context, opps crmv1.OpportunityServiceClient, id string, poll time.Duration) (time.Duration, error) {
	start := time.Now()
	if _, err := opps.WinOpportunity(ctx, &crmv1.WinOpportunityRequest{Id: id}); err != nil {
		return 0, fmt.Errorf("win: %w", err)
	}
	if poll <= 0 {
		return watchOrder(ctx, opps, id, start)
	}
	deadline := start.Add(30 * time.Second)
	wait := poll
	for {
		got, err := opps.GetOpportunity(ctx, &crmv1.GetOpportunityRequest{Id: id})
		if err != nil {
			return 0, fmt.Errorf("get opportunity: %w", err)
		}
		if got.GetOrder().GetNumber() != "" {
			return time.Since(start), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("opportunity %s has no order number 30s after :win", id)
		}
		// Look often at first, then back off so that polling itself does
		// not become the load.
		time.Sleep(wait)
		wait = min(wait*5/4, 5*poll)
	}
}

// watchOrder watches the opportunity until its order number shows, and
// returns the time since start.
func watchOrder(ctx context.Context, opps crmv1.OpportunityServiceClient, id string, start time.Time) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	stream, err := opps.WatchOpportunity(ctx, &crmv1.WatchOpportunityRequest{Id: id})
	if err != nil {
		return 0, fmt.Errorf("watch opportunity: %w", err)
	}
	for {
		got, err := stream.Recv()
		if err != nil {
			if status.Code(err) == codes.DeadlineExceeded {
				return 0, fmt.Errorf("opportunity %s has no order number 30s after :win", id)
			}
			return 0, fmt.Errorf("watch opportunity: %w", err)
		}
		if got.GetOrder().GetNumber() != "" {
			return time.Since(start), nil
		}
	}
}
