package server

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/telemetry"
)

func scrape(t *testing.T, s *Server) string {
	t.Helper()
	resp, err := http.Get("http://" + s.HTTPAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Every REST answer is counted under its route pattern and status, the
// refusals too, and a refusal the gRPC server never saw is logged; record
// ids never become labels.
func TestRESTMetricsAndRefusals(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := startLogged(t, Config{MaxBodyBytes: 64}, slog.New(slog.NewTextHandler(&logs, nil)))
	sales := token(t, auth.Sales)
	for _, tc := range []struct {
		method, path, tok, body string
		status                  int
	}{
		{"GET", "/v1/accounts/a-1", "", "", 401},
		{"GET", "/v1/accounts/a-2", "", "", 401},
		{"GET", "/v1/accounts/a-3", sales, "", 404}, // the service's answer
		{"PUT", "/v1/accounts", sales, "", 405},
		{"GET", "/v1/no/such/thing", sales, "", 404},
		{"POST", "/v1/accounts", sales, `{"name":"` + strings.Repeat("a", 100) + `"}`, 413},
		{"GET", "/v1/accounts", sales, "", 200},
		{"POST", "/v1/leads/l-9:convert", sales, `{}`, 200},
	} {
		if got := call(t, s, tc.method, tc.path, tc.tok, tc.body); got.status != tc.status {
			t.Fatalf("%s %s = %d, want %d", tc.method, tc.path, got.status, tc.status)
		}
	}
	metrics := scrape(t, s)
	for _, want := range []string{
		`rest_requests_total{code="401",method="GET",route="/v1/accounts/{id}"} 2`,
		`rest_requests_total{code="404",method="GET",route="/v1/accounts/{id}"} 1`,
		`rest_requests_total{code="405",method="PUT",route="unmatched"} 1`,
		`rest_requests_total{code="404",method="GET",route="unmatched"} 1`,
		`rest_requests_total{code="413",method="POST",route="/v1/accounts"} 1`,
		`rest_requests_total{code="200",method="GET",route="/v1/accounts"} 1`,
		`rest_requests_total{code="200",method="POST",route="/v1/leads/{id}:convert"} 1`,
		`rest_request_duration_seconds_count{method="GET",route="/v1/accounts/{id}"} 3`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	for _, raw := range []string{"a-1", "l-9", "no/such"} {
		if strings.Contains(metrics, raw) {
			t.Errorf("metrics carry the raw path part %q", raw)
		}
	}

	log := logs.String()
	for _, want := range []string{
		`msg="rest request refused" method=GET path=/v1/accounts/a-1 route=/v1/accounts/{id} status=401`,
		`msg="rest request refused" method=PUT path=/v1/accounts route=unmatched status=405`,
		`msg="rest request refused" method=GET path=/v1/no/such/thing route=unmatched status=404`,
		`msg="rest request refused" method=POST path=/v1/accounts route=/v1/accounts status=413`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("no log line %s in:\n%s", want, log)
		}
	}
	// What reached the gRPC server has its access log there.
	if strings.Contains(log, "path=/v1/accounts/a-3 ") {
		t.Errorf("a call the service answered was logged as refused:\n%s", log)
	}
}

// REST spans are named after the route pattern, not the path, so each
// record does not make a span name of its own.
func TestRESTSpanNames(t *testing.T) {
	// Not parallel: the global tracer provider is the test's while it
	// runs, and a no-op one again after, as the other tests expect.
	rec := tracetest.NewSpanRecorder()
	otel.SetTracerProvider(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec)))
	t.Cleanup(func() { otel.SetTracerProvider(noop.NewTracerProvider()) })

	var logs syncBuffer
	s := startLogged(t, Config{}, telemetry.NewLogger(&logs, telemetry.Config{LogFormat: "text"}, "crm"))
	sales := token(t, auth.Sales)
	call(t, s, "GET", "/v1/accounts/a-1", sales, "")
	call(t, s, "GET", "/v1/accounts/a-2", "", "")
	call(t, s, "GET", "/v1/nothing/here", sales, "")
	// A refusal's log line carries its trace, as an access log line does.
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		if strings.Contains(line, "rest request refused") && (!strings.Contains(line, " trace_id=") || !strings.Contains(line, " ms=")) {
			t.Errorf("refusal logged without its trace id or ms: %s", line)
		}
	}
	if !strings.Contains(logs.String(), "rest request refused") {
		t.Errorf("no refusal logged:\n%s", logs.String())
	}
	var names []string
	for _, sp := range rec.Ended() {
		if sp.SpanKind().String() == "server" && !strings.HasPrefix(sp.Name(), "crm.v1.") {
			names = append(names, sp.Name())
		}
	}
	want := []string{"GET /v1/accounts/{id}", "GET /v1/accounts/{id}", "GET unmatched"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("REST span names %q, want %q", names, want)
	}
}
