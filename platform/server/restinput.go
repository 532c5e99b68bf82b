package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"regexp"
	"strconv"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// strictJSON decodes a REST body as exactly one JSON value: text after it
// ({"name":"a"} xyz, or a second object) is bad input, not ignored.
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
		return m.Marshaler.NewDecoder(bytes.NewReader(raw)).Decode(v)
	})
}

// The gateway turns a body or parameter it cannot decode into a bare
// INVALID_ARGUMENT message. These read the field back out of it.
var (
	paramField = regexp.MustCompile(`^parsing field "([^"]+)"|parameter: ([A-Za-z0-9_.]+),`)
	bodyField  = regexp.MustCompile(`(?:unknown field|for \w+ field) "?([A-Za-z0-9_]+)"?`)
)

// decodeViolation names the field of a decoding error, as every other
// INVALID_ARGUMENT does: the query or path parameter, the JSON field as
// the body spells it, or "body" when the JSON itself is malformed.
func decodeViolation(msg string) *errdetails.BadRequest_FieldViolation {
	field := "body"
	if m := paramField.FindStringSubmatch(msg); m != nil {
		field = m[1] + m[2]
	} else if m := bodyField.FindStringSubmatch(msg); m != nil {
		field = m[1]
	}
	return &errdetails.BadRequest_FieldViolation{Field: field, Description: msg}
}

// restErrors adds that field to the gateway's own INVALID_ARGUMENT errors
// (those without details; the services' errors always carry them),
// answers a body the cap cut as 413, and turns an error's RetryInfo into
// a Retry-After header.
func restErrors(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler, w http.ResponseWriter, r *http.Request, err error) {
	if limit, over := overCap(r); over {
		// Whatever the gateway made of a body cut at the cap (an
		// unexpected end of its JSON), the answer is the cap's.
		runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, &runtime.HTTPStatusError{
			HTTPStatus: http.StatusRequestEntityTooLarge, Err: bodyTooLarge(limit).Err(),
		})
		return
	}
	if st, ok := status.FromError(err); ok && st.Code() == codes.InvalidArgument && len(st.Details()) == 0 {
		if withField, derr := st.WithDetails(&errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{decodeViolation(st.Message())},
		}); derr == nil {
			err = withField.Err()
		}
	}
	if secs, ok := retryAfter(status.Convert(err)); ok {
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, err)
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
