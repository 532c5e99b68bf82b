package server

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

//go:embed docsui
var docsUI embed.FS

// JSONMarshaler is the REST encoding of every API: proto field names,
// enums as names, and unknown fields or text after the body rejected
// instead of silently dropped.
func JSONMarshaler() runtime.Marshaler {
	return &runtime.HTTPBodyMarshaler{Marshaler: strictJSON{&runtime.JSONPb{
		MarshalOptions:   protojson.MarshalOptions{UseProtoNames: true},
		UnmarshalOptions: protojson.UnmarshalOptions{DiscardUnknown: false},
	}}}
}

// setQueryParser installs queryParser as the gateway's query parser, once.
var setQueryParser sync.Once

func (s *Server) httpHandler(ctx context.Context, reg *prometheus.Registry) (http.Handler, *grpc.ClientConn, error) {
	conn, err := grpc.NewClient("passthrough:///gateway",
		append(gatewayDialOptions(s.log), grpc.WithContextDialer(s.dialGateway))...)
	if err != nil {
		return nil, nil, fmt.Errorf("dial own gRPC server: %w", err)
	}
	gw := runtime.NewServeMux(
		runtime.WithMarshalerOption(runtime.MIMEWildcard, JSONMarshaler()),
		runtime.WithForwardResponseOption(setETag),
		runtime.WithIncomingHeaderMatcher(incomingHeader),
		runtime.WithOutgoingHeaderMatcher(outgoingHeader),
		runtime.WithErrorHandler(s.restErrors),
		runtime.WithRoutingErrorHandler(routingErrors),
		runtime.WithDisablePathLengthFallback(),
		runtime.WithMiddlewares(s.routeMiddleware),
	)
	s.gateway = gw
	// The gateway keeps its query parser in a package variable, which the
	// option sets: set it once per process, so that servers started side
	// by side (tests) do not write it while others read it.
	setQueryParser.Do(func() { runtime.SetQueryParameterParser(&queryParser{})(gw) })
	for _, register := range s.svc.Gateways {
		if err := register(ctx, gw, conn); err != nil {
			conn.Close()
			return nil, nil, fmt.Errorf("register gateway: %w", err)
		}
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("GET /openapi.json", s.openAPI(s.svc.OpenAPI))
	if s.svc.OpenAPI3 != nil {
		mux.HandleFunc("GET /openapi3.json", s.openAPI(s.svc.OpenAPI3))
	}
	mux.HandleFunc("GET /docs", s.docs)
	ui, _ := fs.Sub(docsUI, "docsui")
	mux.Handle("GET /docs/ui/", http.StripPrefix("/docs/ui/", http.FileServerFS(ui)))
	mux.Handle("/v1/", s.observeREST(reg, gw, s.restGuard(gw)))
	for pattern, h := range s.svc.Routes {
		mux.Handle(pattern, h)
	}
	return s.bodyDeadline(securityHeaders(mux)), conn, nil
}

// securityHeaders asks browsers never to guess a response's type from its
// content (an uploaded text read as HTML or script) and never to show a
// page of the service inside another site's frame, where /docs' "Try it
// out" buttons could be clicked through a disguise (clickjacking).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

// bodyReadTimeout is how long a client has to send a request's body,
// from the end of its headers (which ReadHeaderTimeout bounds).
const bodyReadTimeout = time.Minute

// bodyDeadline bounds the time a request's body may take to arrive
// (Server.bodyTimeout). Without it a client that sends its headers and
// then a byte now and then holds a connection and a goroutine for as
// long as it likes: the token is checked before the body is read, but
// net/http still reads what is left of a refused request's body. The
// deadline ends once the body has been read, so the response, a stream
// among them, takes as long as it needs; requests without a body get
// none.
func (s *Server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			rc := http.NewResponseController(w)
			if err := rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)); err == nil {
				r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody lifts the connection's read deadline once the body has
// been read to its end.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// openAPI serves an OpenAPI document. A frontend on a configured origin
// may read it (a client generated in the browser, an API explorer): a
// simple GET, no token, so no preflight.
func (s *Server) openAPI(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(s.cfg.CORSOrigins, origin) {
			w.Header().Set("Access-Control-Allow-Origin", origin)
		}
		w.Header().Add("Vary", "Origin")
		w.Header().Set("Content-Type", "application/json")
		w.Write(doc)
	}
}

// corsAllowHeaders are the request headers a browser app may send across
// origins: every one the REST API reads. Besides the token, the body's
// type, the etag and the request id, that is the W3C trace context, which browser tracing
// adds to its calls and the server continues (otelhttp); a preflight that
// leaves a header out makes the browser refuse the call before sending it.
const corsAllowHeaders = "Authorization, Content-Type, If-Match, X-Request-Id, traceparent, tracestate, baggage"

// restGuard applies the REST conventions the gateway does not: a body size
// cap, no method override, and CORS only for configured origins.
func (s *Server) restGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && slices.Contains(s.cfg.CORSOrigins, origin) {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Set("Access-Control-Expose-Headers", "ETag, Retry-After, X-Request-Id")
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE")
				h.Set("Access-Control-Allow-Headers", corsAllowHeaders)
				h.Set("Access-Control-Max-Age", "600")
				w.WriteHeader(http.StatusNoContent)
				return
			}
		}
		if r.Header.Get("X-HTTP-Method-Override") != "" {
			writeStatus(w, http.StatusBadRequest, invalid("X-HTTP-Method-Override", "is not supported: send the request with the method it means"))
			return
		}
		// Every REST route needs a token: checked here, before the gateway
		// reads the path and body, so a caller without one learns that
		// (401) rather than what is wrong with its request. Its roles are
		// checked once the gateway has matched a route, against the
		// route's method (authorizeRoute), and again behind the gateway.
		p, err := s.verifier.Authenticate(r.Header.Get("Authorization"))
		if err != nil {
			w.Header().Set("WWW-Authenticate", "Bearer")
			writeStatus(w, http.StatusUnauthorized, errs.ToStatus(r.Context(), s.log, "", err, nil))
			return
		}
		r = r.WithContext(auth.WithPrincipal(r.Context(), p))
		if r.ContentLength > s.cfg.MaxBodyBytes {
			writeStatus(w, http.StatusRequestEntityTooLarge, bodyTooLarge(s.cfg.MaxBodyBytes))
			return
		}
		// A body without a length (chunked) is cut at the cap as it is
		// read; restErrors answers the error that causes like the one
		// above.
		body := &cappedBody{ReadCloser: http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes), limit: s.cfg.MaxBodyBytes}
		r = r.WithContext(context.WithValue(r.Context(), cappedBodyKey{}, body))
		r.Body = body
		if r.Method == http.MethodHead {
			// HEAD is GET without the body (RFC 9110, 9.3.2): the gateway
			// answers it as GET and net/http, which knows the request is
			// a HEAD, sends the status and headers (Content-Length among
			// them) and drops the body. The first write ends the call, so
			// a stream (a :watch) answers its first message's headers
			// instead of running on unread.
			ctx, cancel := context.WithCancel(r.Context())
			defer cancel()
			r = r.WithContext(ctx)
			r.Method = http.MethodGet
			w = &headResponse{ResponseWriter: w, done: cancel}
		}
		next.ServeHTTP(w, r)
	})
}

// headResponse is the response to a HEAD answered as GET: it ends the
// call once the body starts, which net/http does not send.
type headResponse struct {
	http.ResponseWriter
	done context.CancelFunc
}

func (h *headResponse) Write(p []byte) (int, error) {
	n, err := h.ResponseWriter.Write(p)
	h.done()
	return n, err
}

func (h *headResponse) Flush() { _ = http.NewResponseController(h.ResponseWriter).Flush() }

func (h *headResponse) Unwrap() http.ResponseWriter { return h.ResponseWriter }

// invalid is the status of one bad field of a REST request, as the
// services report theirs.
func invalid(field, format string, args ...any) *status.Status {
	return errs.ToStatus(context.Background(), slog.Default(), "", errs.Invalid(field, format, args...), nil)
}

// bodyTooLarge is the answer to a request body over the cap, with a
// Content-Length that says so or without one: 413, INVALID_ARGUMENT on
// field "body".
func bodyTooLarge(limit int64) *status.Status {
	return invalid("body", "is larger than the limit of %d bytes", limit)
}

// cappedBody is a request body read through http.MaxBytesReader that
// remembers whether the cap cut it.
type cappedBody struct {
	io.ReadCloser
	limit    int64
	exceeded bool
}

type cappedBodyKey struct{}

func (b *cappedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if tooLarge := (*http.MaxBytesError)(nil); errors.As(err, &tooLarge) {
		b.exceeded = true
	}
	return n, err
}

// overCap reports the cap of a request whose body was cut by it.
func overCap(r *http.Request) (int64, bool) {
	b, ok := r.Context().Value(cappedBodyKey{}).(*cappedBody)
	if !ok || !b.exceeded {
		return 0, false
	}
	return b.limit, true
}

// writeStatus answers with an error as the gateway answers its own: the
// google.rpc.Status in the REST encoding, so every error a caller gets
// has one shape (details left out when there are none).
func writeStatus(w http.ResponseWriter, httpStatus int, st *status.Status) {
	m := JSONMarshaler()
	body, err := m.Marshal(st.Proto())
	if err != nil {
		httpStatus, body = http.StatusInternalServerError, []byte(`{"code":13,"message":"failed to encode an error"}`)
	}
	w.Header().Set("Content-Type", m.ContentType(st.Proto()))
	w.WriteHeader(httpStatus)
	w.Write(body)
}

// incomingHeader forwards a REST request's headers to the gRPC call
// behind it as the gateway does (If-Match as grpcgateway-if-match, the
// token as authorization), but not Grpc-Metadata-<key> headers, which
// the gateway would turn into metadata <key> of the caller's choosing: a
// second authorization beside the one the REST side checked (and which
// of the two the service then saw was down to the order of a map), or
// the marks the gateway alone sets (seam-via-rest). The services read no
// metadata a REST caller has to send that way.
func incomingHeader(key string) (string, bool) {
	if strings.HasPrefix(http.CanonicalHeaderKey(key), runtime.MetadataHeaderPrefix) {
		return "", false
	}
	return runtime.DefaultHeaderMatcher(key)
}

// outgoingHeader forwards a gRPC response's header metadata to REST as
// the gateway does (Grpc-Metadata-<key>), but not the gRPC transport's
// own content-type: sent on every response as
// "Grpc-Metadata-Content-Type: application/grpc" beside the JSON body's
// Content-Type, it told a REST client nothing and misled some.
//
// Nor the request id (x-request-id): REST answers it as X-Request-Id.
func outgoingHeader(key string) (string, bool) {
	if strings.EqualFold(key, "content-type") || strings.EqualFold(key, requestIDMetadata) {
		return "", false
	}
	return runtime.MetadataHeaderPrefix + key, true
}

// setETag copies a response message's etag field into the ETag header.
func setETag(_ context.Context, w http.ResponseWriter, m proto.Message) error {
	if m == nil {
		return nil
	}
	fd := m.ProtoReflect().Descriptor().Fields().ByName("etag")
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return nil
	}
	if etag := m.ProtoReflect().Get(fd).String(); etag != "" {
		w.Header().Set("ETag", `"`+etag+`"`)
	}
	return nil
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if s.draining() {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "not ready: shutting down")
		return
	}
	if err := s.ready(ctx); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %s\n", publicReason(err))
		return
	}
	fmt.Fprintln(w, "ready")
}

// publicReason is what /readyz, which anyone who reaches the port may
// ask, says of a readiness error. A failed connection to the database
// names its user, database, host and port: that stays in the log
// (watchReadiness), and /readyz says only that the database is
// unreachable. Other reasons (a schema behind or ahead of the binary)
// are told as they are.
func publicReason(err error) string {
	var connect *pgconn.ConnectError
	if errors.As(err, &connect) || pg.IsUnavailable(err) {
		return "database unreachable (the service's log says why)"
	}
	return err.Error()
}

// docsPage loads Swagger UI from the binary, so the docs work offline. Its
// icon is empty and inline: without one a browser asks for /favicon.ico,
// gets a 404 and logs it as an error in the console of every visit.
var docsPage = template.Must(template.New("docs").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{.}} API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/ui/swagger-ui.css">
</head>
<body>
<div id="ui"></div>
<script src="/docs/ui/swagger-ui-bundle.js"></script>
<script>
window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#ui", deepLinking: true});
</script>
</body>
</html>
`))

func (s *Server) docs(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	docsPage.Execute(w, strings.ToUpper(s.svc.Name[:1])+s.svc.Name[1:])
}
