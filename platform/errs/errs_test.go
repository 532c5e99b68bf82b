package errs

import (
	"errors"
	"testing"
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
