package server

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// accounts is a stand-in service that exercises the error paths.
type accounts struct {
	crmv1.UnimplementedAccountServiceServer
}

func (accounts) CreateAccount(_ context.Context, req *crmv1.CreateAccountRequest) (*crmv1.Account, error) {
	var v errs.Violations
	if req.GetAccount().GetName() == "" {
		v.Add("account.name", "is required")
	}
	if req.GetAccount().GetWebsite() == "bad" {
		v.Add("account.website", "is not a domain")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &crmv1.Account{Id: "a1", Name: req.GetAccount().GetName(), Etag: "1"}, nil
}

// UpdateAccount answers with the mask it was given, in industry: its
// paths, or "*" when there is none (every field).
func (accounts) UpdateAccount(_ context.Context, req *crmv1.UpdateAccountRequest) (*crmv1.Account, error) {
	mask := "*"
	if req.GetUpdateMask() != nil {
		mask = strings.Join(req.GetUpdateMask().GetPaths(), ",")
	}
	return &crmv1.Account{Id: req.GetAccount().GetId(), Industry: mask}, nil
}

func (accounts) ListAccounts(context.Context, *crmv1.ListAccountsRequest) (*crmv1.ListAccountsResponse, error) {
	return &crmv1.ListAccountsResponse{}, nil
}

// leads is a stand-in for a route whose body is the whole request.
type leads struct {
	crmv1.UnimplementedLeadServiceServer
}

func (leads) ConvertLead(_ context.Context, req *crmv1.ConvertLeadRequest) (*crmv1.Lead, error) {
	return &crmv1.Lead{Id: req.GetId()}, nil
}

func (accounts) GetAccount(ctx context.Context, req *crmv1.GetAccountRequest) (*crmv1.Account, error) {
	switch req.GetId() {
	case "whoami":
		// The caller the service sees, as audit entries record it.
		return &crmv1.Account{Id: "whoami", Name: auth.Actor(ctx)}, nil
	case "panic":
		panic("boom")
	case "db":
		return nil, io.ErrUnexpectedEOF // an unexpected internal error
	case "acme":
		return &crmv1.Account{Id: "acme", Name: "Acme", Etag: "3"}, nil
	}
	return nil, errs.NotFoundf("account %q", req.GetId())
}

var secret = []byte("test-secret")

func start(t *testing.T, cfg Config) *Server {
	t.Helper()
	return startLogged(t, cfg, slog.New(slog.DiscardHandler))
}

// startLogged is start with the server's log going to logger; tune, if
// given, adjusts the server before it runs.
func startLogged(t *testing.T, cfg Config, logger *slog.Logger, tune ...func(*Server)) *Server {
	t.Helper()
	svc := Service{
		Name: "crm",
		Register: func(s grpc.ServiceRegistrar) {
			crmv1.RegisterAccountServiceServer(s, accounts{})
			crmv1.RegisterLeadServiceServer(s, leads{})
		},
		// Opportunities are not served: their routes decode bodies only.
		Gateways: []GatewayRegistrar{crmv1.RegisterAccountServiceHandler, crmv1.RegisterLeadServiceHandler, crmv1.RegisterOpportunityServiceHandler},
		OpenAPI:  openapi.CRM,
		OpenAPI3: openapi.CRM3,
		Policy: auth.Policy{
			"/crm.v1.AccountService/CreateAccount": {auth.Sales},
			"/crm.v1.AccountService/GetAccount":    {auth.Sales},
			"/crm.v1.AccountService/ListAccounts":  {auth.Sales},
			"/crm.v1.AccountService/UpdateAccount": {auth.Sales},
			"/crm.v1.LeadService/ConvertLead":      {auth.Sales},
			// Not served, but routed: a caller the policy allows
			// reaches the body's decoding.
			"/crm.v1.OpportunityService/CreateOpportunity": {auth.Sales},
		},
	}
	return startService(t, cfg, svc, logger, tune...)
}

// startService starts svc as start does the stand-in services.
func startService(t *testing.T, cfg Config, svc Service, logger *slog.Logger, tune ...func(*Server)) *Server {
	t.Helper()
	v, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	cfg.GRPCAddr, cfg.HTTPAddr, cfg.ShutdownTimeout = "127.0.0.1:0", "127.0.0.1:0", 5*time.Second
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, cfg, svc, Options{Logger: logger, Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range tune {
		f(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return s
}

func token(t *testing.T, roles ...auth.Role) string {
	tok, err := auth.Sign(secret, "tester", roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

type httpResult struct {
	status int
	body   map[string]any
	header http.Header
}

func call(t *testing.T, s *Server, method, path, tok, body string) httpResult {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+s.HTTPAddr()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return httpResult{status: resp.StatusCode, header: resp.Header, body: decodeBody(raw)}
}

func decodeBody(raw []byte) map[string]any {
	var body map[string]any
	_ = json.Unmarshal(raw, &body)
	return body
}

func TestREST(t *testing.T) {
	t.Parallel()
	s := start(t, Config{MaxBodyBytes: 4096})
	sales, finance := token(t, auth.Sales), token(t, auth.Finance)

	tests := []struct {
		name, method, path, tok, body string
		status                        int
	}{
		{"no token", "GET", "/v1/accounts/x", "", "", 401},
		{"bad token", "GET", "/v1/accounts/x", "nope", "", 401},
		{"wrong role", "GET", "/v1/accounts/x", finance, "", 403},
		{"not found", "GET", "/v1/accounts/x", sales, "", 404},
		{"panic is internal", "GET", "/v1/accounts/panic", sales, "", 500},
		{"driver error is internal", "GET", "/v1/accounts/db", sales, "", 500},
		{"created", "POST", "/v1/accounts", sales, `{"name":"Acme"}`, 200},
		{"camelCase accepted", "POST", "/v1/accounts", sales, `{"name":"Acme","erpCustomerId":""}`, 200},
		{"unknown field rejected", "POST", "/v1/accounts", sales, `{"name":"Acme","unknown_field":"x"}`, 400},
		{"malformed json", "POST", "/v1/accounts", sales, `{"name":`, 400},
		{"body too large", "POST", "/v1/accounts", sales, `{"name":"` + strings.Repeat("a", 5000) + `"}`, 413},
		{"unknown route", "GET", "/v1/nothing", sales, "", 404},
	}
	for _, tt := range tests {
		got := call(t, s, tt.method, tt.path, tt.tok, tt.body)
		if got.status != tt.status {
			t.Errorf("%s: %s %s = %d %v, want %d", tt.name, tt.method, tt.path, got.status, got.body, tt.status)
		}
	}

	// Internal errors never leak their cause.
	if got := call(t, s, "GET", "/v1/accounts/db", sales, ""); got.body["message"] != "internal error" {
		t.Errorf("internal error message = %v", got.body["message"])
	}
	// Field violations reach REST callers, one per bad field.
	got := call(t, s, "POST", "/v1/accounts", sales, `{"website":"bad"}`)
	details, _ := got.body["details"].([]any)
	if got.status != 400 || len(details) != 1 {
		t.Fatalf("violations: %d %v", got.status, got.body)
	}
	fields := details[0].(map[string]any)["field_violations"].([]any)
	if len(fields) != 2 {
		t.Errorf("field violations = %v, want 2", fields)
	}
	// The etag travels as a header too.
	if got := call(t, s, "POST", "/v1/accounts", sales, `{"name":"Acme"}`); got.header.Get("ETag") != `"1"` {
		t.Errorf("ETag header = %q", got.header.Get("ETag"))
	}
}

func TestOperationalEndpoints(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	for path, want := range map[string]string{
		"/healthz":                      "ok",
		"/readyz":                       "ready",
		"/metrics":                      "grpc_server_handled_total",
		"/openapi.json":                 `"swagger"`,
		"/openapi3.json":                `"openapi"`,
		"/docs":                         "swagger-ui-bundle.js",
		"/docs/ui/swagger-ui-bundle.js": "SwaggerUIBundle",
	} {
		resp, err := http.Get("http://" + s.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Errorf("GET %s = %d, body without %q", path, resp.StatusCode, want)
		}
	}
}

func TestGRPC(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx := context.Background()

	// Health needs no token.
	hc, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Fatalf("health = %v, %v", hc, err)
	}
	// So is each service by its name; a name the server does not serve
	// is NOT_FOUND.
	hc, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "crm.v1.AccountService"})
	if err != nil || hc.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("health of crm.v1.AccountService = %v, %v", hc, err)
	}
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{Service: "crm.v1.NoSuchService"}); status.Code(err) != codes.NotFound {
		t.Errorf("health of an unknown service: %v, want NOT_FOUND", err)
	}

	client := crmv1.NewAccountServiceClient(conn)
	if _, err := client.GetAccount(ctx, &crmv1.GetAccountRequest{Id: "x"}); status.Code(err) != codes.Unauthenticated {
		t.Errorf("no token: %v", err)
	}
	withToken := func(tok string) context.Context {
		return metadata.AppendToOutgoingContext(ctx, "authorization", "Bearer "+tok)
	}
	if _, err := client.GetAccount(withToken(token(t, auth.Finance)), &crmv1.GetAccountRequest{Id: "x"}); status.Code(err) != codes.PermissionDenied {
		t.Errorf("finance token: %v", err)
	}
	_, err = client.CreateAccount(withToken(token(t, auth.Sales)), &crmv1.CreateAccountRequest{Account: &crmv1.Account{}})
	st := status.Convert(err)
	if st.Code() != codes.InvalidArgument || len(st.Details()) != 1 {
		t.Fatalf("invalid create: %v", err)
	}
	br := st.Details()[0].(*errdetails.BadRequest)
	if br.GetFieldViolations()[0].GetField() != "account.name" {
		t.Errorf("violation = %v", br)
	}
}

func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := start(t, Config{RateLimit: 1, RateBurst: 2})
	sales := token(t, auth.Sales)
	var statuses []int
	var last httpResult
	for range 4 {
		last = call(t, s, "GET", "/v1/accounts/x", sales, "")
		statuses = append(statuses, last.status)
	}
	if statuses[0] != 404 || statuses[3] != 429 {
		t.Errorf("statuses = %v, want 404 first and 429 once the burst is spent", statuses)
	}
	// The wait, in RetryInfo, is also HTTP's Retry-After (whole seconds).
	if got := last.header.Get("Retry-After"); got != "1" {
		t.Errorf("Retry-After = %q, want 1", got)
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for delay, want := range map[time.Duration]int64{
		time.Millisecond: 1, 0: 1, time.Second: 1, 1001 * time.Millisecond: 2, 90 * time.Second: 90,
	} {
		st, _ := status.New(codes.ResourceExhausted, "slow down").WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(delay)})
		if got, ok := retryAfter(st); !ok || got != want {
			t.Errorf("retryAfter(%s) = %d, %v, want %d", delay, got, ok, want)
		}
	}
	if _, ok := retryAfter(status.New(codes.Unavailable, "no details")); ok {
		t.Error("retryAfter without RetryInfo reported a delay")
	}
}

// events is a stand-in feed whose stream never ends by itself.
type events struct {
	crmv1.UnimplementedEventServiceServer
	started chan struct{}
}

func (e *events) WatchEvents(_ *crmv1.WatchEventsRequest, stream grpc.ServerStreamingServer[crmv1.Event]) error {
	close(e.started)
	<-stream.Context().Done()
	return stream.Context().Err()
}

// Shutdown ends open streams instead of waiting for the deadline.
func TestShutdownEndsStreams(t *testing.T) {
	t.Parallel()
	v, _ := auth.NewVerifier(secret)
	ev := &events{started: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Minute, MaxBodyBytes: 1 << 20},
		Service{
			Name:     "crm",
			Register: func(s grpc.ServiceRegistrar) { crmv1.RegisterEventServiceServer(s, ev) },
			Policy:   auth.Policy{"/crm.v1.EventService/WatchEvents": {auth.Integration}},
		}, Options{Logger: slog.New(slog.DiscardHandler), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	callCtx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, auth.Integration))
	stream, err := crmv1.NewEventServiceClient(conn).WatchEvents(callCtx, &crmv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	recvErr := make(chan error, 1)
	go func() { _, err := stream.Recv(); recvErr <- err }()
	<-ev.started

	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("shutdown waited for the open stream")
	}
	t.Logf("shut down in %s with a stream open", time.Since(start))
	if err := <-recvErr; status.Code(err) != codes.Unavailable {
		t.Errorf("the stream ended with %v, want UNAVAILABLE (reconnect)", err)
	}
}

// slowAccounts holds GetAccount until release is closed.
type slowAccounts struct {
	accounts
	started, release chan struct{}
}

func (a slowAccounts) GetAccount(ctx context.Context, req *crmv1.GetAccountRequest) (*crmv1.Account, error) {
	close(a.started)
	<-a.release
	return &crmv1.Account{Id: req.GetId(), Name: "Acme"}, nil
}

// Shutdown lets a REST call in flight finish through the gRPC server
// behind it, and takes no new ones: neither a call nor a readiness probe
// reaches a server whose gRPC side is gone.
func TestShutdownFinishesRESTCalls(t *testing.T) {
	t.Parallel()
	v, _ := auth.NewVerifier(secret)
	svc := slowAccounts{started: make(chan struct{}), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Minute, MaxBodyBytes: 1 << 20},
		Service{
			Name:     "crm",
			Register: func(s grpc.ServiceRegistrar) { crmv1.RegisterAccountServiceServer(s, svc) },
			Gateways: []GatewayRegistrar{crmv1.RegisterAccountServiceHandler},
			Policy:   auth.Policy{"/crm.v1.AccountService/GetAccount": {auth.Sales}},
			Ready:    func(context.Context) error { return nil },
		}, Options{Logger: slog.New(slog.DiscardHandler), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	inFlight := make(chan httpResult, 1)
	go func() { inFlight <- call(t, s, "GET", "/v1/accounts/a-1", token(t, auth.Sales), "") }()
	<-svc.started

	cancel()
	time.Sleep(200 * time.Millisecond) // shutdown under way, the call still held
	for _, path := range []string{"/readyz", "/v1/accounts/a-2"} {
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+path, nil)
		req.Header.Set("Authorization", "Bearer "+token(t, auth.Sales))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			t.Errorf("GET %s during shutdown = %d %s, want no connection", path, resp.StatusCode, body)
		}
	}
	close(svc.release)
	if r := <-inFlight; r.status != 200 || r.body["name"] != "Acme" {
		t.Errorf("the call in flight = %d %v", r.status, r.body)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// A REST call without a valid token is 401 before anything about the
// request is looked at: a caller learns to sign in, not what is wrong
// with its body or path.
func TestRESTAuthenticatesFirst(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	expired, err := auth.Sign(secret, "tester", []auth.Role{auth.Sales}, -time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"", expired, "not-a-token"} {
		got := call(t, s, "POST", "/v1/accounts", tok, `{"name": 12, "colour": "red"`)
		if got.status != 401 || got.header.Get("WWW-Authenticate") == "" || got.body["code"] != float64(16) {
			t.Errorf("token %.10q: %d %v %v, want 401 with WWW-Authenticate", tok, got.status, got.header, got.body)
		}
	}
	// With a token the same body is bad input, and a role that may not
	// call the method is 403.
	if got := call(t, s, "POST", "/v1/accounts", token(t, auth.Sales), `{"name": 12`); got.status != 400 {
		t.Errorf("bad body with a token = %d %v", got.status, got.body)
	}
	if got := call(t, s, "POST", "/v1/accounts", token(t, auth.Finance), `{"name":"x"}`); got.status != 403 {
		t.Errorf("wrong role = %d %v", got.status, got.body)
	}
}

// A call still in flight at SHUTDOWN_TIMEOUT is cut, and Run says so, in
// its error and the log, so that the process exits non-zero: the
// orchestrator sees an unclean stop.
func TestShutdownTimeoutIsAnError(t *testing.T) {
	t.Parallel()
	v, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	svc := slowAccounts{started: make(chan struct{}), release: make(chan struct{})}
	defer close(svc.release)
	var logs syncBuffer
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 300 * time.Millisecond, MaxBodyBytes: 1 << 20},
		Service{
			Name:     "crm",
			Register: func(s grpc.ServiceRegistrar) { crmv1.RegisterAccountServiceServer(s, svc) },
			Gateways: []GatewayRegistrar{crmv1.RegisterAccountServiceHandler},
			Policy:   auth.Policy{"/crm.v1.AccountService/GetAccount": {auth.Sales}},
		}, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil)), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	inFlight := make(chan struct{})
	go func() {
		defer close(inFlight)
		req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/accounts/a-1", nil)
		req.Header.Set("Authorization", "Bearer "+token(t, auth.Sales))
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	<-svc.started
	cancel()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its shutdown timeout")
	}
	if !errors.Is(err, ErrShutdownTimeout) {
		t.Errorf("Run = %v, want ErrShutdownTimeout", err)
	}
	if !strings.Contains(logs.String(), `msg="shutdown timed out"`) {
		t.Errorf("no log line for the cut calls:\n%s", logs.String())
	}
	<-inFlight
}

// heldAccounts holds GetAccount until release is closed, telling started
// of each call it holds.
type heldAccounts struct {
	accounts
	started, release chan struct{}
}

func (a heldAccounts) GetAccount(ctx context.Context, req *crmv1.GetAccountRequest) (*crmv1.Account, error) {
	a.started <- struct{}{}
	<-a.release
	return &crmv1.Account{Id: req.GetId(), Name: "Acme"}, nil
}

// Shutdown turns gRPC callers away at once, also while REST calls in
// flight still drain: no new connection, and no new call on a connection
// opened before, which is told to go elsewhere (GOAWAY). The calls in
// flight, gRPC and REST, finish.
func TestShutdownTurnsGRPCCallersAway(t *testing.T) {
	t.Parallel()
	v, _ := auth.NewVerifier(secret)
	svc := heldAccounts{started: make(chan struct{}, 2), release: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Minute, MaxBodyBytes: 1 << 20},
		Service{
			Name:     "crm",
			Register: func(s grpc.ServiceRegistrar) { crmv1.RegisterAccountServiceServer(s, svc) },
			Gateways: []GatewayRegistrar{crmv1.RegisterAccountServiceHandler},
			Policy: auth.Policy{
				"/crm.v1.AccountService/GetAccount":   {auth.Sales},
				"/crm.v1.AccountService/ListAccounts": {auth.Sales},
			},
		}, Options{Logger: slog.New(slog.DiscardHandler), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()

	callCtx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, auth.Sales))
	dial := func() crmv1.AccountServiceClient {
		conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return crmv1.NewAccountServiceClient(conn)
	}
	open := dial()
	if _, err := open.ListAccounts(callCtx, &crmv1.ListAccountsRequest{}); err != nil {
		t.Fatal(err)
	}
	restDone := make(chan httpResult, 1)
	go func() { restDone <- call(t, s, "GET", "/v1/accounts/a-1", token(t, auth.Sales), "") }()
	grpcDone := make(chan error, 1)
	go func() {
		_, err := open.GetAccount(callCtx, &crmv1.GetAccountRequest{Id: "a-2"})
		grpcDone <- err
	}()
	<-svc.started
	<-svc.started

	cancel()
	time.Sleep(300 * time.Millisecond) // shutdown under way, both calls held
	for name, client := range map[string]crmv1.AccountServiceClient{"a connection opened before": open, "a new connection": dial()} {
		c, stop := context.WithTimeout(callCtx, 5*time.Second)
		_, err := client.ListAccounts(c, &crmv1.ListAccountsRequest{})
		stop()
		if status.Code(err) != codes.Unavailable {
			t.Errorf("a gRPC call on %s during shutdown: %v, want UNAVAILABLE", name, err)
		}
	}

	close(svc.release)
	if r := <-restDone; r.status != 200 || r.body["name"] != "Acme" {
		t.Errorf("the REST call in flight = %d %v", r.status, r.body)
	}
	if err := <-grpcDone; err != nil {
		t.Errorf("the gRPC call in flight: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
}

// A REST caller cannot set the metadata of the gRPC call behind its
// request: Grpc-Metadata-* headers are not forwarded, so a second
// Authorization in Grpc-Metadata-Authorization neither changes who the
// service sees as the caller (the actor of its audit entries) nor makes
// the call fail now and then.
func TestRESTDropsGRPCMetadataHeaders(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	other, err := auth.Sign(secret, "mallory", []auth.Role{auth.Sales}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, injected := range []string{"Bearer " + other, "Bearer not-a-token"} {
		for range 40 {
			req, err := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/accounts/whoami", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer "+sales)
			req.Header.Set("Grpc-Metadata-Authorization", injected)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			raw, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if got := decodeBody(raw)["name"]; resp.StatusCode != 200 || got != "tester" {
				t.Fatalf("with Grpc-Metadata-Authorization %.20q: %d %s, want 200 with caller tester", injected, resp.StatusCode, raw)
			}
		}
	}
}

// A client that sends its headers and then holds back the body is cut
// off once the body's time is up, with a token or without; a body that
// arrives in time, on a connection kept alive for a second request, is
// served as ever.
func TestSlowBodyIsCutOff(t *testing.T) {
	t.Parallel()
	s := startLogged(t, Config{}, slog.New(slog.DiscardHandler), func(s *Server) { s.bodyTimeout = 300 * time.Millisecond })
	sales := token(t, auth.Sales)
	for _, hdr := range []string{"", "Authorization: Bearer " + sales + "\r\n"} {
		conn, err := net.Dial("tcp", s.HTTPAddr())
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		fmt.Fprintf(conn, "POST /v1/accounts HTTP/1.1\r\nHost: x\r\n%sContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", hdr)
		// The server answers (or hangs up) and then closes the
		// connection: reading to its end must finish.
		_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		_, err = io.ReadAll(conn)
		conn.Close()
		if err != nil {
			t.Errorf("slow body (token %v): connection still open after %s: %v", hdr != "", time.Since(start).Round(time.Millisecond), err)
		}
	}

	conn, err := net.Dial("tcp", s.HTTPAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	body := `{"name":"Acme"}`
	fmt.Fprintf(conn, "POST /v1/accounts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", sales, len(body))
	for _, c := range body {
		time.Sleep(10 * time.Millisecond)
		fmt.Fprint(conn, string(c))
	}
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("body sent within the time = %d, want 200", resp.StatusCode)
	}
	// The deadline ended with the body: the next request on the
	// connection, after a pause longer than it, is served.
	time.Sleep(500 * time.Millisecond)
	fmt.Fprintf(conn, "GET /v1/accounts/acme HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n\r\n", sales)
	resp, err = http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("second request on the connection = %d, want 200", resp.StatusCode)
	}
}

// rawCodec sends its message's bytes as they are: a request the server
// cannot decode.
type rawCodec struct{}

func (rawCodec) Marshal(v any) ([]byte, error) { return *(v.(*[]byte)), nil }
func (rawCodec) Unmarshal(data []byte, v any) error {
	*(v.(*[]byte)) = data
	return nil
}
func (rawCodec) Name() string { return "proto" }

// A gRPC call without a valid token is turned away before its message is
// read: UNAUTHENTICATED for a message the server could not even decode,
// as for any other, and never a decoding error that tells the caller
// what the server made of it.
func TestGRPCAuthenticatesBeforeDecoding(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	garbage := []byte{0xff, 0xff, 0xff, 0xff, 0xff}
	var reply []byte
	for _, ctx := range []context.Context{
		context.Background(),
		metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer not-a-token"),
	} {
		err := conn.Invoke(ctx, "/crm.v1.AccountService/GetAccount", &garbage, &reply, grpc.ForceCodec(rawCodec{}))
		if status.Code(err) != codes.Unauthenticated {
			t.Errorf("undecodable message without a valid token: %v, want UNAUTHENTICATED", err)
		}
	}
	// They are counted, though in no other metric.
	resp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "\ngrpc_server_unauthenticated_total 2\n") {
		t.Errorf("metrics do not count the 2 calls turned away:\n%s", grepLines(string(body), "unauthenticated"))
	}
	// With a token, the same message is the decoding error it is.
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, auth.Sales))
	if err := conn.Invoke(ctx, "/crm.v1.AccountService/GetAccount", &garbage, &reply, grpc.ForceCodec(rawCodec{})); status.Code(err) == codes.OK || status.Code(err) == codes.Unauthenticated {
		t.Errorf("undecodable message with a token: %v, want a decoding error", err)
	}
}

// grepLines returns the lines of s containing sub.
func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
