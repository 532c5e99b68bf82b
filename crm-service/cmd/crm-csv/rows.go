package main

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/csvcell"
)

// problem is what is wrong with a row: its line in the file, the column
// ("" for the row as a whole) and a message.
type problem struct {
	line    int
	column  string
	message string
}

func (p problem) String() string {
	if p.column == "" {
		return fmt.Sprintf("line %d: %s", p.line, p.message)
	}
	return fmt.Sprintf("line %d, column %s: %s", p.line, p.column, p.message)
}

// row is a parsed data row: the message to send, or what is wrong with it.
type row struct {
	line     int
	msg      proto.Message
	problems []problem
}

// column is a column of an import file; path is nil for a read-only
// column, which is read and ignored (but for a read-only key, the id of a
// record, which is sent).
type column struct {
	name string
	path []protoreflect.FieldDescriptor
}

// rowReader reads the data rows of an import file, checking each against
// the header and catching rows that repeat the key of an earlier row.
type rowReader struct {
	kind *kind
	csv  *csv.Reader
	cols []column
	// mask is the top-level fields the file's columns write.
	mask []string
	// keys are the file's key columns, in the order they count.
	keys  []keyColumn
	seen  map[string]int
	width int
	// skipped counts the bytes of a byte order mark before the header.
	skipped int64
}

// byteOrderMark is U+FEFF in UTF-8.
const byteOrderMark = "\ufeff"

// keyColumn is a key column of the file: the key, and where it is.
type keyColumn struct {
	key
	index int
}

// newRowReader reads the header. Unknown, repeated and missing required
// columns are an error naming them all.
func newRowReader(k *kind, r io.Reader) (*rowReader, error) {
	// A file may start with a byte order mark (spreadsheet programs write
	// one): it is no part of the first column's name, which may be quoted.
	br := bufio.NewReader(r)
	skipped := 0
	if head, err := br.Peek(len(byteOrderMark)); err == nil && string(head) == byteOrderMark {
		skipped, _ = br.Discard(len(byteOrderMark))
	}
	c := csv.NewReader(br)
	c.FieldsPerRecord = -1 // checked per row, as a problem of the row
	c.ReuseRecord = true
	header, err := c.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("the file is empty; the first line must name the columns")
	}
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	rr := &rowReader{kind: k, csv: c, seen: map[string]int{}, width: len(header), skipped: int64(skipped)}
	md := k.empty.ProtoReflect().Descriptor()
	var unknown, repeated []string
	for i, name := range header {
		name = strings.TrimSpace(name)
		if slices.ContainsFunc(rr.cols, func(c column) bool { return c.name == name }) {
			repeated = append(repeated, name)
			continue
		}
		path := field(md, name)
		top, _, _ := strings.Cut(name, ".")
		isKey := slices.ContainsFunc(k.keys, func(key key) bool { return key.column == name })
		switch {
		case slices.ContainsFunc(k.lists, func(l listColumn) bool { return l.name == name }):
			// the text of a read-only list (an account's balances): ignored
		case path == nil:
			unknown = append(unknown, name)
		case slices.Contains(k.readOnly, top):
			if !isKey {
				path = nil
			} // a read-only key (a record's id) is sent, outside the mask
		case !slices.Contains(k.mutable, top):
			unknown = append(unknown, name)
		case !slices.Contains(rr.mask, top):
			rr.mask = append(rr.mask, top)
		}
		for j, key := range k.keys {
			if name == key.column {
				rr.keys = append(rr.keys, keyColumn{key: k.keys[j], index: i})
			}
		}
		rr.cols = append(rr.cols, column{name: name, path: path})
	}
	// The service tries the keys in the kind's order.
	slices.SortFunc(rr.keys, func(a, b keyColumn) int {
		return slices.IndexFunc(k.keys, func(x key) bool { return x.column == a.column }) -
			slices.IndexFunc(k.keys, func(x key) bool { return x.column == b.column })
	})
	var missing []string
	for _, req := range k.required {
		if !slices.ContainsFunc(rr.cols, func(c column) bool { return c.name == req }) {
			missing = append(missing, req)
		}
	}
	if len(k.keys) > 0 && len(rr.keys) == 0 {
		var names []string
		for _, key := range k.keys {
			names = append(names, key.column)
		}
		missing = append(missing, strings.Join(names, " or "))
	}
	var msgs []string
	if len(unknown) > 0 {
		msgs = append(msgs, fmt.Sprintf("unknown columns %s (known: %s)", strings.Join(unknown, ", "), strings.Join(importColumns(k), ", ")))
	}
	if len(repeated) > 0 {
		msgs = append(msgs, "repeated columns "+strings.Join(repeated, ", "))
	}
	if len(missing) > 0 {
		msgs = append(msgs, "missing required columns "+strings.Join(missing, ", "))
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("header of %s file: %s", k.name, strings.Join(msgs, "; "))
	}
	return rr, nil
}

// importColumns lists the columns an import of k reads.
func importColumns(k *kind) []string {
	var out []string
	for _, c := range exportHeader(k) {
		top, _, _ := strings.Cut(c, ".")
		if slices.Contains(k.mutable, top) || slices.Contains(k.readOnly, top) {
			out = append(out, c)
		}
	}
	return out
}

// next returns the next data row, or io.EOF. A malformed file (a quote
// out of place) is an error; a row with the wrong number of fields or a
// bad value is returned with its problems.
func (rr *rowReader) next() (row, error) {
	rec, err := rr.csv.Read()
	if errors.Is(err, io.EOF) {
		return row{}, io.EOF
	}
	if err != nil {
		return row{}, err
	}
	line, _ := rr.csv.FieldPos(0)
	r := row{line: line}
	for i := range rec {
		rec[i] = csvcell.Unquote(rec[i])
	}
	if len(rec) != rr.width {
		r.problems = append(r.problems, problem{line: line, message: fmt.Sprintf("has %d fields, the header has %d", len(rec), rr.width)})
		return r, nil
	}
	if len(rec) == 1 && rec[0] == "" {
		r.problems = append(r.problems, problem{line: line, message: "is empty"})
		return r, nil
	}
	msg := rr.kind.empty.ProtoReflect().New()
	for i, c := range rr.cols {
		if c.path == nil {
			continue
		}
		if !utf8.ValidString(rec[i]) {
			r.problems = append(r.problems, problem{line: line, column: c.name, message: "is not valid UTF-8 text"})
			continue
		}
		if err := set(msg, c.path, strings.TrimSpace(rec[i])); err != nil {
			r.problems = append(r.problems, problem{line: line, column: c.name, message: err.Error()})
		}
	}
	for _, kc := range rr.keys {
		k := kc.of(rec[kc.index])
		if k == "" {
			continue // the next key counts
		}
		if first, dup := rr.seen[kc.column+":"+k]; dup {
			r.problems = append(r.problems, problem{line: line, column: kc.column,
				message: fmt.Sprintf("%q matches the %s of line %d; each record may appear once", rec[kc.index], kc.column, first)})
		} else {
			rr.seen[kc.column+":"+k] = line
		}
		break
	}
	if len(r.problems) == 0 {
		r.msg = msg.Interface()
	}
	return r, nil
}

// offset is how far into the file the reader has read.
func (rr *rowReader) offset() int64 { return rr.skipped + rr.csv.InputOffset() }
