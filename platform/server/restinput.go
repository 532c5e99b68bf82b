package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// strictJSON decodes a REST body as exactly one JSON value: text after it
// ({"name":"a"} xyz, or a second object) is bad input, not ignored. The
// request's update masks may name fields in snake_case, as a query
// parameter's do (camelMaskPaths).
type strictJSON struct{ runtime.Marshaler }

func (m strictJSON) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		dec := json.NewDecoder(r)
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return err // io.EOF for no body at all, which the gateway allows
		}
		if _, err := dec.Token(); !errors.Is(err, io.EOF) {
			return errors.New("the body must be one JSON value, with nothing after it")
		}
		if pm, ok := v.(proto.Message); ok {
			raw = camelMaskPaths(raw, pm.ProtoReflect().Descriptor())
		}
		if err := m.Marshaler.NewDecoder(bytes.NewReader(raw)).Decode(v); err != nil {
			return locateDecodeError(raw, err)
		}
		return nil
	})
}

// The gateway turns a body or parameter it cannot decode into a bare
// INVALID_ARGUMENT message. These read the field back out of it.
var (
	paramField = regexp.MustCompile(`^(?:parsing (?:field|list|map key|map value)|duplicate field|too many values for field) "([^"]+)"|parameter: ([A-Za-z0-9_.]+),`)
	bodyField  = regexp.MustCompile(`(?:unknown field|for \w+ field) "?([A-Za-z0-9_]+)"?`)
)

// numberError is how Go's strconv reports a parameter that is not a
// number of the field's kind.
var numberError = regexp.MustCompile(`strconv\.Parse(Int|Uint|Float|Bool): parsing "((?:[^"\\]|\\.)*)": (invalid syntax|value out of range)`)

// plainNumberError says in words what strconv said of a parameter
// (`must be an integer, got "abc"`); other messages stay as they are.
func plainNumberError(msg string) string {
	m := numberError.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	want := map[string]string{"Int": "an integer", "Uint": "a whole number, 0 or more", "Float": "a number", "Bool": "true or false"}[m[1]]
	if m[3] == "value out of range" {
		return fmt.Sprintf("is out of range: %s", m[2])
	}
	return fmt.Sprintf("must be %s, got %q", want, m[2])
}

// decodeViolation names the field of a decoding error, as every other
// INVALID_ARGUMENT does: the query or path parameter; the field of the
// body by its path there (inBody), as the REST decoder reports it; or
// "body" when the JSON itself is malformed.
func decodeViolation(msg string) (fv *errdetails.BadRequest_FieldViolation, inBody bool) {
	if m := bodyFieldError.FindStringSubmatch(msg); m != nil {
		return &errdetails.BadRequest_FieldViolation{Field: m[1], Description: plainMaskError(m[2])}, true
	}
	if m := paramField.FindStringSubmatch(msg); m != nil {
		return &errdetails.BadRequest_FieldViolation{Field: m[1] + m[2], Description: plainNumberError(msg)}, false
	}
	if m := bodyField.FindStringSubmatch(msg); m != nil {
		return &errdetails.BadRequest_FieldViolation{Field: m[1], Description: msg}, true
	}
	return &errdetails.BadRequest_FieldViolation{Field: "body", Description: msg}, false
}

// restErrors gives the gateway's own INVALID_ARGUMENT errors (those
// without details; the services' errors always carry them) that field
// and a message in the services' words, answers a body the cap cut as
// 413, and turns an error's RetryInfo into a Retry-After header.
func (s *Server) restErrors(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if limit, over := overCap(r); over {
		// Whatever the gateway made of a body cut at the cap (an
		// unexpected end of its JSON), the answer is the cap's.
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{
			HTTPStatus: http.StatusRequestEntityTooLarge, Err: bodyTooLarge(limit).Err(),
		})
		return
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument && len(st.Details()) == 0 {
		fv, inBody := decodeViolation(st.Message())
		field := fv.GetField()
		if inBody {
			// Named in the request, as the services name fields:
			// sales_order.lines[0].quantity for a body that fills
			// sales_order.
			field = s.bodyPrefix(ctx, r) + field
		}
		// The message says it in the same words as the violation, never
		// in the decoder's (`invalid id: must be an integer, got "abc"`,
		// not strconv's text).
		err = invalid(field, "%s", fv.GetDescription()).Err()
	}
	if secs, ok := retryAfter(status.Convert(err)); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
}

// bodyPrefix is the request field a route's body fills, as a path prefix
// ("sales_order."), or "" when the body is the whole request or the
// route is not known.
func (s *Server) bodyPrefix(ctx context.Context, r *http.Request) string {
	pattern, _ := runtime.HTTPPathPattern(ctx)
	method, _ := runtime.RPCMethod(ctx)
	name, in := s.bodies[r.Method+" "+pattern], inputOf(method)
	if name == "" || in == nil {
		return ""
	}
	fd := in.Fields().ByName(protoreflect.Name(name))
	if fd == nil || fd.Message() == nil || fd.IsList() || fd.IsMap() {
		return "" // "body", the name of a whole-request body
	}
	return name + "."
}

// routeBodies maps "METHOD /path/{template}" of each REST route to the
// name its body has in the service's OpenAPI document: the request
// field the body fills, or "body" for the whole request.
// protoc-gen-openapiv2 writes the document from the HTTP rules the
// gateway is generated from, and it is the one place at run time that
// still says which field a body is.
func routeBodies(doc []byte) (map[string]string, error) {
	var d struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if len(doc) == 0 {
		return nil, nil
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("read the OpenAPI document: %w", err)
	}
	bodies := map[string]string{}
	for path, ops := range d.Paths {
		for method, op := range ops {
			for _, p := range op.Parameters {
				if p.In == "body" {
					bodies[strings.ToUpper(method)+" "+path] = p.Name
				}
			}
		}
	}
	return bodies, nil
}

// retryAfter is the delay of a status's RetryInfo in whole seconds,
// rounded up and at least 1, as HTTP's Retry-After takes it.
func retryAfter(st *status.Status) (int64, bool) {
	for _, d := range st.Details() {
		if ri, ok := d.(*errdetails.RetryInfo); ok && ri.GetRetryDelay() != nil {
			delay := ri.GetRetryDelay().AsDuration()
			return max(1, int64(math.Ceil(delay.Seconds()))), true
		}
	}
	return 0, false
}
