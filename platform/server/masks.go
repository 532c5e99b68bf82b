package server

import (
	"context"
	"slices"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/errs"
)

// maskUnary normalizes a request's update masks before the service sees
// them. A mask may name fields as JSON does (externalId,
// billingAddress.city) as well as by their proto names (external_id): a
// REST query parameter takes either, as a JSON body's fields do; the
// services see proto names only. Empty paths (update_mask=a,,b) are
// dropped, so a mask of nothing but those is an empty mask. "*" (AIP-134:
// replace the whole resource) is the empty mask too, which every update
// reads as every updatable field; "*" beside other paths is
// INVALID_ARGUMENT.
func maskUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if err := normalizeMasks(m.ProtoReflect()); err != nil {
			return nil, err
		}
	}
	return handler(ctx, req)
}

// normalizeMasks rewrites the paths of the request's top-level field
// masks.
func normalizeMasks(m protoreflect.Message) error {
	var v errs.Violations
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
			paths = nil
		}
		mask.Paths = paths
		return true
	})
	return v.Err()
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
