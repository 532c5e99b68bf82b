package server

import "testing"

func TestDecodeViolation(t *testing.T) {
	t.Parallel()
	for msg, want := range map[string]string{
		`proto: (line 1:8): invalid value for string field sku: 123`:                 "sku",
		`proto: (line 1:39): unknown field "line1"`:                                  "line1",
		`proto: (line 1:10): invalid value for enum field status: "X"`:               "status",
		`proto: syntax error (line 1:72): unexpected token "1"`:                      "body",
		`parsing field "page_size": strconv.ParseInt: parsing "abc": invalid syntax`: "page_size",
		`type mismatch, parameter: account.id, error: something`:                     "account.id",
		`the body must be one JSON value, with nothing after it`:                     "body",
		`unexpected EOF`: "body",
	} {
		if got := decodeViolation(msg); got.GetField() != want || got.GetDescription() != msg {
			t.Errorf("decodeViolation(%q) = %v, want field %s", msg, got, want)
		}
	}
}
