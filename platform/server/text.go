package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/errs"
)

// PostgreSQL's text cannot hold a NUL character; a request string with one
// would fail deep in a query as an internal error. checkText rejects it up
// front, naming every field that has one, whatever the service and route.
// Strings that are no UTF-8 are named too: protobuf decoding refuses them
// on the server, but the REST gateway copies path and query parameters
// into its request unchecked, and marshalling that request would fail as
// an internal error (checkTextUnary checks it before it is sent).
func checkText(m proto.Message) error {
	var v errs.Violations
	walkText(m.ProtoReflect(), "", &v)
	return v.Err()
}

func walkText(m protoreflect.Message, prefix string, v *errs.Violations) {
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		name := prefix + string(fd.Name())
		switch {
		case fd.IsList():
			list := val.List()
			for i := range list.Len() {
				checkValue(fd, list.Get(i), fmt.Sprintf("%s[%d]", name, i), v)
			}
		case fd.IsMap():
			val.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				if s, ok := k.Interface().(string); ok && strings.ContainsRune(s, 0) {
					v.Add(name, "keys must not contain NUL characters")
				}
				checkValue(fd.MapValue(), mv, fmt.Sprintf("%s[%q]", name, k.String()), v)
				return true
			})
		default:
			checkValue(fd, val, name, v)
		}
		return true
	})
}

func checkValue(fd protoreflect.FieldDescriptor, val protoreflect.Value, name string, v *errs.Violations) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		switch s := val.String(); {
		case !utf8.ValidString(s):
			v.Add(name, "must be UTF-8 text")
		case strings.ContainsRune(s, 0):
			v.Add(name, "must not contain NUL characters")
		}
	case protoreflect.MessageKind, protoreflect.GroupKind:
		walkText(val.Message(), name+".", v)
	}
}

func textUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if err := checkText(m); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

func textStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	return handler(srv, textCheckedStream{ss})
}

// textCheckedStream checks each message a client streams in.
type textCheckedStream struct{ grpc.ServerStream }

func (s textCheckedStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	if pm, ok := m.(proto.Message); ok {
		return checkText(pm)
	}
	return nil
}

// checkTextUnary and checkTextStream check the gateway's requests with
// checkText before they are sent to the service.
func checkTextUnary(log *slog.Logger) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if m, ok := req.(proto.Message); ok {
			if err := checkText(m); err != nil {
				return errs.ToStatus(ctx, log, method, err, nil).Err()
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func checkTextStream(log *slog.Logger) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		cs, err := streamer(ctx, desc, cc, method, opts...)
		if err != nil {
			return nil, err
		}
		return textSendStream{cs, log, method}, nil
	}
}

// textSendStream checks each message the gateway streams out.
type textSendStream struct {
	grpc.ClientStream
	log    *slog.Logger
	method string
}

func (s textSendStream) SendMsg(m any) error {
	if pm, ok := m.(proto.Message); ok {
		if err := checkText(pm); err != nil {
			return errs.ToStatus(s.Context(), s.log, s.method, err, nil).Err()
		}
	}
	return s.ClientStream.SendMsg(m)
}
