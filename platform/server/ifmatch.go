package server

import (
	"context"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/errs"
)

// ifMatchKey is the If-Match header of a REST request, as the gateway
// forwards it.
const ifMatchKey = "grpcgateway-if-match"

// ifMatchUnary lets a REST client send the etag it read in the ETag header
// back in If-Match, as HTTP intends, instead of in the body or query: the
// header fills the request's etag (the request's own, as in a delete or
// :win, or its resource's, as in an update). An etag in both places must
// be the same; "*" asks for no check. On routes without an etag the
// header has no meaning and is ignored.
func ifMatchUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	md, _ := metadata.FromIncomingContext(ctx)
	if vals := md.Get(ifMatchKey); len(vals) > 0 {
		if m, ok := req.(proto.Message); ok {
			if err := applyIfMatch(m.ProtoReflect(), strings.TrimSpace(vals[0])); err != nil {
				return nil, err
			}
		}
	}
	return handler(ctx, req)
}

func applyIfMatch(m protoreflect.Message, ifMatch string) error {
	if ifMatch == "" || ifMatch == "*" {
		return nil
	}
	target, path := etagField(m)
	if target == nil {
		return nil
	}
	fd := target.Descriptor().Fields().ByName("etag")
	sent := target.Get(fd).String()
	if sent == "" {
		target.Set(fd, protoreflect.ValueOfString(ifMatch))
		return nil
	}
	a, errA := errs.ParseEtag(path, sent)
	b, errB := errs.ParseEtag("If-Match", ifMatch)
	switch {
	case errA != nil:
		return errA
	case errB != nil:
		return errB
	case a != b:
		return errs.Invalid(path, "is %s, but If-Match says %s", sent, ifMatch)
	}
	return nil
}

// etagField finds the message holding the request's etag and its path.
func etagField(m protoreflect.Message) (protoreflect.Message, string) {
	fields := m.Descriptor().Fields()
	if fd := fields.ByName("etag"); fd != nil && fd.Kind() == protoreflect.StringKind && !fd.IsList() {
		return m, "etag"
	}
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() || !m.Has(fd) {
			continue
		}
		inner := m.Get(fd).Message()
		if e := inner.Descriptor().Fields().ByName("etag"); e != nil && e.Kind() == protoreflect.StringKind && !e.IsList() {
			return inner, string(fd.Name()) + ".etag"
		}
	}
	return nil, ""
}
