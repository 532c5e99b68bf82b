package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/tap"

	"github.com/seamhq/seam/platform/errs"
)

// Public reports whether a method needs no token: health checks.
func Public(method string) bool {
	return strings.HasPrefix(method, "/grpc.health.v1.Health/")
}

// AnyRole reports whether a method is open to every caller with a valid
// token, whatever its roles, without being in a policy: server
// reflection, where a server serves it (GRPC_REFLECTION). It describes
// the API, so it is not for callers without a token.
func AnyRole(method string) bool {
	return strings.HasPrefix(method, "/grpc.reflection.")
}

func (v *Verifier) authorize(ctx context.Context, method string, policy Policy) (context.Context, error) {
	if Public(method) {
		return ctx, nil
	}
	md, _ := metadata.FromIncomingContext(ctx)
	header := ""
	if values := md.Get("authorization"); len(values) > 0 {
		header = values[0]
	}
	p, err := v.Authenticate(header)
	if err != nil {
		return nil, err
	}
	if AnyRole(method) {
		return WithPrincipal(ctx, p), nil
	}
	if err := policy.Check(method, p); err != nil {
		return nil, err
	}
	return WithPrincipal(ctx, p), nil
}

// Authenticate checks an Authorization header value ("Bearer <token>"),
// the same way for gRPC metadata and REST headers.
func (v *Verifier) Authenticate(header string) (Principal, error) {
	if header == "" {
		return Principal{}, errs.Unauthenticatedf("missing bearer token: send 'Authorization: Bearer <token>'")
	}
	token, ok := BearerToken(header)
	if !ok {
		return Principal{}, errs.Unauthenticatedf("authorization is not of the form 'Bearer <token>'")
	}
	return v.Verify(token)
}

// TapHandle turns away a call without a valid token as soon as its
// headers arrive (grpc.InTapHandle), before its request message is read
// and decoded: a caller without a token gets UNAUTHENTICATED for a
// malformed or megabytes-large message as for any other, and costs the
// server no more than checking the header. The interceptors check the
// token again (a map lookup: Verify remembers it) and the caller's roles.
func (v *Verifier) TapHandle(ctx context.Context, info *tap.Info) (context.Context, error) {
	if Public(info.FullMethodName) {
		return ctx, nil
	}
	header := ""
	if values := info.Header.Get("authorization"); len(values) > 0 {
		header = values[0]
	}
	if _, err := v.Authenticate(header); err != nil {
		return nil, errs.ToStatus(ctx, slog.Default(), info.FullMethodName, err, nil).Err()
	}
	return ctx, nil
}

// UnaryServerInterceptor authenticates and authorizes every unary call.
func (v *Verifier) UnaryServerInterceptor(policy Policy) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx, err := v.authorize(ctx, info.FullMethod, policy)
		if err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor authenticates and authorizes every stream. A
// stream lasts no longer than the token that opened it (with the clock
// skew tolerated on its times): a watch or feed would otherwise go on
// serving a caller whose token expired, or whose access was withdrawn by
// letting it expire, for as long as the connection held. Its caller gets
// UNAUTHENTICATED and opens the stream again with a fresh token; the
// feeds resume from their cursor.
func (v *Verifier) StreamServerInterceptor(policy Policy) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx, err := v.authorize(ss.Context(), info.FullMethod, policy)
		if err != nil {
			return err
		}
		p, _ := PrincipalFrom(ctx)
		if p.Expires.IsZero() {
			return handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		}
		ctx, cancel := context.WithDeadlineCause(ctx, p.Expires.Add(leeway), errTokenExpired)
		defer cancel()
		err = handler(srv, &contextStream{ServerStream: ss, ctx: ctx})
		if errors.Is(context.Cause(ctx), errTokenExpired) && ss.Context().Err() == nil {
			return streamTokenExpired()
		}
		return err
	}
}

// errTokenExpired ends a stream whose token has expired.
var errTokenExpired = errors.New("token expired")

// TokenExpiredReason is the google.rpc.ErrorInfo reason of a stream ended
// because the token that opened it expired: a routine end for a client
// that follows a stream for longer than a token lives, which it opens
// again with a fresh token.
const TokenExpiredReason = "STREAM_TOKEN_EXPIRED"

func streamTokenExpired() error {
	st := status.New(codes.Unauthenticated, "the token that opened this stream has expired: open it again with a fresh token")
	if withInfo, err := st.WithDetails(&errdetails.ErrorInfo{Reason: TokenExpiredReason, Domain: "seam"}); err == nil {
		st = withInfo
	}
	return st.Err()
}

// StreamTokenExpired reports whether err ended a stream because the
// token that opened it expired (TokenExpiredReason), as opposed to a
// token refused when the stream was opened.
func StreamTokenExpired(err error) bool {
	st, ok := status.FromError(err)
	if !ok || st.Code() != codes.Unauthenticated {
		return false
	}
	for _, d := range st.Details() {
		if info, ok := d.(*errdetails.ErrorInfo); ok && info.GetReason() == TokenExpiredReason {
			return true
		}
	}
	return false
}

type contextStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *contextStream) Context() context.Context { return s.ctx }

// TokenCredentials attaches a bearer token to every outgoing call; a client
// such as the bridge uses it with grpc.WithPerRPCCredentials.
type TokenCredentials struct {
	// Token returns the current token; it is called for every request so
	// the source can refresh before expiry.
	Token func() (string, error)
	// Secure requires transport security; false for loopback and in-cluster
	// plaintext connections.
	Secure bool
}

// GetRequestMetadata implements credentials.PerRPCCredentials.
func (c TokenCredentials) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	tok, err := c.Token()
	if err != nil {
		return nil, err
	}
	return map[string]string{"authorization": "Bearer " + tok}, nil
}

// RequireTransportSecurity implements credentials.PerRPCCredentials.
func (c TokenCredentials) RequireTransportSecurity() bool { return c.Secure }

var _ credentials.PerRPCCredentials = TokenCredentials{}
