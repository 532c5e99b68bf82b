package server

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/telemetry"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// logLines are the JSON log lines written so far.
func logLines(t *testing.T, logs *syncBuffer) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(strings.NewReader(logs.String()))
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

// requestIDsLogged are the request ids of the log lines with message msg.
func requestIDsLogged(t *testing.T, logs *syncBuffer, msg string) []string {
	t.Helper()
	var ids []string
	for _, l := range logLines(t, logs) {
		if l["msg"] == msg {
			id, _ := l["request_id"].(string)
			ids = append(ids, id)
		}
	}
	return ids
}

var generatedID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// A REST response answers the caller's X-Request-Id, or one made for it
// when the caller's is missing, too long or not printable (the call goes
// through all the same), and the gRPC server's access log line of the
// call carries the same id: the gateway passes it on. A caller's
// Grpc-Metadata-X-Request-Id does not replace it.
func TestRESTRequestID(t *testing.T) {
	t.Parallel()
	sales := token(t, auth.Sales)
	for _, tc := range []struct {
		name   string
		header http.Header
		want   string // "" for a generated one
	}{
		{"given", http.Header{"X-Request-Id": {"client-42"}}, "client-42"},
		{"longest kept", http.Header{"X-Request-Id": {strings.Repeat("a", maxRequestIDLen)}}, strings.Repeat("a", maxRequestIDLen)},
		{"absent", nil, ""},
		{"too long", http.Header{"X-Request-Id": {strings.Repeat("a", maxRequestIDLen+1)}}, ""},
		{"not ASCII", http.Header{"X-Request-Id": {"caf\u00e9"}}, ""},
		{"a space", http.Header{"X-Request-Id": {"two words"}}, ""},
		{"a tab", http.Header{"X-Request-Id": {"a\tb"}}, ""},
		{"metadata header beside", http.Header{"X-Request-Id": {"real"}, "Grpc-Metadata-X-Request-Id": {"other"}}, "real"},
		{"metadata header alone", http.Header{"Grpc-Metadata-X-Request-Id": {"other"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var logs syncBuffer
			s := startLogged(t, Config{}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
			req, err := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/accounts/acme", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header.Clone()
			if req.Header == nil {
				req.Header = http.Header{}
			}
			req.Header.Set("Authorization", "Bearer "+sales)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("status %d, want 200", resp.StatusCode)
			}
			got := resp.Header.Get("X-Request-Id")
			switch {
			case tc.want != "" && got != tc.want:
				t.Errorf("X-Request-Id %q, want the caller's %q", got, tc.want)
			case tc.want == "" && !generatedID.MatchString(got):
				t.Errorf("X-Request-Id %q, want one made for the call", got)
			}
			if h := resp.Header.Values("Grpc-Metadata-X-Request-Id"); len(h) > 0 {
				t.Errorf("Grpc-Metadata-X-Request-Id %q beside X-Request-Id", h)
			}
			if logged := requestIDsLogged(t, &logs, "call"); len(logged) != 1 || logged[0] != got {
				t.Errorf("access log request ids %q, want [%s]:\n%s", logged, got, logs.String())
			}
		})
	}
}

// A REST request refused before it reaches the gRPC server answers its
// request id too, and its log line carries it.
func TestRESTRequestIDOfARefusal(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := startLogged(t, Config{}, slog.New(slog.NewJSONHandler(&logs, nil)))
	for _, given := range []string{"refused-1", strings.Repeat("x", 1000)} {
		req, err := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/accounts/acme", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Request-Id", given)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		got := resp.Header.Get("X-Request-Id")
		if resp.StatusCode != 401 || got == "" || (got != given && len(given) <= maxRequestIDLen) {
			t.Fatalf("%d, X-Request-Id %q; want 401 with the request id", resp.StatusCode, got)
		}
		if logged := requestIDsLogged(t, &logs, "rest request refused"); len(logged) == 0 || logged[len(logged)-1] != got {
			t.Errorf("refusals logged with request ids %q, want %s last", logged, got)
		}
	}
}

// A gRPC call's x-request-id metadata is answered in the response's
// header metadata and logged with the call; a call without one gets one.
func TestGRPCRequestID(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := startLogged(t, Config{}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := crmv1.NewAccountServiceClient(conn)
	var answered []string
	for _, given := range []string{"grpc-7", "", strings.Repeat("y", maxRequestIDLen+1)} {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, auth.Sales))
		if given != "" {
			ctx = metadata.AppendToOutgoingContext(ctx, "x-request-id", given)
		}
		var header metadata.MD
		if _, err := client.GetAccount(ctx, &crmv1.GetAccountRequest{Id: "acme"}, grpc.Header(&header)); err != nil {
			t.Fatal(err)
		}
		got := header.Get("x-request-id")
		if len(got) != 1 {
			t.Fatalf("x-request-id %q answered for %q, want one", got, given)
		}
		if given == "grpc-7" && got[0] != given || given != "grpc-7" && !generatedID.MatchString(got[0]) {
			t.Errorf("x-request-id %q answered for %q", got[0], given)
		}
		answered = append(answered, got[0])
	}
	logged := requestIDsLogged(t, &logs, "call")
	if strings.Join(logged, " ") != strings.Join(answered, " ") {
		t.Errorf("access log request ids %q, want %q", logged, answered)
	}
}

// idEvents is a stand-in feed that sends one event, whose id is the
// request id its handler sees.
type idEvents struct {
	crmv1.UnimplementedEventServiceServer
}

func (idEvents) WatchEvents(_ *crmv1.WatchEventsRequest, stream grpc.ServerStreamingServer[crmv1.Event]) error {
	return stream.Send(&crmv1.Event{Id: RequestID(stream.Context())})
}

// A stream has its request id as a unary call does: its handler sees it,
// the caller gets it back, the access log line carries it.
func TestGRPCStreamRequestID(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	v, _ := auth.NewVerifier(secret)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := New(ctx, Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Minute, MaxBodyBytes: 1 << 20},
		Service{
			Name:     "crm",
			Register: func(s grpc.ServiceRegistrar) { crmv1.RegisterEventServiceServer(s, idEvents{}) },
			Policy:   auth.Policy{"/crm.v1.EventService/WatchEvents": {auth.Integration}},
		}, Options{Logger: slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})), Verifier: v})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	stop := sync.OnceFunc(func() { cancel(); <-done })
	defer stop()
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	callCtx := metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, auth.Integration), "x-request-id", "feed-3")
	stream, err := crmv1.NewEventServiceClient(conn).WatchEvents(callCtx, &crmv1.WatchEventsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	ev, err := stream.Recv()
	if err != nil || ev.GetId() != "feed-3" {
		t.Fatalf("event %v, %v; want the handler to see request id feed-3", ev, err)
	}
	if h, err := stream.Header(); err != nil || !slices.Equal(h.Get("x-request-id"), []string{"feed-3"}) {
		t.Errorf("header %v, %v; want x-request-id feed-3", h, err)
	}
	for _, err := stream.Recv(); err == nil; _, err = stream.Recv() {
	}
	stop() // the log line is written once the stream's handler returns
	if logged := requestIDsLogged(t, &logs, "call"); !slices.Equal(logged, []string{"feed-3"}) {
		t.Errorf("access log request ids %q, want [feed-3]", logged)
	}
}

// With the services' logger (telemetry.NewLogger), every line a call
// leaves carries its request id, not only the access log's: an internal
// error's, a panic's; and the access log line carries it once.
func TestRequestIDOnEveryLogLine(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	s := startLogged(t, Config{}, telemetry.NewLogger(&logs, telemetry.Config{LogLevel: "debug", LogFormat: "json"}, "crm"))
	conn, err := grpc.NewClient(s.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	client := crmv1.NewAccountServiceClient(conn)
	for _, id := range []string{"db", "panic", "acme"} {
		ctx := metadata.AppendToOutgoingContext(context.Background(),
			"authorization", "Bearer "+token(t, auth.Sales), "x-request-id", "req-"+id)
		_, _ = client.GetAccount(ctx, &crmv1.GetAccountRequest{Id: id})
	}
	want := map[string]int{"internal error": 2, "panic": 1, "call": 3} // a panic is an internal error too
	for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		msg, _ := m["msg"].(string)
		if _, ok := want[msg]; !ok {
			continue
		}
		want[msg]--
		if id, _ := m["request_id"].(string); !strings.HasPrefix(id, "req-") {
			t.Errorf("%q logged with request id %q, want the call's: %s", msg, id, line)
		}
		if n := strings.Count(line, `"request_id":`); n != 1 {
			t.Errorf("%q logged with %d request ids: %s", msg, n, line)
		}
	}
	for msg, left := range want {
		if left != 0 {
			t.Errorf("%d lines %q missing (or too many):\n%s", left, msg, logs.String())
		}
	}
}
