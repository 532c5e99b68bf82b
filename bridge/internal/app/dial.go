package app

import (
	"context"
	"fmt"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"
	"google.golang.org/grpc/backoff"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/server"
)

// callTimeout bounds each call to the CRM and the ERP that has no
// deadline of its own: a service that takes a call and never answers
// fails it, and the event behind it is retried, instead of holding its
// lane (and every key queued in it) for good. Every command the bridge
// sends is idempotent, so a call that timed out after it took effect is
// harmless to repeat.
const callTimeout = 30 * time.Second

// reconnect is how the bridge retries a service it lost: grpc-go's
// default backoff grows to two minutes between attempts, so after a long
// outage the bridge would find a service that is back only minutes later.
// One attempt a second at most is nothing for the two services it
// follows, and it is back within a second of them.
var reconnect = grpc.ConnectParams{
	Backoff: backoff.Config{
		BaseDelay:  100 * time.Millisecond,
		Multiplier: 1.6,
		Jitter:     0.2,
		MaxDelay:   time.Second,
	},
	MinConnectTimeout: 5 * time.Second,
}

// maxReceive is the largest message the bridge accepts from the CRM and
// the ERP. Their lists and feeds end a page early to stay below
// listing.MaxPageBytes, well inside gRPC's default 4 MiB, but a page the
// bridge cannot receive halts its feed or its reconciliation for good
// (the same page is refused however often it asks): a service of a build
// that did not bound a list yet, or a list that grew past the bound,
// costs the bridge a few more MiB of memory for that message instead.
const maxReceive = 16 << 20

// tokenLifetime is how long the tokens the bridge signs for its calls
// live unless the services accept less; its token source renews each at
// half its life.
const tokenLifetime = time.Hour

// serviceTokens signs the bridge's tokens for its calls to the CRM and the
// ERP: integration tokens of tokenLifetime, or shorter when the
// deployment's AUTH_MAX_INTEGRATION_TOKEN_LIFETIME (which the bridge reads
// as the services do; verifier is built from it) accepts less, in whole
// seconds, as a token's times are written. A lower limit would otherwise
// have the services refuse every call of the bridge as UNAUTHENTICATED.
func serviceTokens(secret []byte, verifier *auth.Verifier) *auth.TokenSource {
	roles := []auth.Role{auth.Integration}
	ttl := min(tokenLifetime, verifier.MaxLifetime(roles).Truncate(time.Second))
	return auth.NewTokenSource(secret, auth.BridgeSubject, roles, max(ttl, time.Second))
}

// dial opens the bridge's connection to a service: fixed flow-control
// windows, keepalive pings (a frozen or vanished service breaks the feed
// stream within seconds, and the bridge reconnects, at least once a
// second while the service is away), its own token on
// every call, traces, callTimeout and maxReceive.
func dial(addr string, tokens *auth.TokenSource) (*grpc.ClientConn, error) {
	opts := append(server.WindowDialOptions(), server.KeepaliveDialOptions()...)
	conn, err := grpc.NewClient(addr, append(opts,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithConnectParams(reconnect),
		grpc.WithPerRPCCredentials(auth.TokenCredentials{Token: tokens.Token}),
		grpc.WithStatsHandler(otelgrpc.NewClientHandler()),
		grpc.WithChainUnaryInterceptor(boundCalls(callTimeout)),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(maxReceive)),
	)...)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return conn, nil
}

// boundCalls gives each unary call without a deadline one of d.
func boundCalls(d time.Duration) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if _, ok := ctx.Deadline(); !ok {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, d)
			defer cancel()
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}
