package server

import (
	"context"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"golang.org/x/time/rate"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
)

// accessLogUnary logs each call: successes at debug level, caller errors
// at info, server errors at error.
func accessLogUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		start := time.Now()
		resp, err := handler(ctx, req)
		logCall(ctx, log, info.FullMethod, start, err)
		return resp, err
	}
}

func accessLogStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		start := time.Now()
		err := handler(srv, ss)
		logCall(ss.Context(), log, info.FullMethod, start, err)
		return err
	}
}

func logCall(ctx context.Context, log *slog.Logger, method string, start time.Time, err error) {
	code := status.Code(err)
	level := slog.LevelDebug
	switch code {
	case codes.OK, codes.Canceled:
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Unimplemented:
		level = slog.LevelError
	default:
		level = slog.LevelInfo
	}
	if !log.Enabled(ctx, level) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", method),
		slog.String("code", code.String()),
		slog.Float64("ms", float64(time.Since(start).Microseconds())/1000),
		slog.String("request_id", RequestID(ctx)),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", status.Convert(err).Message()))
	}
	log.LogAttrs(ctx, level, "call", attrs...)
}

// recoverUnary turns a handler panic into an internal error, logged with
// its stack, instead of a crashed process.
func recoverUnary(log *slog.Logger) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (resp any, err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ctx, "panic", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = errs.New(errs.Internal, "internal error")
			}
		}()
		return handler(ctx, req)
	}
}

func recoverStream(log *slog.Logger) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(ss.Context(), "panic", "method", info.FullMethod, "panic", r, "stack", string(debug.Stack()))
				err = errs.New(errs.Internal, "internal error")
			}
		}()
		return handler(srv, ss)
	}
}

// rateLimiter keeps a token bucket per authenticated subject.
type rateLimiter struct {
	limit rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*rate.Limiter
}

func newRateLimiter(perSecond float64, burst int) *rateLimiter {
	return &rateLimiter{limit: rate.Limit(perSecond), burst: max(burst, 1), buckets: map[string]*rate.Limiter{}}
}

func (l *rateLimiter) allow(ctx context.Context) error {
	if l.limit <= 0 {
		return nil
	}
	p, ok := auth.PrincipalFrom(ctx)
	if !ok {
		return nil
	}
	l.mu.Lock()
	b, ok := l.buckets[p.Subject]
	if !ok {
		if len(l.buckets) > 100_000 {
			clear(l.buckets)
		}
		b = rate.NewLimiter(l.limit, l.burst)
		l.buckets[p.Subject] = b
	}
	l.mu.Unlock()
	r := b.Reserve()
	if d := r.Delay(); d > 0 {
		r.Cancel()
		st, _ := status.New(codes.ResourceExhausted, "rate limit exceeded; retry later").
			WithDetails(&errdetails.RetryInfo{RetryDelay: durationpb.New(d)})
		return st.Err()
	}
	return nil
}

func (l *rateLimiter) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if err := l.allow(ctx); err != nil {
		return nil, err
	}
	return handler(ctx, req)
}

func (l *rateLimiter) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	if err := l.allow(ss.Context()); err != nil {
		return err
	}
	return handler(srv, ss)
}
