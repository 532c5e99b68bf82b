// Package requestid tells a retry from a reuse. A request_id on a create
// or custom method makes a retry return the first result and change
// nothing (AIP-155). A request_id that comes again with another request,
// another body or from another caller, is not a retry: answering it with
// the first result would drop the second write and hand one caller's
// record to another. A digest of the request, taken when it arrives and
// stored with its request_id, tells the two apart.
package requestid

import (
	"bytes"
	"context"
	"crypto/sha256"
	"strconv"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
)

// field is the name of the request field that carries the request id;
// etagField that of the etag, which a caller may send in the body or as
// an If-Match header, quoted or not.
const (
	field     = "request_id"
	etagField = "etag"
)

// MaxLen bounds a request_id, in bytes: it is a key the services store
// and look up with every retry.
const MaxLen = 200

// Check refuses a request_id longer than MaxLen: INVALID_ARGUMENT naming
// request_id.
func Check(id string) error {
	if len(id) > MaxLen {
		return errs.Invalid(field, "must be at most %d bytes", MaxLen)
	}
	return nil
}

// requestID returns the request_id field of req and its value; fd is nil
// when req has no such field.
func requestID(req proto.Message) (fd protoreflect.FieldDescriptor, id string) {
	m := req.ProtoReflect()
	fd = m.Descriptor().Fields().ByName(field)
	if fd == nil || fd.Kind() != protoreflect.StringKind {
		return nil, ""
	}
	return fd, m.Get(fd).String()
}

// Digest identifies a request by its method, its caller and every field
// but request_id. It is nil for a request without a request_id. An etag
// counts by the version it names: "1", `"1"` and `W/"1"` are one etag.
func Digest(method, caller string, req proto.Message) []byte {
	fd, id := requestID(req)
	if id == "" {
		return nil
	}
	c := proto.Clone(req)
	c.ProtoReflect().Clear(fd)
	if ed := req.ProtoReflect().Descriptor().Fields().ByName(etagField); ed != nil && ed.Kind() == protoreflect.StringKind {
		// The version the etag names, as the services read it; one they
		// would refuse stays as written.
		if n, err := errs.ParseEtag(etagField, strings.TrimSpace(c.ProtoReflect().Get(ed).String())); err == nil {
			c.ProtoReflect().Set(ed, protoreflect.ValueOfString(strconv.FormatInt(n, 10)))
		}
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
	if err != nil {
		return nil
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(method), []byte(caller), body} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return h.Sum(nil)[:16]
}

type digestKey struct{}

// NewContext returns ctx carrying the digest of its request.
func NewContext(ctx context.Context, digest []byte) context.Context {
	return context.WithValue(ctx, digestKey{}, digest)
}

// FromContext returns the digest of ctx's request, nil when there is none.
func FromContext(ctx context.Context) []byte {
	d, _ := ctx.Value(digestKey{}).([]byte)
	return d
}

// Matches reports whether stored, the digest recorded with a request_id,
// is that of ctx's request. Where either is unknown (a key recorded
// before digests were, a call from within the service) it matches.
func Matches(ctx context.Context, stored []byte) bool {
	d := FromContext(ctx)
	return len(stored) == 0 || len(d) == 0 || bytes.Equal(stored, d)
}

// UnaryServerInterceptor refuses a request whose request_id is longer
// than MaxLen (Check), in every service and method that takes one, and
// puts the digest of each request that carries a request_id into its
// context. It runs after authentication: the caller is part of the
// digest.
func UnaryServerInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	if m, ok := req.(proto.Message); ok {
		if _, id := requestID(m); id != "" {
			if err := Check(id); err != nil {
				return nil, err
			}
		}
		p, _ := auth.PrincipalFrom(ctx)
		if d := Digest(info.FullMethod, p.Subject, m); d != nil {
			ctx = NewContext(ctx, d)
		}
	}
	return handler(ctx, req)
}
