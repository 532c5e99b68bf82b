package errs

import (
	"context"
	"errors"
	"log/slog"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"go.opentelemetry.io/otel/trace"
)

var kindCodes = [...]codes.Code{
	Internal:           codes.Internal,
	InvalidArgument:    codes.InvalidArgument,
	NotFound:           codes.NotFound,
	AlreadyExists:      codes.AlreadyExists,
	FailedPrecondition: codes.FailedPrecondition,
	Aborted:            codes.Aborted,
	PermissionDenied:   codes.PermissionDenied,
	Unauthenticated:    codes.Unauthenticated,
	ResourceExhausted:  codes.ResourceExhausted,
	Unavailable:        codes.Unavailable,
}

// Code returns the gRPC code of a kind.
func (k Kind) Code() codes.Code {
	if int(k) < len(kindCodes) {
		return kindCodes[k]
	}
	return codes.Internal
}

// ToStatus turns any error returned by a handler into the status a caller
// sees. Errors of this package keep their message and violations; context
// errors keep their meaning; a status from a downstream call passes through;
// everything else becomes a bare INTERNAL, logged here with its detail so
// no driver or SQL text reaches the caller.
//
// unavailable, when given, tells a dependency out of reach (the database
// down or restarting) from a fault: those are UNAVAILABLE, which a caller
// should retry, not INTERNAL. The driver's package knows which errors
// those are (pg.IsUnavailable).
func ToStatus(ctx context.Context, logger *slog.Logger, method string, err error, unavailable func(error) bool) *status.Status {
	if err == nil {
		return nil
	}
	var e *Error
	switch {
	case errors.As(err, &e):
		if e.Kind == Internal {
			break
		}
		st := status.New(e.Kind.Code(), e.Message)
		if len(e.Violations) > 0 {
			br := &errdetails.BadRequest{}
			for _, v := range e.Violations {
				br.FieldViolations = append(br.FieldViolations, &errdetails.BadRequest_FieldViolation{
					Field: v.Field, Description: v.Description,
				})
			}
			if withDetails, derr := st.WithDetails(br); derr == nil {
				st = withDetails
			}
		}
		return st
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, "request canceled")
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "deadline exceeded")
	}
	if st, ok := status.FromError(err); ok && st.Code() != codes.Unknown {
		return st
	}
	// The caller's deadline passed, or it went away, while the handler
	// worked: the driver reports the statement it cancelled as an error
	// of its own (PostgreSQL's "canceling statement due to user
	// request"). That is the caller's deadline, not a fault to log as one.
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, "deadline exceeded")
	case errors.Is(ctx.Err(), context.Canceled):
		return status.New(codes.Canceled, "request canceled")
	}
	ref := ""
	if sc := trace.SpanContextFromContext(ctx); sc.HasTraceID() {
		ref = " (trace " + sc.TraceID().String() + ")"
	}
	if unavailable != nil && unavailable(err) {
		logger.WarnContext(ctx, "dependency unavailable", "method", method, "err", err)
		return status.New(codes.Unavailable, "a service this call needs is out of reach for now; retry later"+ref)
	}
	logger.ErrorContext(ctx, "internal error", "method", method, "err", err)
	return status.New(codes.Internal, "internal error"+ref)
}

// UnaryServerInterceptor converts handler errors with ToStatus.
func UnaryServerInterceptor(logger *slog.Logger, unavailable func(error) bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		resp, err := handler(ctx, req)
		if err != nil {
			return nil, ToStatus(ctx, logger, info.FullMethod, err, unavailable).Err()
		}
		return resp, nil
	}
}

// StreamServerInterceptor converts stream handler errors with ToStatus.
func StreamServerInterceptor(logger *slog.Logger, unavailable func(error) bool) grpc.StreamServerInterceptor {
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := handler(srv, ss); err != nil {
			return ToStatus(ss.Context(), logger, info.FullMethod, err, unavailable).Err()
		}
		return nil
	}
}
