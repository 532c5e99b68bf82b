package errs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"syscall"
	"testing"

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

type sqlState string

func (s sqlState) Error() string    { return "pg error " + string(s) }
func (s sqlState) SQLState() string { return string(s) }

func TestTransient(t *testing.T) {
	t.Parallel()
	for err, want := range map[error]bool{
		fmt.Errorf("acquire: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}): true,
		fmt.Errorf("decode: %w", io.ErrUnexpectedEOF):                                              false, // truncated data is no outage
		sqlState("57P01"): true, sqlState("08006"): true, sqlState("53300"): true,
		sqlState("23505"): false, sqlState("22P02"): false,
		errors.New("boom"): false,
	} {
		if got := Transient(err); got != want {
			t.Errorf("Transient(%v) = %v, want %v", err, got, want)
		}
	}
	st := ToStatus(context.Background(), slog.New(slog.DiscardHandler), "/x.Y/Z", sqlState("57P01"))
	if st.Code() != codes.Unavailable {
		t.Errorf("status of a database shutting down = %v", st)
	}
}
