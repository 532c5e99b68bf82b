package feed

import (
	"cmp"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadCursor is wrapped by every error ParseCursor returns.
var ErrBadCursor = errors.New("feed: bad cursor")

// Cursor is a position in the feed: the (transaction id, row id) of the last
// event a reader has seen. The zero Cursor is the beginning of the feed.
type Cursor struct {
	XID uint64 // id of the transaction that wrote the event (xid8)
	ID  int64  // the event's row id within the table
}

// maxCursorLen bounds the token length ParseCursor accepts: two 20-digit
// numbers and a dot, base64-encoded, fit in 56 characters.
const maxCursorLen = 64

var cursorEncoding = base64.RawURLEncoding.Strict()

// IsZero reports whether c is the beginning of the feed.
func (c Cursor) IsZero() bool { return c == Cursor{} }

// Compare returns -1, 0 or +1 as c is before, at or after d in feed order.
func (c Cursor) Compare(d Cursor) int {
	if r := cmp.Compare(c.XID, d.XID); r != 0 {
		return r
	}
	return cmp.Compare(c.ID, d.ID)
}

// String returns the cursor as an opaque, URL-safe token for clients to hand
// back. The zero cursor is the empty string.
func (c Cursor) String() string {
	if c.IsZero() {
		return ""
	}
	raw := strconv.FormatUint(c.XID, 10) + "." + strconv.FormatInt(c.ID, 10)
	return cursorEncoding.EncodeToString([]byte(raw))
}

// ParseCursor turns a token made by String back into a Cursor. The empty
// string is the zero cursor. Any other malformed input yields an error
// wrapping ErrBadCursor.
func ParseCursor(s string) (Cursor, error) {
	if s == "" {
		return Cursor{}, nil
	}
	if len(s) > maxCursorLen {
		return Cursor{}, fmt.Errorf("%w: too long", ErrBadCursor)
	}
	// The decoder skips line breaks; a token has none.
	if strings.ContainsAny(s, "\r\n") {
		return Cursor{}, fmt.Errorf("%w: not a cursor token", ErrBadCursor)
	}
	raw, err := cursorEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: not a cursor token", ErrBadCursor)
	}
	xidPart, idPart, ok := strings.Cut(string(raw), ".")
	if !ok || !canonicalDigits(xidPart) || !canonicalDigits(idPart) {
		return Cursor{}, fmt.Errorf("%w: not a cursor token", ErrBadCursor)
	}
	xid, err := strconv.ParseUint(xidPart, 10, 64)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: transaction id out of range", ErrBadCursor)
	}
	id, err := strconv.ParseInt(idPart, 10, 64)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: event id out of range", ErrBadCursor)
	}
	return Cursor{XID: xid, ID: id}, nil
}

// canonicalDigits reports whether s is a non-negative decimal number written
// the way strconv formats it: digits only, no leading zeros.
func canonicalDigits(s string) bool {
	if s == "" || (len(s) > 1 && s[0] == '0') {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
