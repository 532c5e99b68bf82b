package feed_test

import (
	"encoding/base64"
	"errors"
	"math"
	"testing"

	"github.com/seamhq/seam/platform/feed"
)

func enc(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

func TestCursorString(t *testing.T) {
	t.Parallel()
	tests := []feed.Cursor{
		{XID: 1, ID: 0},
		{XID: 0, ID: 1},
		{XID: 745, ID: 12},
		{XID: math.MaxUint64, ID: math.MaxInt64},
	}
	for _, c := range tests {
		s := c.String()
		if s == "" {
			t.Errorf("%+v: empty token", c)
		}
		got, err := feed.ParseCursor(s)
		if err != nil {
			t.Errorf("%+v: ParseCursor(%q): %v", c, s, err)
			continue
		}
		if got != c {
			t.Errorf("ParseCursor(%q) = %+v, want %+v", s, got, c)
		}
	}
	if s := (feed.Cursor{}).String(); s != "" {
		t.Errorf("zero cursor = %q, want \"\"", s)
	}
	if c, err := feed.ParseCursor(""); err != nil || !c.IsZero() {
		t.Errorf(`ParseCursor("") = %+v, %v; want the zero cursor`, c, err)
	}
}

func TestParseCursorRejects(t *testing.T) {
	t.Parallel()
	bad := []string{
		"!!",                          // not base64url
		enc("12") + "=",               // padding
		enc("12.3") + "A",             // trailing garbage
		enc("12"),                     // no dot
		enc("12.3.4"),                 // two dots
		enc(".3"),                     // empty xid
		enc("12."),                    // empty id
		enc("-1.3"),                   // sign
		enc("12.-3"),                  // negative id
		enc("+1.3"),                   // sign
		enc("012.3"),                  // leading zero
		enc("12.03"),                  // leading zero
		enc(" 12.3"),                  // space
		enc("1e3.3"),                  // not decimal
		enc("18446744073709551616.1"), // xid overflows uint64
		enc("1.9223372036854775808"),  // id overflows int64
		"aGVsbG8gd29ybGQgdGhpcyBpcyBhIHZlcnkgbG9uZyB0b2tlbiB0aGF0IGlzIHRvbyBsb25nIGZvciBhIGN1cnNvcg",
	}
	for _, s := range bad {
		c, err := feed.ParseCursor(s)
		if err == nil {
			t.Errorf("ParseCursor(%q) = %+v, want an error", s, c)
			continue
		}
		if !errors.Is(err, feed.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) error %v does not wrap ErrBadCursor", s, err)
		}
	}
}

func TestCursorCompare(t *testing.T) {
	t.Parallel()
	a, b, c := feed.Cursor{XID: 5, ID: 100}, feed.Cursor{XID: 5, ID: 101}, feed.Cursor{XID: 6, ID: 1}
	if a.Compare(b) != -1 || b.Compare(c) != -1 || c.Compare(a) != 1 || b.Compare(b) != 0 {
		t.Error("Compare does not order by (XID, ID)")
	}
}

// FuzzParseCursor: ParseCursor never panics, fails only with ErrBadCursor,
// and whatever it accepts survives a String/ParseCursor round trip; a
// non-zero cursor's token is exactly the input (one token per position).
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "MS4x", enc("745.12"), enc("0.0"), enc("18446744073709551615.9223372036854775807"), "!!", enc("1.-1"), enc("01.1")} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := feed.ParseCursor(s)
		if err != nil {
			if !errors.Is(err, feed.ErrBadCursor) {
				t.Fatalf("ParseCursor(%q): error %v does not wrap ErrBadCursor", s, err)
			}
			return
		}
		token := c.String()
		again, err := feed.ParseCursor(token)
		if err != nil || again != c {
			t.Fatalf("round trip of %+v via %q = %+v, %v", c, token, again, err)
		}
		if !c.IsZero() && token != s {
			t.Fatalf("ParseCursor(%q) = %+v, whose token is %q", s, c, token)
		}
	})
}

// FuzzCursorString: every cursor a feed can produce round-trips.
func FuzzCursorString(f *testing.F) {
	f.Add(uint64(0), int64(0))
	f.Add(uint64(745), int64(12))
	f.Add(uint64(math.MaxUint64), int64(math.MaxInt64))
	f.Fuzz(func(t *testing.T, xid uint64, id int64) {
		if id < 0 {
			t.Skip("row ids are never negative")
		}
		c := feed.Cursor{XID: xid, ID: id}
		got, err := feed.ParseCursor(c.String())
		if err != nil || got != c {
			t.Fatalf("round trip of %+v via %q = %+v, %v", c, c.String(), got, err)
		}
	})
}
