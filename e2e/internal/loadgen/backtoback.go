package loadgen

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"google.golang.org/grpc"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// BackToBack measures the loop's capacity: clients concurrent callers win
// the opened opportunities back to back, each :win as soon as the last
// returned, without waiting for orders, while every opportunity is watched
// (WatchOpportunity, each stream opened before the first :win) until its
// order number shows. Result.PerSecond is the deals whose order shows per
// second from the first :win to the last order; once the wins outrun the
// loop, the latencies are mostly the time a deal queued.
func BackToBack(ctx context.Context, crm grpc.ClientConnInterface, open []string, clients int) (Result, error) {
	opps := crmv1.NewOpportunityServiceClient(crm)
	ctx, cancel := context.WithTimeout(ctx, time.Minute+time.Duration(len(open))*20*time.Millisecond)
	defer cancel()

	var mu sync.Mutex
	won := make(map[string]time.Time, len(open))
	shown := make(map[string]time.Time, len(open))
	watching := make(chan error, len(open))
	ordered := make(chan error, len(open))
	for _, id := range open {
		stream, err := opps.WatchOpportunity(ctx, &crmv1.WatchOpportunityRequest{Id: id})
		if err != nil {
			return Result{}, fmt.Errorf("watch opportunity: %w", err)
		}
		go func() {
			for first := true; ; first = false {
				got, err := stream.Recv()
				if first {
					watching <- err // the stream is open once its first message came
				}
				if err != nil {
					ordered <- fmt.Errorf("watch opportunity %s: %w", id, err)
					return
				}
				if got.GetOrder().GetNumber() != "" {
					mu.Lock()
					shown[id] = time.Now()
					mu.Unlock()
					ordered <- nil
					return
				}
			}
		}()
	}
	for range open {
		if err := <-watching; err != nil {
			return Result{}, fmt.Errorf("watch opportunity: %w", err)
		}
	}

	start := time.Now()
	err := each(clients, len(open), func(n int) error {
		id := open[n-1]
		mu.Lock()
		won[id] = time.Now()
		mu.Unlock()
		if _, err := opps.WinOpportunity(ctx, &crmv1.WinOpportunityRequest{Id: id}); err != nil {
			return fmt.Errorf("win: %w", err)
		}
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	for range open {
		if err := <-ordered; err != nil {
			return Result{}, err
		}
	}
	elapsed := time.Since(start)

	latencies := make([]time.Duration, 0, len(open))
	for id, at := range won {
		latencies = append(latencies, shown[id].Sub(at))
	}
	slices.Sort(latencies)
	q := func(p float64) time.Duration { return latencies[min(len(latencies)-1, int(p*float64(len(latencies))))] }
	return Result{
		Deals: len(latencies), Clients: clients, Elapsed: elapsed,
		PerSecond: float64(len(latencies)) / elapsed.Seconds(),
		P50:       q(0.50), P90: q(0.90), P99: q(0.99), Max: latencies[len(latencies)-1],
	}, nil
}
