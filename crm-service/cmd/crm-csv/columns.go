package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// A CSV column is a field of the resource proto, named by its path of
// proto field names: "name", "billing_address.city", "amount.amount".
// Nested messages are flattened into their fields, timestamps are one
// RFC 3339 column, repeated fields (opportunity lines) are left out, and
// enum values are written as their names (NEW, new or LEAD_STATUS_NEW are
// read alike).

var timestampName = (&timestamppb.Timestamp{}).ProtoReflect().Descriptor().FullName()

// columns lists the column paths of a message type in field order.
func columns(md protoreflect.MessageDescriptor) []string {
	var out []string
	fields := md.Fields()
	for i := range fields.Len() {
		fd := fields.Get(i)
		if fd.IsList() || fd.IsMap() {
			continue
		}
		name := string(fd.Name())
		if fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() != timestampName {
			for _, sub := range columns(fd.Message()) {
				out = append(out, name+"."+sub)
			}
			continue
		}
		out = append(out, name)
	}
	return out
}

// field resolves a column path to its field descriptors, or nil when the
// message has no such column.
func field(md protoreflect.MessageDescriptor, path string) []protoreflect.FieldDescriptor {
	var out []protoreflect.FieldDescriptor
	for part := range strings.SplitSeq(path, ".") {
		if md == nil {
			return nil
		}
		fd := md.Fields().ByName(protoreflect.Name(part))
		if fd == nil || fd.IsList() || fd.IsMap() {
			return nil
		}
		out = append(out, fd)
		md = nil
		if fd.Kind() == protoreflect.MessageKind && fd.Message().FullName() != timestampName {
			md = fd.Message()
		}
	}
	if md != nil { // a message, not a column
		return nil
	}
	return out
}

// get returns the text of a column of m ("" when unset).
func get(m protoreflect.Message, path []protoreflect.FieldDescriptor) string {
	for _, fd := range path[:len(path)-1] {
		if !m.Has(fd) {
			return ""
		}
		m = m.Get(fd).Message()
	}
	fd := path[len(path)-1]
	if !m.Has(fd) {
		return ""
	}
	v := m.Get(fd)
	switch fd.Kind() {
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.BoolKind:
		return strconv.FormatBool(v.Bool())
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return strconv.FormatInt(v.Int(), 10)
	case protoreflect.MessageKind: // a timestamp
		ts, ok := v.Message().Interface().(*timestamppb.Timestamp)
		if !ok {
			return ""
		}
		return ts.AsTime().UTC().Format(time.RFC3339Nano)
	}
	return fmt.Sprint(v.Interface())
}

// set stores the text of a column in m; "" leaves the field unset.
func set(m protoreflect.Message, path []protoreflect.FieldDescriptor, text string) error {
	if text == "" {
		return nil
	}
	for _, fd := range path[:len(path)-1] {
		m = m.Mutable(fd).Message()
	}
	fd := path[len(path)-1]
	switch fd.Kind() {
	case protoreflect.StringKind:
		m.Set(fd, protoreflect.ValueOfString(text))
	case protoreflect.EnumKind:
		n, err := enumNumber(fd.Enum(), text)
		if err != nil {
			return err
		}
		m.Set(fd, protoreflect.ValueOfEnum(n))
	case protoreflect.BoolKind:
		b, err := strconv.ParseBool(text)
		if err != nil {
			return fmt.Errorf("%q is not true or false", text)
		}
		m.Set(fd, protoreflect.ValueOfBool(b))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind:
		n, err := strconv.ParseInt(text, 10, 32)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", text)
		}
		m.Set(fd, protoreflect.ValueOfInt32(int32(n)))
	case protoreflect.Int64Kind, protoreflect.Sint64Kind:
		n, err := strconv.ParseInt(text, 10, 64)
		if err != nil {
			return fmt.Errorf("%q is not a whole number", text)
		}
		m.Set(fd, protoreflect.ValueOfInt64(n))
	case protoreflect.MessageKind: // a timestamp
		t, err := time.Parse(time.RFC3339Nano, text)
		if err != nil {
			return fmt.Errorf("%q is not an RFC 3339 time", text)
		}
		m.Set(fd, protoreflect.ValueOfMessage(timestamppb.New(t).ProtoReflect()))
	default:
		return errors.New("this column cannot be imported")
	}
	return nil
}

// enumNumber reads an enum value given by its name, or by the name
// without the enum's prefix in any case ("new" for LEAD_STATUS_NEW).
func enumNumber(ed protoreflect.EnumDescriptor, text string) (protoreflect.EnumNumber, error) {
	upper := strings.ToUpper(strings.TrimSpace(text))
	values := ed.Values()
	var names []string
	for i := range values.Len() {
		ev := values.Get(i)
		if ev.Number() == 0 {
			continue
		}
		name := string(ev.Name())
		if name == upper || strings.HasSuffix(name, "_"+upper) && upper != "" {
			return ev.Number(), nil
		}
		names = append(names, name)
	}
	return 0, fmt.Errorf("unknown value %q (one of %s)", text, strings.Join(names, ", "))
}
