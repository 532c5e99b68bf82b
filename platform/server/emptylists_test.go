package server

import (
	"bytes"
	"encoding/json"
	"testing"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	reflectionpb "google.golang.org/grpc/reflection/grpc_reflection_v1"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/dynamicpb"
	"google.golang.org/protobuf/types/known/structpb"
	"google.golang.org/protobuf/types/known/wrapperspb"
)

// A response's own lists are always in its JSON, [] when empty, unless it
// is a resource (it has an id) or an error; the messages inside a
// response keep proto3 JSON's rule, and the rest of the object is
// unchanged.
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
		{"report without rows", &errdetails.QuotaFailure{}, `{"violations":[]}`},
		{"resource", resource(t, "r1"), `{"id":"r1"}`},
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

// resource is a message of a type with an id and a list, as a resource
// with lines: {"id": id}.
func resource(t *testing.T, id string) proto.Message {
	t.Helper()
	str := descriptorpb.FieldDescriptorProto_TYPE_STRING
	opt, rep := descriptorpb.FieldDescriptorProto_LABEL_OPTIONAL, descriptorpb.FieldDescriptorProto_LABEL_REPEATED
	fd, err := protodesc.NewFile(&descriptorpb.FileDescriptorProto{
		Name: proto.String("resource_test.proto"), Package: proto.String("seamtest"), Syntax: proto.String("proto3"),
		MessageType: []*descriptorpb.DescriptorProto{{
			Name: proto.String("Thing"),
			Field: []*descriptorpb.FieldDescriptorProto{
				{Name: proto.String("id"), Number: proto.Int32(1), Type: &str, Label: &opt, JsonName: proto.String("id")},
				{Name: proto.String("lines"), Number: proto.Int32(2), Type: &str, Label: &rep, JsonName: proto.String("lines")},
			},
		}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	m := dynamicpb.NewMessage(fd.Messages().Get(0))
	m.Set(m.Descriptor().Fields().ByName("id"), protoreflect.ValueOfString(id))
	return m
}
