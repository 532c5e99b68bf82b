package server

import (
	"context"
	"strings"
	"unicode"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
)

// maskUnary lets an update mask name fields as JSON does (externalId,
// billingAddress.city) as well as by their proto names (external_id):
// a REST query parameter takes either, as a JSON body's fields do. The
// services see proto names only.
func maskUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		snakeMasks(m.ProtoReflect())
	}
	return handler(ctx, req)
}

// snakeMasks rewrites the paths of the request's top-level field masks.
func snakeMasks(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap() {
			if mask, ok := v.Message().Interface().(*fieldmaskpb.FieldMask); ok {
				for i, p := range mask.Paths {
					mask.Paths[i] = snakePath(p)
				}
			}
		}
		return true
	})
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
