package flow

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/pg"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// TestReconciliationRunsInTheBackground: a pass is started and returned
// at once, asking again while it runs joins it, a replica stopping ends
// it as not finished, and a pass left running by a replica that died is
// marked so when the next lease term begins.
func TestReconciliationRunsInTheBackground(t *testing.T) {
	url := newBridgeDB(t)
	ctx := context.Background()
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := postgres.New(pool)

	// A pass the replica before left running.
	orphan, err := store.StartReconciliation(ctx, postgres.Reconciliation{Trigger: "api", StartedAt: time.Now(), Report: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}

	// The sides accept connections and never answer, so a pass hangs in
	// its first call until the replica stops.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	e := New(NewCRM(conn), NewERP(conn), store, slog.New(slog.DiscardHandler), nil, Options{LeaseRetry: 100 * time.Millisecond})

	if _, err := e.StartReconcile(ctx, "api"); !errors.Is(err, ErrStandby) {
		t.Fatalf("start before leading: %v, want ErrStandby", err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { e.Run(runCtx); close(done) }()
	waitFor(t, 5*time.Second, "leading", e.Leader)

	rec, ok, err := store.Reconciliation(ctx, orphan)
	if err != nil || !ok {
		t.Fatal(ok, err)
	}
	if r, _ := StoredReport(rec); r.Running() || !strings.Contains(r.Error, "did not finish") {
		t.Errorf("the earlier term's pass = %+v, want ended as not finished", r)
	}

	first, err := e.StartReconcile(ctx, "api")
	if err != nil {
		t.Fatal(err)
	}
	if !first.Running() || first.ID == 0 || first.ID == orphan {
		t.Fatalf("started pass = %+v, want a new running one", first)
	}
	again, err := e.StartReconcile(ctx, "api")
	if err != nil || again.ID != first.ID {
		t.Fatalf("asking again while it runs = %d, %v; want the running pass %d", again.ID, err, first.ID)
	}
	rec, ok, err = store.Reconciliation(ctx, first.ID)
	if err != nil || !ok || !rec.FinishedAt.IsZero() {
		t.Fatalf("stored pass while running: %+v %v %v", rec, ok, err)
	}

	stop()
	<-done
	rec, _, err = store.Reconciliation(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	r, err := StoredReport(rec)
	if err != nil || r.Running() || !strings.Contains(r.Error, "did not finish") {
		t.Errorf("pass after its replica stopped = %+v, %v; want ended as not finished", r, err)
	}
	acts := e.Activity(10)
	if len(acts) < 2 || acts[0].Event != EventReconciliation || acts[0].Error == "" {
		t.Errorf("activity = %+v, want the pass's start and failed end", acts)
	}
}

func TestSameAvailability(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		shown, promised     string
		available, nextDate string
		want                bool
	}{
		{"same, in stock", "5", "2026-01-02", "5.000", "", true},
		{"other quantity", "4", "", "5", "", false},
		{"none available, same receipt", "0", "2030-01-10", "0", "2030-01-10", true},
		{"none available, receipt not shown", "0", "", "0", "2030-01-10", false},
		{"none available, receipt gone", "0", "2030-01-10", "0", "", false},
		{"none available, another receipt", "0", "2030-01-10", "0", "2030-02-01", false},
		{"none available, nothing incoming", "0", "", "0", "", true},
	}
	for _, tt := range tests {
		p := &crmv1.Product{AvailableQuantity: tt.shown, PromiseDate: tt.promised}
		a := &erpv1.Availability{Available: tt.available, NextReceiptDate: tt.nextDate}
		if got := sameAvailability(p, a); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
