package errs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"google.golang.org/grpc/codes"
)

func TestCheckEtag(t *testing.T) {
	t.Parallel()
	const none Kind = 255
	for _, tc := range []struct {
		sent string
		want Kind
	}{
		{"", none}, {"7", none}, {`"7"`, none}, {`W/"7"`, none}, {`"7`, none},
		{"6", Aborted}, {`"8"`, Aborted},
		{"abc", InvalidArgument}, {"0", InvalidArgument}, {"-7", InvalidArgument}, {"7.0", InvalidArgument},
	} {
		err := CheckEtag(tc.sent, "7", "thing 1")
		got := none
		var e *Error
		if errors.As(err, &e) {
			got = e.Kind
		} else if err != nil {
			t.Fatalf("CheckEtag(%q) = %v, not an *Error", tc.sent, err)
		}
		if got != tc.want {
			t.Errorf("CheckEtag(%q) = %v, want kind %v", tc.sent, err, tc.want)
		}
		if got == InvalidArgument && (len(e.Violations) != 1 || e.Violations[0].Field != "etag") {
			t.Errorf("CheckEtag(%q) violations = %v, want one on etag", tc.sent, e.Violations)
		}
	}
}

// An error a dependency's classifier calls unavailable is UNAVAILABLE.
func TestToStatusUnavailable(t *testing.T) {
	t.Parallel()
	down := errors.New("connection refused")
	unavailable := func(err error) bool { return errors.Is(err, down) }
	log := slog.New(slog.DiscardHandler)
	if st := ToStatus(context.Background(), log, "/x.Y/Z", fmt.Errorf("query: %w", down), unavailable); st.Code() != codes.Unavailable {
		t.Errorf("status of an outage = %v", st)
	}
	if st := ToStatus(context.Background(), log, "/x.Y/Z", errors.New("boom"), unavailable); st.Code() != codes.Internal {
		t.Errorf("status of a fault = %v", st)
	}
}

// A handler error that comes of the caller's deadline or cancellation
// (a statement the driver cancelled) is DEADLINE_EXCEEDED or CANCELLED,
// not an INTERNAL fault logged as an error.
func TestToStatusCallerGone(t *testing.T) {
	t.Parallel()
	var logged bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logged, &slog.HandlerOptions{Level: slog.LevelError}))
	cancelled := errors.New("canceling statement due to user request (SQLSTATE 57014)")
	past, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	if st := ToStatus(past, log, "/x.Y/Z", cancelled, nil); st.Code() != codes.DeadlineExceeded {
		t.Errorf("status after the deadline = %v", st)
	}
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if st := ToStatus(gone, log, "/x.Y/Z", cancelled, nil); st.Code() != codes.Canceled {
		t.Errorf("status after cancellation = %v", st)
	}
	if logged.Len() > 0 {
		t.Errorf("logged as errors: %s", logged.String())
	}
}

func TestParseEtag(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"": 0, "3": 3, `"3"`: 3, `W/"12"`: 12} {
		if got, err := ParseEtag("etag", in); err != nil || got != want {
			t.Errorf("ParseEtag(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"x", "-1", "0", "1.5", "99999999999999999999"} {
		if _, err := ParseEtag("etag", in); !errors.Is(err, ErrInvalidArgument) {
			t.Errorf("ParseEtag(%q) = %v, want InvalidArgument", in, err)
		}
	}
}

func FuzzParseEtag(f *testing.F) {
	for _, s := range []string{"", "1", `"7"`, `W/"3"`, "-1", "1e3", "\"\""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseEtag("etag", s)
		if err != nil {
			if !errors.Is(err, ErrInvalidArgument) {
				t.Fatalf("ParseEtag(%q) error %v is not InvalidArgument", s, err)
			}
			return
		}
		if n < 0 {
			t.Fatalf("ParseEtag(%q) = %d", s, n)
		}
		if n > 0 {
			if back, err := ParseEtag("etag", strconv.FormatInt(n, 10)); err != nil || back != n {
				t.Fatalf("etag %d does not round-trip: %d, %v", n, back, err)
			}
		}
	})
}

func TestLongDescriptionsAreClipped(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 100_000)
	var v Violations
	v.Add("lines[0].sku", "unknown SKU %q", long)
	v.Add("name", "is required")
	err := v.Err()
	var e *Error
	if !errors.As(err, &e) || len(e.Violations) != 2 {
		t.Fatalf("got %v", err)
	}
	d := e.Violations[0].Description
	if len(d) > MaxDescription || !strings.HasPrefix(d, `unknown SKU "éé`) || !strings.HasSuffix(d, "…") || !utf8.ValidString(d) {
		t.Fatalf("description of %d bytes: %.40q…%q", len(d), d, d[max(0, len(d)-10):])
	}
	if e.Violations[1].Description != "is required" {
		t.Fatalf("short description changed: %q", e.Violations[1].Description)
	}
	if len(e.Message) > MaxDescription+100 {
		t.Fatalf("message of %d bytes", len(e.Message))
	}
}
