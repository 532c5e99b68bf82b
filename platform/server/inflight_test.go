package server

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// blocking is a stand-in whose GetAccount and WatchOpportunity hold
// their call until release closes, telling entered when they start.
type blocking struct {
	crmv1.UnimplementedAccountServiceServer
	crmv1.UnimplementedOpportunityServiceServer
	entered chan string
	release chan struct{}
}

func (b *blocking) GetAccount(ctx context.Context, req *crmv1.GetAccountRequest) (*crmv1.Account, error) {
	if req.GetId() == "quick" {
		return &crmv1.Account{Id: "quick"}, nil
	}
	b.entered <- req.GetId()
	select {
	case <-b.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return &crmv1.Account{Id: req.GetId()}, nil
}

func (b *blocking) WatchOpportunity(req *crmv1.WatchOpportunityRequest, stream grpc.ServerStreamingServer[crmv1.Opportunity]) error {
	if err := stream.Send(&crmv1.Opportunity{Id: req.GetId()}); err != nil {
		return err
	}
	select {
	case <-b.release:
	case <-stream.Context().Done():
	}
	return nil
}

func startBlocking(t *testing.T, cfg Config) (*Server, *blocking) {
	t.Helper()
	b := &blocking{entered: make(chan string, 16), release: make(chan struct{})}
	s := startService(t, cfg, Service{
		Name: "crm",
		Register: func(s grpc.ServiceRegistrar) {
			crmv1.RegisterAccountServiceServer(s, b)
			crmv1.RegisterOpportunityServiceServer(s, b)
		},
		Gateways: []GatewayRegistrar{crmv1.RegisterAccountServiceHandler, crmv1.RegisterOpportunityServiceHandler},
		OpenAPI:  openapi.CRM,
		Policy: auth.Policy{
			"/crm.v1.AccountService/GetAccount":           {auth.Sales},
			"/crm.v1.OpportunityService/WatchOpportunity": {auth.Sales},
		},
	}, slog.New(slog.DiscardHandler))
	t.Cleanup(func() { close(b.release) }) // runs before the server's own cleanup
	return s, b
}

// getAsync calls GET path in the background; its result arrives on the
// channel.
func getAsync(s *Server, path, tok string) <-chan httpResult {
	res := make(chan httpResult, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- httpResult{}
			return
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		res <- httpResult{status: resp.StatusCode, header: resp.Header, body: decodeBody(raw)}
	}()
	return res
}

// HTTP_MAX_IN_FLIGHT bounds the REST requests a process answers at once:
// past it a request waits HTTP_IN_FLIGHT_WAIT for one to end, then is
// 503 UNAVAILABLE with Retry-After, counted in a metric; health,
// readiness and metrics are answered all the same.
func TestRESTInFlightLimit(t *testing.T) {
	t.Parallel()
	s, b := startBlocking(t, Config{MaxInFlight: 2, InFlightWait: 100 * time.Millisecond})
	sales := token(t, auth.Sales)
	getAsync(s, "/v1/accounts/one", sales)
	getAsync(s, "/v1/accounts/two", sales)
	for range 2 {
		select {
		case <-b.entered:
		case <-time.After(5 * time.Second):
			t.Fatal("the blocking calls did not start")
		}
	}

	start := time.Now()
	got := call(t, s, http.MethodGet, "/v1/accounts/quick", sales, "")
	if got.status != http.StatusServiceUnavailable || got.body["code"] != float64(14) || got.header.Get("Retry-After") != "1" {
		t.Errorf("a third request: %d %v Retry-After %q, want 503 code 14 (UNAVAILABLE) Retry-After 1", got.status, got.body, got.header.Get("Retry-After"))
	}
	if msg, _ := got.body["message"].(string); !strings.Contains(msg, "retry later") {
		t.Errorf("message %q", msg)
	}
	if waited := time.Since(start); waited < 100*time.Millisecond {
		t.Errorf("turned away after %s, want after the wait of 100ms", waited)
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
		if got := call(t, s, http.MethodGet, path, "", ""); got.status != http.StatusOK {
			t.Errorf("%s while the REST API is full: %d", path, got.status)
		}
	}
	if n := metricValue(t, s, `rest_overload_rejected_total{kind="request"}`); n != "1" {
		t.Errorf("rest_overload_rejected_total{kind=\"request\"} = %q, want 1", n)
	}

	// A request that finds a slot within the wait is served.
	waiting := getAsync(s, "/v1/accounts/quick", sales)
	time.Sleep(20 * time.Millisecond)
	b.release <- struct{}{} // ends one blocked call
	select {
	case got := <-waiting:
		if got.status != http.StatusOK {
			t.Errorf("a request whose slot freed while it waited: %d %v", got.status, got.body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting request was never answered")
	}
}

// Streams (a deal's :watch) have their own limit, HTTP_MAX_STREAMS: open
// watches leave plain requests their room, and a watch past the limit is
// turned away at once.
func TestRESTStreamLimit(t *testing.T) {
	t.Parallel()
	s, _ := startBlocking(t, Config{MaxInFlight: 1, MaxRESTStreams: 1, InFlightWait: 5 * time.Second})
	sales := token(t, auth.Sales)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.HTTPAddr()+"/v1/opportunities/o1:watch", nil)
	req.Header.Set("Authorization", "Bearer "+sales)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if _, err := bufio.NewReader(resp.Body).ReadString('\n'); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("the first watch: %d %v", resp.StatusCode, err)
	}

	if got := call(t, s, http.MethodGet, "/v1/accounts/quick", sales, ""); got.status != http.StatusOK {
		t.Errorf("a request beside an open watch: %d %v", got.status, got.body)
	}
	var got httpResult
	select {
	case got = <-getAsync(s, "/v1/opportunities/o2:watch", sales):
	case <-time.After(2 * time.Second):
		t.Fatal("a second watch was not turned away at once")
	}
	if got.status != http.StatusServiceUnavailable || got.body["code"] != float64(14) || got.header.Get("Retry-After") == "" {
		t.Errorf("a second watch: %d %v, want 503 code 14 with Retry-After", got.status, got.body)
	}
	if n := metricValue(t, s, `rest_overload_rejected_total{kind="stream"}`); n != "1" {
		t.Errorf("rest_overload_rejected_total{kind=\"stream\"} = %q, want 1", n)
	}
}

// metricValue is the value of one series on /metrics, as written there.
func metricValue(t *testing.T, s *Server, series string) string {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	for line := range strings.Lines(string(raw)) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), series+" "); ok {
			return v
		}
	}
	return ""
}
