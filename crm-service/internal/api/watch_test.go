package api_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// watch opens WatchOpportunity and returns a function that receives the
// next version, failing after 5 s.
func (e *env) watch(ctx context.Context, id string) func() (*crmv1.Opportunity, error) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(ctx)
	e.t.Cleanup(cancel)
	stream, err := e.opportunities.WatchOpportunity(ctx, &crmv1.WatchOpportunityRequest{Id: id})
	if err != nil {
		e.t.Fatal(err)
	}
	type result struct {
		o   *crmv1.Opportunity
		err error
	}
	results := make(chan result)
	go func() {
		for {
			o, err := stream.Recv()
			select {
			case results <- result{o, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	return func() (*crmv1.Opportunity, error) {
		select {
		case r := <-results:
			return r.o, r.err
		case <-time.After(5 * time.Second):
			e.t.Fatal("no message from WatchOpportunity within 5 s")
			return nil, nil
		}
	}
}

func etag(t *testing.T, o *crmv1.Opportunity) int64 {
	t.Helper()
	v, err := strconv.ParseInt(o.GetEtag(), 10, 64)
	if err != nil {
		t.Fatalf("etag %q: %v", o.GetEtag(), err)
	}
	return v
}

// A watcher gets the opportunity at once, then every change: its own
// team's edits, the win, and the order number the bridge writes back
// (which records no feed event); versions only increase. Deleting the
// opportunity ends the stream with NOT_FOUND.
func TestWatchOpportunity(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	next := e.watch(e.sales(), strings.ToUpper(o.Id)) // any spelling of the id
	got, err := next()
	if err != nil || got.GetEtag() != o.Etag || got.GetName() != "Deal" {
		t.Fatalf("first message %v, %v; want the opportunity at etag %s", got, err, o.Etag)
	}

	renamed, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Bigger deal"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := next(); err != nil || got.GetName() != "Bigger deal" || got.GetEtag() != renamed.Etag {
		t.Fatalf("after the rename: %v, %v", got, err)
	}

	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	if got, err := next(); err != nil || got.GetStage() != crmv1.Stage_STAGE_CLOSED_WON {
		t.Fatalf("after the win: %v, %v", got, err)
	}
	if _, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001",
		Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, SourceVersion: 2,
	}); err != nil {
		t.Fatal(err)
	}
	got, err = next()
	if err != nil || got.GetOrder().GetNumber() != "SO-1001" {
		t.Fatalf("after the order was written back: %v, %v", got, err)
	}
	// A repeated write-back changes no version and sends nothing; the next
	// change does.
	if _, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001",
		Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, SourceVersion: 2,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: o.Id, LostReason: "budget"}); err != nil {
		t.Fatal(err)
	}
	lost, err := next()
	if err != nil || lost.GetStage() != crmv1.Stage_STAGE_CLOSED_LOST || etag(t, lost) != etag(t, got)+1 {
		t.Fatalf("after the loss: %v, %v (previous etag %s)", lost, err, got.GetEtag())
	}

	if _, err := e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = next()
	wantCode(t, err, codes.NotFound)
}

// Several watchers of one opportunity each get the change; a watcher of
// another opportunity gets nothing.
func TestWatchOpportunityWatchers(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	o, other := e.createOpportunity(a.Id), e.createOpportunity(a.Id)
	w1, w2, w3 := e.watch(e.sales(), o.Id), e.watch(e.service(), o.Id), e.watch(e.sales(), other.Id)
	for _, next := range []func() (*crmv1.Opportunity, error){w1, w2, w3} {
		if _, err := next(); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Renamed"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	}); err != nil {
		t.Fatal(err)
	}
	for _, next := range []func() (*crmv1.Opportunity, error){w1, w2} {
		if got, err := next(); err != nil || got.GetName() != "Renamed" {
			t.Fatalf("%v, %v", got, err)
		}
	}
	// The other watcher's next message is its own opportunity's change,
	// not this one.
	if _, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: other.Id, Name: "Other renamed"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := w3(); err != nil || got.GetId() != other.Id || got.GetName() != "Other renamed" {
		t.Fatalf("%v, %v", got, err)
	}
}

func TestWatchOpportunityErrors(t *testing.T) {
	e := newEnv(t)
	_, err := e.watch(e.sales(), "not-an-id")()
	if f := violations(t, err); len(f) != 1 || f[0] != "id" {
		t.Fatalf("violations %v", f)
	}
	_, err = e.watch(e.sales(), "01900000-0000-7000-8000-000000000000")()
	wantCode(t, err, codes.NotFound)
	_, err = e.watch(e.as(auth.Warehouse), "01900000-0000-7000-8000-000000000000")()
	wantCode(t, err, codes.PermissionDenied)
}

// Over REST each version is one line of JSON, {"result": {...}}.
func TestWatchOpportunityREST(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+"/v1/opportunities/"+o.Id+":watch", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token(t, auth.Sales))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	lines := bufio.NewScanner(resp.Body)
	read := func() map[string]any {
		t.Helper()
		if !lines.Scan() {
			t.Fatalf("stream ended: %v", lines.Err())
		}
		var msg struct {
			Result map[string]any `json:"result"`
		}
		if err := json.Unmarshal(lines.Bytes(), &msg); err != nil {
			t.Fatalf("line %q: %v", lines.Bytes(), err)
		}
		return msg.Result
	}
	if got := read(); got["id"] != o.Id || got["etag"] != o.Etag {
		t.Fatalf("first line %v", got)
	}
	if _, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Renamed"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := read(); got["name"] != "Renamed" {
		t.Fatalf("second line %v", got)
	}
}
