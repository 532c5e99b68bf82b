package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestListEvents(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	if _, err := e.accounts.DeleteAccount(e.sales(), &crmv1.DeleteAccountRequest{Id: a.Id}); err != nil {
		t.Fatal(err)
	}
	b := e.createAccount("Beta")
	all := e.feed(3)
	var types []string
	for _, ev := range all {
		types = append(types, ev.Type)
		if ev.Id == "" || ev.Cursor == "" || ev.CreateTime == nil {
			t.Fatalf("incomplete event %v", ev)
		}
	}
	if want := []string{"account.created", "account.deleted", "account.created"}; !slices.Equal(types, want) {
		t.Fatalf("types %v, want %v", types, want)
	}
	if all[0].Key != a.Id || all[0].Version != 1 || all[0].GetAccount().GetName() != "Acme" ||
		all[1].Version != 2 || all[1].GetAccount().GetEtag() != "2" || all[2].Key != b.Id {
		t.Fatalf("events %v", all)
	}
	// Paging with the cursor visits each event once; at the end the cursor
	// stays where it was.
	first, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{PageSize: 2})
	if err != nil || len(first.Events) != 2 || first.NextCursor != first.Events[1].Cursor {
		t.Fatalf("first page: %v %v", first, err)
	}
	rest, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{After: first.NextCursor, PageSize: 2})
	if err != nil || len(rest.Events) != 1 || rest.Events[0].Id != all[2].Id {
		t.Fatalf("second page: %v %v", rest, err)
	}
	end, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{After: rest.NextCursor})
	if err != nil || len(end.Events) != 0 || end.NextCursor != rest.NextCursor {
		t.Fatalf("end: %v %v", end, err)
	}
	_, err = e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{After: "garbage!"})
	if f := violations(t, err); !slices.Equal(f, []string{"after"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{PageSize: -1})
	if f := violations(t, err); !slices.Equal(f, []string{"page_size"}) {
		t.Fatalf("violations %v", f)
	}
}

func TestWatchEvents(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Existing")
	ctx, cancel := context.WithTimeout(e.bridge(), 20*time.Second)
	defer cancel()
	stream, err := e.events.WatchEvents(ctx, &crmv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := stream.Recv()
	if err != nil || ev.Key != a.Id || ev.Type != "account.created" {
		t.Fatalf("existing event: %v %v", ev, err)
	}
	// A change made while watching arrives on the open stream.
	b := e.createAccount("New")
	ev, err = stream.Recv()
	if err != nil || ev.Key != b.Id || ev.GetAccount().GetName() != "New" {
		t.Fatalf("new event: %v %v", ev, err)
	}
	// Resuming after that cursor sees nothing old.
	ctx2, cancel2 := context.WithCancel(e.bridge())
	resumed, err := e.events.WatchEvents(ctx2, &crmv1.WatchEventsRequest{After: ev.Cursor})
	if err != nil {
		t.Fatal(err)
	}
	c := e.createAccount("Third")
	got, err := resumed.Recv()
	if err != nil || got.Key != c.Id {
		t.Fatalf("resumed: %v %v", got, err)
	}
	cancel2()
	// Only the integration role may watch.
	denied, err := e.events.WatchEvents(e.sales(), &crmv1.WatchEventsRequest{})
	if err == nil {
		_, err = denied.Recv()
	}
	wantCode(t, err, codes.PermissionDenied)
}

// An event carries the trace of the call that made it: the service's
// own, as a caller's traceparent starts a new trace unless
// TRACES_TRUST_REMOTE_PARENT (the harness leaves it off), so a caller's
// trace id does not reach the feed the bridge continues.
func TestEventsCarryTraceContext(t *testing.T) {
	e := newEnv(t)
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	ctx := metadata.AppendToOutgoingContext(e.sales(), "traceparent", "00-"+traceID+"-00f067aa0ba902b7-01")
	if _, err := e.accounts.CreateAccount(ctx, &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Traced"}}); err != nil {
		t.Fatal(err)
	}
	ev := e.feed(1)[0]
	tp := ev.TraceContext["traceparent"]
	parts := strings.Split(tp, "-")
	if len(parts) != 4 || len(parts[1]) != 32 || strings.Trim(parts[1], "0") == "" {
		t.Fatalf("trace context %v has no trace", ev.TraceContext)
	}
	if parts[1] == traceID {
		t.Fatalf("trace context %v continues the caller's trace %s", ev.TraceContext, traceID)
	}
}
