package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/seamhq/seam/e2e/internal/loadgen"
)

// bench measures the won-deal loop against a running stack.
func bench(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	crmAddr := fs.String("crm", "127.0.0.1:9081", "CRM gRPC address")
	erpAddr := fs.String("erp", "127.0.0.1:9082", "ERP gRPC address")
	clients := fs.Int("clients", 1, "concurrent clients")
	deals := fs.Int("deals", 500, "deals in total")
	poll := fs.Duration("poll", 0, "poll GetOpportunity from this interval instead of watching the opportunity")
	opened := fs.Bool("opened", false, "create the opportunities first and time the loop from :win alone")
	if err := fs.Parse(args); err != nil {
		return err
	}
	crm, err := dialLocal(*crmAddr)
	if err != nil {
		return err
	}
	defer crm.Close()
	erp, err := dialLocal(*erpAddr)
	if err != nil {
		return err
	}
	defer erp.Close()
	account, skus, err := loadgen.Setup(ctx, crm, erp, fmt.Sprintf("BENCH-%d", time.Now().Unix()))
	if err != nil {
		return err
	}
	cfg := loadgen.Config{Clients: *clients, Deals: *deals, Poll: *poll, ERP: erp}
	if *opened {
		if cfg.Open, err = loadgen.Open(ctx, crm, account, skus, *deals, *clients); err != nil {
			return err
		}
		time.Sleep(2 * time.Second) // the bridge passes the created events
	}
	res, err := loadgen.WonDeals(ctx, crm, account, skus, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, res)
	return nil
}
