package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/erp-service/internal/app"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/server"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Result is the latency of one kind of call.
type Result struct {
	Name          string
	Calls         int
	P50, P99, Max time.Duration
	Note          string
}

func summarize(name string, d []time.Duration, note string) Result {
	slices.Sort(d)
	at := func(q float64) time.Duration { return d[min(len(d)-1, int(q*float64(len(d))))] }
	return Result{Name: name, Calls: len(d), P50: at(0.50), P99: at(0.99), Max: d[len(d)-1], Note: note}
}

// Samples is how many calls each measurement makes.
type Samples struct {
	Availability int // per availability measurement
	Reports      int // trial balance and aging first page
	FullAging    int // walks of every aging page
}

// Measure starts the ERP server in this process on a TCP port of
// 127.0.0.1, against pool, and times the reports and availability
// through gRPC from one client, one call at a time.
func Measure(ctx context.Context, pool *pgxpool.Pool, skus int, n Samples) (_ []Result, err error) {
	secret := []byte("loadgen-secret")
	verifier, err := auth.NewVerifier(secret)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := app.NewServer(ctx, server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second},
		pool, logger, verifier)
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	defer func() {
		cancel()
		if serr := <-done; serr != nil && err == nil {
			err = fmt.Errorf("server: %w", serr)
		}
	}()
	conn, err := grpc.NewClient(srv.GRPCAddr(), append(server.WindowDialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	tok, err := auth.Sign(secret, "loadgen", []auth.Role{auth.Admin}, 24*time.Hour)
	if err != nil {
		return nil, err
	}
	cctx := metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	items, ledger, reports := erpv1.NewItemServiceClient(conn), erpv1.NewLedgerServiceClient(conn), erpv1.NewReportServiceClient(conn)
	stockSvc := erpv1.NewStockServiceClient(conn)

	timeCalls := func(k int, call func(i int) error) ([]time.Duration, error) {
		// Two untimed calls warm the connection and the caches.
		for i := range 2 {
			if err := call(i); err != nil {
				return nil, err
			}
		}
		d := make([]time.Duration, 0, k)
		for i := range k {
			t := time.Now()
			if err := call(i); err != nil {
				return nil, err
			}
			d = append(d, time.Since(t))
		}
		return d, nil
	}
	var out []Result
	rng := rand.New(rand.NewPCG(7, 7))

	var hot *erpv1.Availability
	d, err := timeCalls(n.Availability, func(int) error {
		var err error
		hot, err = items.GetAvailability(cctx, &erpv1.GetAvailabilityRequest{Sku: hotSKU})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("availability of %s: %w", hotSKU, err)
	}
	out = append(out, summarize("GetAvailability, hot SKU "+hotSKU, d, fmt.Sprintf("on hand %s, reserved %s", hot.GetOnHand(), hot.GetReserved())))

	d, err = timeCalls(n.Availability, func(int) error {
		_, err := items.GetAvailability(cctx, &erpv1.GetAvailabilityRequest{Sku: hotSKU, RequestedQuantity: "250"})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("availability of %s with a promise: %w", hotSKU, err)
	}
	out = append(out, summarize("GetAvailability, hot SKU, requested_quantity 250", d, "with the promise date"))

	d, err = timeCalls(n.Availability, func(int) error {
		_, err := items.GetAvailability(cctx, &erpv1.GetAvailabilityRequest{Sku: fmt.Sprintf("SKU-%06d", 1+rng.IntN(skus))})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("availability of random SKUs: %w", err)
	}
	out = append(out, summarize("GetAvailability, random SKU", d, fmt.Sprintf("uniform over %d SKUs", skus)))

	// The hot SKU's stock card: its first page, and a page 50 pages in
	// (reached untimed), which a keyset read answers as fast.
	card := &erpv1.ListStockMovesRequest{Filter: fmt.Sprintf("sku = %q", hotSKU), PageSize: 100}
	var moves int
	d, err = timeCalls(n.Availability, func(int) error {
		resp, err := stockSvc.ListStockMoves(cctx, card)
		moves = len(resp.GetStockMoves())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stock moves of %s: %w", hotSKU, err)
	}
	out = append(out, summarize("ListStockMoves, hot SKU, first page", d, fmt.Sprintf("%d moves", moves)))
	deep := &erpv1.ListStockMovesRequest{Filter: card.Filter, PageSize: card.PageSize}
	for range 50 {
		resp, err := stockSvc.ListStockMoves(cctx, deep)
		if err != nil {
			return nil, fmt.Errorf("stock moves of %s: %w", hotSKU, err)
		}
		if resp.GetNextPageToken() == "" {
			break
		}
		deep.PageToken = resp.GetNextPageToken()
	}
	d, err = timeCalls(n.Availability, func(int) error {
		resp, err := stockSvc.ListStockMoves(cctx, deep)
		moves = len(resp.GetStockMoves())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("stock moves of %s, page 51: %w", hotSKU, err)
	}
	out = append(out, summarize("ListStockMoves, hot SKU, page 51", d, fmt.Sprintf("%d moves", moves)))

	var rows int
	d, err = timeCalls(n.Reports, func(int) error {
		tb, err := ledger.GetTrialBalance(cctx, &erpv1.GetTrialBalanceRequest{})
		rows = len(tb.GetRows())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("trial balance: %w", err)
	}
	out = append(out, summarize("GetTrialBalance", d, fmt.Sprintf("%d rows", rows)))

	d, err = timeCalls(n.Reports, func(int) error {
		a, err := reports.GetArAging(cctx, &erpv1.GetArAgingRequest{PageSize: 1000})
		rows = len(a.GetRows())
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("aging: %w", err)
	}
	out = append(out, summarize("GetArAging, first page of 1,000 customers", d, fmt.Sprintf("%d rows", rows)))

	var pages int
	d, err = timeCalls(n.FullAging, func(int) error {
		token := ""
		pages, rows = 0, 0
		for {
			a, err := reports.GetArAging(cctx, &erpv1.GetArAgingRequest{PageSize: 1000, PageToken: token})
			if err != nil {
				return err
			}
			pages++
			rows += len(a.GetRows())
			if token = a.GetNextPageToken(); token == "" {
				return nil
			}
		}
	})
	if err != nil {
		return nil, fmt.Errorf("aging, every page: %w", err)
	}
	out = append(out, summarize("GetArAging, every page (whole report)", d, fmt.Sprintf("%d pages, %d rows", pages, rows)))

	// The sales report over the last 365 days, first page of 1,000 rows
	// of each grouping.
	today := time.Now().UTC()
	year := &erpv1.GetSalesReportRequest{StartDate: today.AddDate(-1, 0, 1).Format(time.DateOnly), EndDate: today.Format(time.DateOnly), PageSize: 1000}
	for _, g := range []struct {
		by   erpv1.SalesGrouping
		name string
	}{
		{erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER_ITEM, "per customer and item"},
		{erpv1.SalesGrouping_SALES_GROUPING_CUSTOMER, "per customer"},
		{erpv1.SalesGrouping_SALES_GROUPING_ITEM, "per item"},
		{erpv1.SalesGrouping_SALES_GROUPING_CURRENCY, "per currency"},
	} {
		year.GroupBy = g.by
		d, err = timeCalls(n.Reports, func(int) error {
			r, err := reports.GetSalesReport(cctx, year)
			rows = len(r.GetRows())
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("sales report %s: %w", g.name, err)
		}
		out = append(out, summarize("GetSalesReport, 365 days, "+g.name+", first page", d, fmt.Sprintf("%d rows", rows)))
	}
	return out, nil
}
