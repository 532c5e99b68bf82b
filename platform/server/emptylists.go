package server

import (
	"bytes"
	"strings"
	"unicode"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// Marshal encodes v as the gateway's JSON does, except that a response
// message (its name ends in "Response": a list page, a batch's results)
// carries each of its own repeated fields even when empty, as []: a client
// reads an empty page as {"opportunities": [], "next_page_token": ...}
// rather than guessing that a missing list means none. Resources and the
// messages inside a response keep proto3 JSON's rule (an empty list is
// left out), so no other field changes shape.
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
// each empty repeated field of msg when msg is a response message.
func withEmptyLists(b []byte, msg protoreflect.Message) []byte {
	md := msg.Descriptor()
	if !msg.IsValid() || !strings.HasSuffix(string(md.Name()), "Response") {
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
