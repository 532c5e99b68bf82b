package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A response's own lists are always in its JSON, [] when empty; other
// messages (resources, errors, the messages inside a response) keep proto3
// JSON's rule, and the rest of the object is unchanged.
func TestResponseListsAlwaysPresent(t *testing.T) {
	t.Parallel()
	m := JSONMarshaler()
	cases := []struct {
		name string
		msg  any
		want string
	}{
		{"empty list response", &reflectionpb.ListServiceResponse{}, `{"service":[]}`},
		{"list response", &reflectionpb.ListServiceResponse{Service: []*reflectionpb.ServiceResponse{{Name: "a"}}}, `{"service":[{"name":"a"}]}`},
		{"response with other fields", &reflectionpb.ServerReflectionResponse{ValidHost: "h"}, `{"valid_host":"h"}`},
		{"not a response", &errdetails.QuotaFailure{}, `{}`},
		{"error", status.New(codes.NotFound, "gone").Proto(), `{"code":5,"message":"gone"}`},
		{"wrapper", wrapperspb.String("a"), `"a"`},
		{"list value", &structpb.ListValue{}, `[]`},
	}
	for _, c := range cases {
		b, err := m.Marshal(c.msg)
		if err != nil {
			t.Fatal(err)
		}
		if got := compactJSON(t, b); got != c.want {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
}

// compactJSON is b without the spaces protojson may put in at random.
func compactJSON(t *testing.T, b []byte) string {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		t.Fatalf("%s is no JSON: %v", b, err)
	}
	return buf.String()
}
