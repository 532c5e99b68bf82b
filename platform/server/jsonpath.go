package server

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// protoPosition is where protojson reports a decoding error: "proto:
// (line 1:40): invalid value ..." or "proto: syntax error (line 1:10):
// unexpected token 5". Columns count runes. protojson spaces its
// messages with U+0020 or U+00A0, chosen per binary, so that callers do
// not compare them: only the position and the text after it are read.
var protoPosition = regexp.MustCompile(`\(line[ \x{00a0}](\d+):(\d+)\):[ \x{00a0}](.*)$`)

// bodyFieldError is how the REST decoder reports an error at a field of
// the body, by its path there; decodeViolation reads it back.
var bodyFieldError = regexp.MustCompile(`^body field "([^"]+)": (.*)$`)

// locateDecodeError rewrites a protojson error about raw to name the
// path, as the caller wrote it, of the field it is about
// (lines[0].quantity rather than quantity at line 1:40). An error it
// cannot place (at the top-level value, or without a position) comes
// back as it is.
func locateDecodeError(raw []byte, err error) error {
	m := protoPosition.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	offset, ok := byteOffset(raw, line, col)
	if !ok {
		return err
	}
	path := jsonPathAt(raw, offset)
	if path == "" {
		return err
	}
	return &bodyError{path: path, msg: m[3]}
}

type bodyError struct{ path, msg string }

func (e *bodyError) Error() string { return `body field "` + e.path + `": ` + e.msg }

// byteOffset turns a 1-based line and rune column into a byte offset.
func byteOffset(raw []byte, line, col int) (int, bool) {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(raw[off:], '\n')
		if i < 0 {
			return 0, false
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(raw) {
			return 0, false
		}
		_, size := utf8.DecodeRune(raw[off:])
		off += size
	}
	return off, true
}

// jsonPathAt is the path of the member name or value that starts at
// offset in the JSON text raw: "billing_address.foo", "lines[0].quantity";
// "" for the top-level value or an offset no token starts at.
func jsonPathAt(raw []byte, offset int) string {
	type frame struct {
		object bool
		key    string // the member being read (objects)
		index  int    // the element being read (arrays)
	}
	var stack []frame
	path := func() string {
		var b strings.Builder
		for _, f := range stack {
			if f.object {
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			} else {
				b.WriteString("[" + strconv.Itoa(f.index) + "]")
			}
		}
		return b.String()
	}
	// valueDone moves past the value just read in the enclosing
	// container: an array on to its next element, an object to its next
	// member name.
	valueDone := func() {
		if n := len(stack); n > 0 && !stack[n-1].object {
			stack[n-1].index++
		}
	}
	expectKey := false
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	for {
		start := tokenStart(raw, int(dec.InputOffset()))
		tok, err := dec.Token()
		if err != nil || start > offset {
			return ""
		}
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
			valueDone()
			continue
		}
		if expectKey {
			stack[len(stack)-1].key, _ = tok.(string)
			expectKey = false
			if start == offset {
				return path()
			}
			continue
		}
		if start == offset {
			return path()
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, frame{object: true})
			expectKey = true
		case json.Delim('['):
			stack = append(stack, frame{})
		default:
			expectKey = len(stack) > 0 && stack[len(stack)-1].object
			valueDone()
		}
	}
}

// tokenStart skips what json.Decoder.Token passes over before a token:
// white space and the separators ',' and ':'.
func tokenStart(raw []byte, i int) int {
	for i < len(raw) && strings.IndexByte(" \t\r\n,:", raw[i]) >= 0 {
		i++
	}
	return i
}
