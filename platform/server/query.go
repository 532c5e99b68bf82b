package server

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/seamhq/seam/platform/errs"
)

// restCall is what the gateway's route knows about a REST request, kept
// in its context for the steps that run once the request message is
// built: the request as the generated handler sees it and the path
// parameters of the route it matched.
type restCall struct {
	req        *http.Request
	pathParams map[string]string
}

type restCallKey struct{}

func restCallFrom(ctx context.Context) *restCall {
	c, _ := ctx.Value(restCallKey{}).(*restCall)
	return c
}

// routeMiddleware runs in front of every gateway route. A probe (see
// allowedMethods) only learns that the route matched. A call whose
// caller may not call the route's method is refused here (403), before
// the route decodes its path, query or body (authorizeRoute).
func (s *Server) routeMiddleware(next runtime.HandlerFunc) runtime.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request, pathParams map[string]string) {
		if p := probeFrom(r.Context()); p != nil {
			p.matched = true
			recordRoute(r.Context(), p)
			return
		}
		recordRoute(r.Context(), nil)
		if !s.authorizeRoute(w, r) {
			return
		}
		s.limitInFlight(w, r, func() {
			c := &restCall{pathParams: pathParams}
			c.req = r.WithContext(context.WithValue(r.Context(), restCallKey{}, c))
			next(w, c.req, pathParams)
		})
	}
}

// The gateway's query parser ignores a parameter that names no field
// (?bogus=1, ?filters=x for filter), and a route whose fields all come
// from the path and the body does not read the query at all: the caller
// gets an answer as if it had not sent the parameter. checkQuery, run on
// the gateway's side of its gRPC call (where the request's type is
// known), refuses such parameters instead, for every route.

// checkQueryUnary and checkQueryStream check a REST call's query before
// the gateway calls its gRPC server.
func checkQueryUnary(log *slog.Logger) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := checkQuery(ctx, log, method); err != nil {
			return err
		}
		markCalled(ctx)
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

func checkQueryStream(log *slog.Logger) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if err := checkQuery(ctx, log, method); err != nil {
			return nil, err
		}
		markCalled(ctx)
		return streamer(ctx, desc, cc, method, opts...)
	}
}

func checkQuery(ctx context.Context, log *slog.Logger, method string) error {
	c := restCallFrom(ctx)
	if c == nil || c.req.URL.RawQuery == "" {
		return nil
	}
	in := inputOf(method)
	if in == nil {
		return nil
	}
	if err := c.queryViolations(in).Err(); err != nil {
		return errs.ToStatus(ctx, log, method, err, nil).Err()
	}
	return nil
}

// inputOf finds the request message type of a gRPC method
// ("/crm.v1.AccountService/ListAccounts").
func inputOf(method string) protoreflect.MessageDescriptor {
	svc, name, ok := strings.Cut(strings.TrimPrefix(method, "/"), "/")
	if !ok {
		return nil
	}
	d, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(svc))
	if err != nil {
		return nil
	}
	sd, ok := d.(protoreflect.ServiceDescriptor)
	if !ok {
		return nil
	}
	md := sd.Methods().ByName(protoreflect.Name(name))
	if md == nil {
		return nil
	}
	return md.Input()
}

// queryViolations names each query parameter the call would drop: one
// that names no field of the request (by its proto or JSON name, as the
// gateway reads them), and, on a route that takes its fields from the
// body and the path only, any parameter but a path parameter's field.
func (c *restCall) queryViolations(in protoreflect.MessageDescriptor) *errs.Violations {
	var v errs.Violations
	query, err := url.ParseQuery(c.req.URL.RawQuery)
	if err != nil {
		v.Add("query", "%v", err)
		return &v
	}
	// The generated handler parses the query (into Form) exactly when
	// the route reads fields from it.
	readsQuery := c.req.Form != nil
	keys := make([]string, 0, len(query))
	for k := range query {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, key := range keys {
		path, ok := queryFieldPath(in, key)
		switch {
		case !ok:
			v.Add(key, "is not a parameter of this call (no field of %s has that name)", in.FullName())
		case !readsQuery && !c.isPathParam(path):
			v.Add(key, "is not read from the query on this route; send it in the JSON body")
		}
	}
	return &v
}

func (c *restCall) isPathParam(path string) bool {
	_, ok := c.pathParams[path]
	return ok
}

// mapKey is the gateway's syntax for a map entry: field[key]=value.
var mapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

// queryFieldPath resolves a query parameter the way the gateway's query
// parser does: dot-separated segments, each a proto or JSON field name,
// every segment but the last a singular message field. It returns the
// proto path.
func queryFieldPath(in protoreflect.MessageDescriptor, key string) (string, bool) {
	path, _, ok := queryField(in, key)
	return path, ok
}

// queryField is queryFieldPath with the field the path ends at.
func queryField(in protoreflect.MessageDescriptor, key string) (string, protoreflect.FieldDescriptor, bool) {
	if m := mapKey.FindStringSubmatch(key); m != nil {
		key = m[1]
	}
	segs := strings.Split(key, ".")
	names := make([]string, 0, len(segs))
	md := in
	var fd protoreflect.FieldDescriptor
	for i, seg := range segs {
		if md == nil {
			return "", nil, false
		}
		fd = md.Fields().ByName(protoreflect.Name(seg))
		if fd == nil {
			fd = md.Fields().ByJSONName(seg)
		}
		if fd == nil {
			return "", nil, false
		}
		names = append(names, string(fd.Name()))
		if i < len(segs)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return "", nil, false
			}
			md = fd.Message()
		}
	}
	return strings.Join(names, "."), fd, true
}

// queryParser is the gateway's query parser, except that an update mask
// sent empty (?update_mask=, or nothing but commas) counts as not sent:
// the gateway has filled the mask from the body's fields, and that mask
// stays, as it does when the parameter is absent. (The gateway keeps one
// query parser for the process; every server here sets this one.)
type queryParser struct{ runtime.DefaultQueryParser }

func (p *queryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	in := msg.ProtoReflect().Descriptor()
	var kept url.Values
	for key, vals := range values {
		_, fd, ok := queryField(in, key)
		if !ok || fd.Message() == nil || fd.Message().FullName() != "google.protobuf.FieldMask" || !blankMask(vals) {
			continue
		}
		if kept == nil {
			kept = maps.Clone(values)
		}
		delete(kept, key)
	}
	if kept != nil {
		values = kept
	}
	return p.DefaultQueryParser.Parse(msg, values, filter)
}

// blankMask reports whether a mask parameter's values name no path.
func blankMask(vals []string) bool {
	for _, v := range vals {
		if strings.Trim(v, ", ") != "" {
			return false
		}
	}
	return true
}
