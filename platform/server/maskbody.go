package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// fieldMaskName is the message whose JSON form is one string of paths.
const fieldMaskName protoreflect.FullName = "google.protobuf.FieldMask"

// camelMaskPaths rewrites, in the JSON body raw that fills a message of
// md, the string values of md's top-level google.protobuf.FieldMask
// fields (those maskUnary normalizes) so that snake_case paths
// ("external_id,billing_address.city"), which protojson refuses there,
// reach it in the lowerCamelCase it takes ("externalId,billingAddress.city");
// maskUnary turns them back into proto names. A path is trimmed, and
// rewritten only when snakePath gives it back as written, so that no
// path changes meaning (days_1_30 stays, for protojson to refuse).
// Anything else in raw (one JSON value: strictJSON has read it) stays
// byte for byte.
func camelMaskPaths(raw []byte, md protoreflect.MessageDescriptor) []byte {
	masks := map[string]bool{}
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.Message() != nil && fd.Message().FullName() == fieldMaskName && !fd.IsList() && !fd.IsMap() {
			masks[string(fd.Name())], masks[fd.JSONName()] = true, true
		}
	}
	if len(masks) == 0 {
		return raw
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return raw
	}
	var out []byte
	last := 0
	for dec.More() {
		tok, err := dec.Token()
		key, ok := tok.(string)
		if err != nil || !ok {
			return raw
		}
		var val json.RawMessage
		if err := dec.Decode(&val); err != nil {
			return raw
		}
		end := int(dec.InputOffset())
		start := end - len(val)
		if !masks[key] || start < last || !bytes.Equal(raw[start:end], val) {
			continue
		}
		var paths string
		if json.Unmarshal(val, &paths) != nil {
			continue // not a string: protojson says what is wrong
		}
		camel := camelPaths(paths)
		if camel == paths {
			continue
		}
		quoted, err := json.Marshal(camel)
		if err != nil {
			return raw
		}
		out = append(append(out, raw[last:start]...), quoted...)
		last = end
	}
	if out == nil {
		return raw
	}
	return append(out, raw[last:]...)
}

// camelPaths is the lowerCamelCase form of a FieldMask's JSON string
// (see camelMaskPaths).
func camelPaths(paths string) string {
	list := strings.Split(paths, ",")
	for i, p := range list {
		p = strings.TrimSpace(p)
		segs := strings.Split(p, ".")
		for j, s := range segs {
			segs[j] = jsonCamel(s)
		}
		if c := strings.Join(segs, "."); snakePath(c) == p {
			p = c
		}
		list[i] = p
	}
	return strings.Join(list, ",")
}

// jsonCamel is protojson's lowerCamelCase of a field name: an underscore
// goes, and a lower-case letter after it becomes upper case.
func jsonCamel(s string) string {
	var b strings.Builder
	under := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' {
			under = true
			continue
		}
		if under && 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		under = false
		b.WriteByte(c)
	}
	return b.String()
}

// invalidMaskPath is how protojson refuses a FieldMask path.
var invalidMaskPath = regexp.MustCompile(`FieldMask\.paths contains invalid path: ("(?:[^"\\]|\\.)*")$`)

// plainMaskError says in words what protojson said of a FieldMask path
// it refused; other messages stay as they are.
func plainMaskError(msg string) string {
	m := invalidMaskPath.FindStringSubmatch(msg)
	if m == nil {
		return msg
	}
	return fmt.Sprintf(`%s is not a field path: write field names as the API names them, in snake_case or lowerCamelCase ("external_id" or "externalId"), nested ones joined by "." ("billing_address.city") and several separated by ","`, m[1])
}
