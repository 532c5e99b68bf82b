package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/platform/telemetry"
)

// Every call has a request id, which ties together the log lines it
// leaves: the caller's own (the X-Request-Id header of a REST request,
// the x-request-id metadata of a gRPC call) when it is sane, else one the
// server makes. It is answered in the same header (REST) or response
// header metadata (gRPC), put in the access logs (request_id) and, by a
// logger of telemetry.NewLogger, in every other line logged with the
// call's context (errors, panics, a handler's own lines), and carried by
// the gateway to the gRPC server behind it, so a REST call's lines share
// it. It is not the request_id field of a write, which makes
// a retry safe (package requestid): that one is part of the request; this
// one only names it in logs. A caller's id is never a reason to refuse a
// call: an empty, oversized or non-printable one is replaced.
const (
	requestIDHeader   = "X-Request-Id"
	requestIDMetadata = "x-request-id"
	// maxRequestIDLen bounds a caller's request id, in bytes: enough for
	// a UUID, a trace id or a load balancer's id with a prefix.
	maxRequestIDLen = 128
)

// saneRequestID reports whether a caller's request id is kept: 1 to
// maxRequestIDLen bytes of printable ASCII, no space, so that it is one
// token in a log line and a header.
func saneRequestID(id string) bool {
	if id == "" || len(id) > maxRequestIDLen {
		return false
	}
	for i := range len(id) {
		if id[i] <= ' ' || id[i] > '~' {
			return false
		}
	}
	return true
}

// requestIDOf is the caller's request id when sane, else a new one.
func requestIDOf(given string) string {
	if saneRequestID(given) {
		return given
	}
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// withRequestID returns ctx carrying the request id of its call: the
// telemetry package's, so every line logged with ctx carries it.
func withRequestID(ctx context.Context, id string) context.Context {
	return telemetry.WithRequestID(ctx, id)
}

// RequestID returns the request id of the call ctx belongs to, "" outside
// of one.
func RequestID(ctx context.Context) string {
	return telemetry.RequestID(ctx)
}

// restRequestID gives a REST request its request id and answers it in
// the X-Request-Id header, before anything may refuse the request.
func restRequestID(w http.ResponseWriter, r *http.Request) *http.Request {
	id := requestIDOf(r.Header.Get(requestIDHeader))
	w.Header().Set(requestIDHeader, id)
	return r.WithContext(withRequestID(r.Context(), id))
}

// incomingRequestID is the request id of a gRPC call: its x-request-id
// metadata when sane (the gateway's, for a REST call), else a new one.
func incomingRequestID(ctx context.Context) string {
	md, _ := metadata.FromIncomingContext(ctx)
	given := ""
	if vs := md.Get(requestIDMetadata); len(vs) > 0 {
		given = vs[0]
	}
	return requestIDOf(given)
}

// requestIDUnary gives a gRPC call its request id, in its context and in
// the response's header metadata.
func requestIDUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	id := incomingRequestID(ctx)
	_ = grpc.SetHeader(ctx, metadata.Pairs(requestIDMetadata, id))
	return handler(withRequestID(ctx, id), req)
}

func requestIDStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	id := incomingRequestID(ss.Context())
	_ = ss.SetHeader(metadata.Pairs(requestIDMetadata, id))
	return handler(srv, &idStream{ServerStream: ss, ctx: withRequestID(ss.Context(), id)})
}

type idStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *idStream) Context() context.Context { return s.ctx }

// outgoingRequestID carries a REST request's id to the gRPC server, in
// the x-request-id metadata, in place of any the caller sent as
// Grpc-Metadata-X-Request-Id.
func outgoingRequestID(ctx context.Context) context.Context {
	id := RequestID(ctx)
	if id == "" {
		return ctx
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set(requestIDMetadata, id)
	return metadata.NewOutgoingContext(ctx, md)
}

// requestIDClientUnary and requestIDClientStream are outgoingRequestID on
// the gateway's side of its gRPC connection.
func requestIDClientUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return invoker(outgoingRequestID(ctx), method, req, reply, cc, opts...)
}

func requestIDClientStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	return streamer(outgoingRequestID(ctx), desc, cc, method, opts...)
}
