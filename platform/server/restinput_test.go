package server

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

func TestDecodeViolation(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		msg, field, description string
		inBody                  bool
	}{
		{`body field "lines[0].quantity": invalid value for string field quantity: 1`, "lines[0].quantity", "invalid value for string field quantity: 1", true},
		{`proto: (line 1:8): invalid value for string field sku: 123`, "sku", "", true},
		{`proto: (line 1:39): unknown field "line1"`, "line1", "", true},
		{`proto: (line 1:10): invalid value for enum field status: "X"`, "status", "", true},
		{`proto: syntax error (line 1:1): unexpected token [`, "body", "", false},
		{`parsing field "page_size": strconv.ParseInt: parsing "abc": invalid syntax`, "page_size", `must be an integer, got "abc"`, false},
		{`parsing field "page_size": strconv.ParseInt: parsing "99999999999": value out of range`, "page_size", "is out of range: 99999999999", false},
		{`type mismatch, parameter: id, error: strconv.ParseInt: parsing "abc": invalid syntax`, "id", `must be an integer, got "abc"`, false},
		{`parsing list "types": bad`, "types", "", false},
		{`duplicate field "page_size"`, "page_size", "", false},
		{`too many values for field "page_size": 1, 2`, "page_size", "", false},
		{`type mismatch, parameter: account.id, error: something`, "account.id", "", false},
		{`the body must be one JSON value, with nothing after it`, "body", "", false},
		{`unexpected EOF`, "body", "", false},
	} {
		got, inBody := decodeViolation(tt.msg)
		want := tt.description
		if want == "" {
			want = tt.msg
		}
		if got.GetField() != tt.field || got.GetDescription() != want || inBody != tt.inBody {
			t.Errorf("decodeViolation(%q) = %v, %v, want field %s (in body %v)", tt.msg, got, inBody, tt.field, tt.inBody)
		}
	}
}

func TestLocateDecodeError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ raw, err, want string }{
		{`{"lines":[{"sku":"PUMP-100","quantity":1}]}`, `proto: (line 1:40): invalid value for string field quantity: 1`,
			`body field "lines[0].quantity": invalid value for string field quantity: 1`},
		{`{"billing_address":{"foo":"x"}}`, `proto: (line 1:21): unknown field "foo"`,
			`body field "billing_address.foo": unknown field "foo"`},
		{`{"name":"a","name":"b"}`, `proto: (line 1:13): duplicate field "name"`, `body field "name": duplicate field "name"`},
		{`{"lines":5}`, `proto: syntax error (line 1:10): unexpected token 5`, `body field "lines": unexpected token 5`},
		{`{"a":[1,[2,{"b":[]}],{"c":3}]}`, `proto: (line 1:27): bad`, `body field "a[2].c": bad`},
		{`{"a":[1,[2,{"b":[]}],{"c":3}]}`, `proto: (line 1:17): bad`, `body field "a[1][1].b": bad`},
		{"{\n  \"lines\": [\n    {\"sku\": \"é\", \"quantity\": 1}\n  ]\n}", `proto: (line 3:30): invalid value for string field quantity: 1`,
			`body field "lines[0].quantity": invalid value for string field quantity: 1`},
		{"{\"name\":\"tg\",\"billing_address\":{\"foo\":\"x\"}}", "proto:\u00a0(line\u00a01:33):\u00a0unknown field \"foo\"",
			`body field "billing_address.foo": unknown field "foo"`},
		{`{"billingAddress":{"city":1}}`, `proto: (line 1:27): invalid value for string field city: 1`,
			`body field "billingAddress.city": invalid value for string field city: 1`},
		// Errors that cannot be placed in the body stay as they are.
		{`[1]`, `proto: syntax error (line 1:1): unexpected token [`, `proto: syntax error (line 1:1): unexpected token [`},
		{`{"a":1}`, `proto: (line 9:1): bad`, `proto: (line 9:1): bad`},
		{`{"a":1}`, `something else`, `something else`},
	} {
		if got := locateDecodeError([]byte(tt.raw), errors.New(tt.err)).Error(); got != tt.want {
			t.Errorf("locateDecodeError(%s, %s) = %s, want %s", tt.raw, tt.err, got, tt.want)
		}
	}
}

// A body or query the gateway cannot decode is INVALID_ARGUMENT naming
// the field by its path in the request, as the services name fields.
func TestRESTDecodeErrorFields(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	for _, tt := range []struct{ method, path, body, field string }{
		{"POST", "/v1/accounts", `{"billing_address":{"foo":"x"}}`, "account.billing_address.foo"},
		{"POST", "/v1/accounts", `{"name":12}`, "account.name"},
		{"PATCH", "/v1/accounts/a1", `{"billingAddress":{"city":1}}`, "account.billingAddress.city"},
		{"POST", "/v1/opportunities", `{"lines":[{"sku":"PUMP-100","quantity":1}]}`, "opportunity.lines[0].quantity"},
		{"POST", "/v1/opportunities", `{"lines":[{"sku":"A","quantity":"1"},{"sku":"B","qty":"1"}]}`, "opportunity.lines[1].qty"},
		// The body of :convert is the whole request.
		{"POST", "/v1/leads/l1:convert", `{"opportunity":{"name":5}}`, "opportunity.name"},
		{"POST", "/v1/leads/l1:convert", `{"foo":1}`, "foo"},
		{"GET", "/v1/accounts?page_size=1&pageSize=2", "", "page_size"},
		{"GET", "/v1/accounts?page_size=1&page_size=2", "", "page_size"},
		{"GET", "/v1/accounts?page_size=abc", "", "page_size"},
		{"POST", "/v1/accounts", `{"name":`, "body"},
		{"POST", "/v1/accounts", `[1]`, "body"},
	} {
		got := call(t, s, tt.method, tt.path, sales, tt.body)
		if got.status != 400 || !slices.Equal(violations(got.body), []string{tt.field}) {
			t.Errorf("%s %s %s = %d %v, want 400 naming %s", tt.method, tt.path, tt.body, got.status, got.body, tt.field)
		}
		// The message names the field as the services' messages do, in
		// the violation's words rather than the decoder's.
		if msg, _ := got.body["message"].(string); !strings.HasPrefix(msg, "invalid "+tt.field+": ") || strings.Contains(msg, "strconv") {
			t.Errorf("%s %s %s says %q, want it to name %s", tt.method, tt.path, tt.body, msg, tt.field)
		}
	}
}
