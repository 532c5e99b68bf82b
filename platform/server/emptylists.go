package server

import (
	"bytes"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Marshal encodes v as the gateway's JSON does, except that a response
// that is no resource (a list page, a report, a batch's results: a
// message without the fields of a resource, ListsAlways) carries each of its own repeated fields
// even when empty, as []: a client reads an empty page as
// {"opportunities": []} and an empty report as {"rows": [], ...} rather
// than guessing that a missing list means none. Resources (a deal and
// its lines), the messages inside a response and error bodies keep
// proto3 JSON's rule (an empty list is left out), so a resource reads
// the same alone and in a list page.
func (m strictJSON) Marshal(v any) ([]byte, error) {
	b, err := m.Marshaler.Marshal(v)
	if err != nil {
		return nil, err
	}
	if pm, ok := v.(proto.Message); ok && pm != nil {
		return withEmptyLists(b, pm.ProtoReflect()), nil
	}
	return b, nil
}

// withEmptyLists adds "name": [] to b, the JSON object of message msg, for
// each empty repeated field of msg when msg is no resource (ListsAlways).
func withEmptyLists(b []byte, msg protoreflect.Message) []byte {
	md := msg.Descriptor()
	if !msg.IsValid() || !ListsAlways(md) {
		return b
	}
	var empty []string
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.IsList() && msg.Get(fd).List().Len() == 0 {
			empty = append(empty, string(fd.Name()))
		}
	}
	trimmed := bytes.TrimRightFunc(b, unicode.IsSpace)
	if len(empty) == 0 || len(trimmed) == 0 || trimmed[len(trimmed)-1] != '}' {
		return b
	}
	body := bytes.TrimSpace(trimmed[:len(trimmed)-1])
	out := make([]byte, 0, len(trimmed)+len(empty)*8)
	out = append(out, body...)
	for _, name := range empty {
		if len(out) > 1 { // more than the opening brace
			out = append(out, ',')
		}
		out = append(out, '"')
		out = append(out, name...)
		out = append(out, `":[]`...)
	}
	return append(out, '}')
}

// statusName is the error body's message, which keeps its rule: details
// are left out when there are none.
const statusName = "google.rpc.Status"

// resourceFields are the fields only a resource has: its key (id, or
// sku for the catalog's items, products and availability) or its etag.
var resourceFields = []protoreflect.Name{"id", "sku", "etag"}

// ListsAlways reports whether the REST encoding of a response of type md
// always carries md's own lists: md is no resource (it has none of
// resourceFields) and no error body. A resource reads the same whether
// it is the response or an item of a list page. The OpenAPI documents
// mark those lists required (tools/openapidoc applies the same rule to
// each operation's response; e2e's TestOpenAPIRequiredListsFollowTheGateway
// holds the two together).
func ListsAlways(md protoreflect.MessageDescriptor) bool {
	if md.FullName() == statusName {
		return false
	}
	for _, name := range resourceFields {
		if md.Fields().ByName(name) != nil {
			return false
		}
	}
	return true
}
