package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/bridge/internal/api"
	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/server"
	bridgev1 "github.com/seamhq/seam/proto/bridge/v1"
)

var secret = []byte("bridge-api-test-secret-of-32-bytes!!")

// engine holds failure 7 and reconciliation pass 3.
type engine struct{}

func (engine) Status(context.Context) []flow.FeedStatus { return nil }
func (engine) Leader() bool                             { return true }
func (engine) Failures(context.Context, int64, int) ([]postgres.Failure, error) {
	return nil, nil
}
func (engine) RetryFailure(_ context.Context, id int64) (bool, *postgres.Failure, error) {
	if id != 7 {
		return false, nil, flow.ErrNoFailure
	}
	return true, nil, nil
}
func (engine) DiscardFailure(_ context.Context, id int64) error {
	if id != 7 {
		return flow.ErrNoFailure
	}
	return nil
}
func (engine) StartReconcile(context.Context, string) (flow.Report, error) {
	return flow.Report{ID: 3, Trigger: "api", Start: time.Now()}, nil
}
func (engine) Reconciliations(context.Context, int64, int) ([]postgres.Reconciliation, error) {
	return nil, nil
}
func (engine) Reconciliation(_ context.Context, id int64) (postgres.Reconciliation, bool, error) {
	report, ok := storedReports[id]
	if !ok {
		return postgres.Reconciliation{}, false, nil
	}
	now := time.Now()
	return postgres.Reconciliation{ID: id, Trigger: "api", StartedAt: now, FinishedAt: now, Report: json.RawMessage(report)}, true, nil
}

// storedReports are the reports of passes 2 and 3 as stored: pass 2's by a
// bridge from before reports counted what they leave out, pass 3's by one
// since.
var storedReports = map[int64]string{
	2: `{"trigger":"api","checks":[{"name":"item_in_catalog","checked":4,"drifted":1,"repaired":1}],
		"repairs":[{"check":"item_in_catalog","key":"BOLT","detail":"ERP item missing: repaired"}]}`,
	3: `{"trigger":"api","checks":[{"name":"item_in_catalog","checked":300,"drifted":250,"repaired":249,"unlisted":149}],
		"repairs":[{"check":"item_in_catalog","key":"ORPHAN","detail":"left for a person: why","unresolved":true}]}`,
}

// start serves the bridge API over an in-memory engine, as the bridge
// does: gRPC, and REST through the gateway.
func start(t *testing.T) (bridgev1.BridgeServiceClient, string) {
	t.Helper()
	return startWith(t, engine{}, engine{})
}

// startWith serves the bridge API over e and r.
func startWith(t *testing.T, e api.Engine, r api.Reports) (bridgev1.BridgeServiceClient, string) {
	t.Helper()
	verifier, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, server.Config{
		GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 2 * time.Second, MaxBodyBytes: 1 << 20,
	}, server.Service{
		Name: "bridge",
		Register: func(s grpc.ServiceRegistrar) {
			bridgev1.RegisterBridgeServiceServer(s, api.New(e, r, "test", time.Now()))
		},
		Gateways: []server.GatewayRegistrar{bridgev1.RegisterBridgeServiceHandler},
		Policy:   api.Policy,
	}, server.Options{Logger: slog.New(slog.DiscardHandler), Verifier: verifier})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
	})
	return bridgev1.NewBridgeServiceClient(conn), "http://" + srv.HTTPAddr()
}

func token(t *testing.T) string {
	t.Helper()
	tok, err := auth.Sign(secret, "tester", []auth.Role{auth.Integration}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// grpcFields returns the code of err and the fields its BadRequest names.
func grpcFields(err error) (codes.Code, []string) {
	st := status.Convert(err)
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return st.Code(), out
}

// Ids the bridge numbers are positive integers: zero or a negative one,
// over gRPC or in a REST path, is INVALID_ARGUMENT naming id, as a path
// that is no number at all, or one out of range, is, with a message that
// says so in words; a positive id that names nothing is NOT_FOUND.
func TestIDs(t *testing.T) {
	t.Parallel()
	client, base := start(t)
	tok := token(t)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+tok)

	calls := map[string]func(id int64) error{
		"RetryFailure": func(id int64) error {
			_, err := client.RetryFailure(ctx, &bridgev1.RetryFailureRequest{Id: id})
			return err
		},
		"DiscardFailure": func(id int64) error {
			_, err := client.DiscardFailure(ctx, &bridgev1.DiscardFailureRequest{Id: id})
			return err
		},
		"GetReconciliation": func(id int64) error {
			_, err := client.GetReconciliation(ctx, &bridgev1.GetReconciliationRequest{Id: id})
			return err
		},
	}
	for name, call := range calls {
		for _, id := range []int64{0, -1} {
			if code, fields := grpcFields(call(id)); code != codes.InvalidArgument || fmt.Sprint(fields) != "[id]" {
				t.Errorf("%s(%d) = %s %v, want INVALID_ARGUMENT naming id", name, id, code, fields)
			}
		}
		if code, _ := grpcFields(call(99)); code != codes.NotFound {
			t.Errorf("%s(99) = %s, want NOT_FOUND", name, code)
		}
	}
	if err := calls["GetReconciliation"](3); err != nil {
		t.Errorf("GetReconciliation(3) = %v", err)
	}

	for _, tc := range []struct{ method, path string }{
		{"GET", "/v1/reconciliations/%s"},
		{"POST", "/v1/failures/%s:retry"},
		{"POST", "/v1/failures/%s:discard"},
	} {
		for id, want := range map[string]int{"0": 400, "-1": 400, "abc": 400, "1.5": 400, "99999999999999999999": 400, "99": 404} {
			code, body := rest(t, base, tok, tc.method, fmt.Sprintf(tc.path, id))
			if code != want || (want == 400 && fmt.Sprint(restFields(body)) != "[id]") {
				t.Errorf("%s %s = %d %v, want %d", tc.method, fmt.Sprintf(tc.path, id), code, body, want)
			}
			// The message says what is wrong with id in words, not in
			// the decoder's.
			if msg, _ := body["message"].(string); want == 400 && (!strings.HasPrefix(msg, "invalid id: ") || strings.Contains(msg, "strconv")) {
				t.Errorf("%s %s says %q, want it to name id in words", tc.method, fmt.Sprintf(tc.path, id), msg)
			}
		}
	}
}

func rest(t *testing.T, base, tok, method, path string) (int, map[string]any) {
	t.Helper()
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader("{}")
	}
	req, err := http.NewRequest(method, base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp.StatusCode, out
}

// restFields lists the fields a REST error's BadRequest names.
func restFields(body map[string]any) []string {
	var out []string
	details, _ := body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		vs, _ := m["field_violations"].([]any)
		for _, v := range vs {
			fv, _ := v.(map[string]any)
			out = append(out, fmt.Sprint(fv["field"]))
		}
	}
	return out
}

// A report says per check how much drift it leaves out and which listed
// drift is unresolved; one stored before reports said so reads as leaving
// nothing out.
func TestReconciliationReports(t *testing.T) {
	t.Parallel()
	client, _ := start(t)
	ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t))
	for id, want := range map[int64]struct {
		unlisted   int64
		unresolved bool
	}{2: {0, false}, 3: {149, true}} {
		r, err := client.GetReconciliation(ctx, &bridgev1.GetReconciliationRequest{Id: id})
		if err != nil {
			t.Fatalf("GetReconciliation(%d): %v", id, err)
		}
		if len(r.GetChecks()) != 1 || r.GetChecks()[0].GetUnlisted() != want.unlisted ||
			len(r.GetRepairs()) != 1 || r.GetRepairs()[0].GetUnresolved() != want.unresolved {
			t.Errorf("pass %d = %v, want %d unlisted and a repair unresolved: %v", id, r, want.unlisted, want.unresolved)
		}
	}
}
