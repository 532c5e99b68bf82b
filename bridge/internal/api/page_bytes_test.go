package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/listing/listingtest"
	bridgev1 "github.com/seamhq/seam/proto/bridge/v1"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// largeEngine holds n failures of an event of an opportunity of many lines
// (ids 1..n) and n reports listing many repairs (ids 1..n, newest first).
type largeEngine struct {
	engine
	n      int
	event  []byte
	report json.RawMessage
}

func newLargeEngine(t *testing.T, n int) largeEngine {
	t.Helper()
	o := &crmv1.Opportunity{Id: "0f8fad5b-d9cb-469f-a165-70867728950e", Name: strings.Repeat("n", 200)}
	for i := range 500 {
		o.Lines = append(o.Lines, &crmv1.OpportunityLine{Sku: strings.Repeat("S", 100), Quantity: fmt.Sprint(i + 1)})
	}
	event, err := proto.Marshal(&crmv1.Event{Id: "e", Type: "opportunity.updated", Key: o.Id, Payload: &crmv1.Event_Opportunity{Opportunity: o}})
	if err != nil {
		t.Fatal(err)
	}
	r := flow.Report{Trigger: "schedule"}
	for c := range 10 {
		name := fmt.Sprintf("check_%d", c)
		r.Checks = append(r.Checks, &flow.CheckCount{Name: name, Checked: 1000, Drifted: 40, Repaired: 20})
		for i := range 40 {
			r.Repairs = append(r.Repairs, flow.Repair{
				Check: name, Key: fmt.Sprintf("key-%d-%s", i, strings.Repeat("k", 36)), Detail: strings.Repeat("d", 200), Unresolved: i%2 == 0,
			})
		}
	}
	report, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return largeEngine{n: n, event: event, report: report}
}

func (e largeEngine) Failures(_ context.Context, after int64, limit int) ([]postgres.Failure, error) {
	var out []postgres.Failure
	for id := after + 1; id <= int64(e.n) && len(out) < limit; id++ {
		out = append(out, postgres.Failure{
			ID: id, Feed: flow.FeedCRM, EventID: fmt.Sprint(id), EventType: "opportunity.updated", Event: e.event,
			State: postgres.StateWaiting, Error: "held", CreatedAt: time.Now(),
		})
	}
	return out, nil
}

func (e largeEngine) Reconciliations(_ context.Context, before int64, limit int) ([]postgres.Reconciliation, error) {
	if before == 0 {
		before = int64(e.n) + 1
	}
	var out []postgres.Reconciliation
	for id := before - 1; id >= 1 && len(out) < limit; id-- {
		now := time.Now()
		out = append(out, postgres.Reconciliation{ID: id, Trigger: "schedule", StartedAt: now, FinishedAt: now, Report: e.report})
	}
	return out, nil
}

// Failures of large events and reports of many repairs at the largest page
// size would make a page above the 4 MiB a gRPC client accepts by
// default: the lists end such a page early, and their tokens continue
// after its last item, so every page arrives and every item comes once.
func TestLargePagesFitDefaultClients(t *testing.T) {
	t.Parallel()
	const n = 60
	e := newLargeEngine(t, n)
	client, _ := startWith(t, e, e)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t))

	t.Run("failures", func(t *testing.T) {
		listingtest.ReadThrough(t, n, func(token string) (listingtest.Page, error) {
			resp, err := client.ListFailures(ctx, &bridgev1.ListFailuresRequest{PageSize: 1000, PageToken: token})
			p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
			for _, f := range resp.GetFailures() {
				p.Keys = append(p.Keys, strconv.FormatInt(f.GetId(), 10))
			}
			return p, err
		})
	})
	t.Run("reconciliations", func(t *testing.T) {
		listingtest.ReadThrough(t, n, func(token string) (listingtest.Page, error) {
			resp, err := client.ListReconciliations(ctx, &bridgev1.ListReconciliationsRequest{PageSize: 1000, PageToken: token})
			p := listingtest.Page{Size: proto.Size(resp), Next: resp.GetNextPageToken()}
			for _, r := range resp.GetReconciliations() {
				p.Keys = append(p.Keys, strconv.FormatInt(r.GetId(), 10))
			}
			return p, err
		})
	})
}
