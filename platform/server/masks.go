package server

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/errs"
)

// viaRESTKey marks, in a call's metadata, a call the REST gateway makes
// (restMarkUnary): its update mask, when the query gives none, is the
// body's fields, so an empty one names no field.
const viaRESTKey = "seam-via-rest"

// maskUnary normalizes a request's update masks before the service sees
// them. A mask may name fields as JSON does (externalId,
// billingAddress.city) as well as by their proto names (external_id): a
// REST query parameter takes either, as a JSON body's fields do; the
// services see proto names only. Empty paths (update_mask=a,,b) are
// dropped. "*" beside other paths is INVALID_ARGUMENT.
//
// The services tell two empty masks apart by presence: no mask (nil) is
// every updatable field, a full replacement; a mask present with no path
// is no field, an update that changes nothing (the current resource, its
// etag still checked). "*" (AIP-134: replace the whole resource) is no
// mask, over gRPC and REST alike. Over gRPC an empty mask, absent or
// present or of nothing but empty paths, is no mask too (every field, as
// it always was); only the REST gateway, whose mask is the body's fields
// when the query gives none, sends a present empty mask for a body
// without fields, which is then an update of no field.
//
// gateway says the interceptor serves the gateway's own gRPC server, the
// only one whose callers' viaRESTKey is believed: on the server gRPC
// callers reach, the mark is ignored, so a gRPC call's empty mask is
// every field whatever metadata it sends.
func maskUnary(gateway bool) grpc.UnaryServerInterceptor {
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if m, ok := req.(proto.Message); ok {
			rest := false
			if gateway {
				md, _ := metadata.FromIncomingContext(ctx)
				rest = len(md.Get(viaRESTKey)) > 0
			}
			if err := normalizeMasks(m.ProtoReflect(), rest); err != nil {
				return nil, err
			}
		}
		return handler(ctx, req)
	}
}

// normalizeMasks rewrites the paths of the request's top-level field
// masks, and clears those that mean every field. rest says the masks
// came from the REST gateway, where an empty mask stays (no field).
func normalizeMasks(m protoreflect.Message, rest bool) error {
	var v errs.Violations
	var every []protoreflect.FieldDescriptor
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() {
			return true
		}
		mask, ok := val.Message().Interface().(*fieldmaskpb.FieldMask)
		if !ok {
			return true
		}
		paths := make([]string, 0, len(mask.Paths))
		for _, p := range mask.Paths {
			if p = strings.TrimSpace(p); p != "" {
				paths = append(paths, snakePath(p))
			}
		}
		if slices.Contains(paths, "*") {
			if len(paths) > 1 {
				v.Add(string(fd.Name()), "* (every updatable field) must be the only path, got %s", strings.Join(paths, ","))
				return true
			}
			every = append(every, fd)
			return true
		}
		if len(paths) == 0 && !rest {
			every = append(every, fd)
			return true
		}
		mask.Paths = paths
		return true
	})
	if err := v.Err(); err != nil {
		return err
	}
	for _, fd := range every {
		m.Clear(fd)
	}
	return nil
}

// restMarkUnary marks the calls the REST gateway makes (viaRESTKey), on
// the gateway's side of its gRPC connection.
func restMarkUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if restCallFrom(ctx) != nil {
		ctx = metadata.AppendToOutgoingContext(ctx, viaRESTKey, "1")
	}
	return invoker(ctx, method, req, reply, cc, opts...)
}

// snakePath turns lowerCamelCase path segments into snake_case ones;
// snake_case paths come back as they are.
func snakePath(p string) string {
	if !strings.ContainsFunc(p, unicode.IsUpper) {
		return p
	}
	var b strings.Builder
	for _, r := range p {
		if unicode.IsUpper(r) {
			b.WriteByte('_')
			r = unicode.ToLower(r)
		}
		b.WriteRune(r)
	}
	return b.String()
}
