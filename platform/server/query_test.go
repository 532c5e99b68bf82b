package server

import (
	"slices"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// violations lists the fields of a REST error's BadRequest.
func violations(body map[string]any) []string {
	var fields []string
	details, _ := body["details"].([]any)
	for _, d := range details {
		fvs, _ := d.(map[string]any)["field_violations"].([]any)
		for _, fv := range fvs {
			fields = append(fields, fv.(map[string]any)["field"].(string))
		}
	}
	return fields
}

// A query parameter the call would not read is refused, naming it, on
// every kind of route; parameters that name fields, by proto or JSON
// name, are read as before.
func TestRESTQueryParameters(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	tests := []struct {
		method, path, body string
		status             int
		fields             []string
	}{
		{"GET", "/v1/accounts?page_size=1&pageToken=&filter=", "", 200, nil},
		{"GET", "/v1/accounts?bogus=1", "", 400, []string{"bogus"}},
		{"GET", "/v1/accounts?filters=x&sort=name", "", 400, []string{"filters", "sort"}},
		{"GET", "/v1/accounts?page_size=1&pagesize=2", "", 400, []string{"pagesize"}},
		{"POST", "/v1/accounts?request_id=r1&force=true", `{"name":"Acme"}`, 200, nil},
		{"POST", "/v1/accounts?requestId=r1", `{"name":"Acme"}`, 200, nil},
		{"POST", "/v1/accounts?bogus=1", `{"name":"Acme"}`, 400, []string{"bogus"}},
		// A route whose only field is in its path reads no query.
		{"GET", "/v1/accounts/x?id=x", "", 404, nil},
		{"GET", "/v1/accounts/x?bogus=1", "", 400, []string{"bogus"}},
		// A route whose body is the whole request reads no query either:
		// a field sent there would be dropped.
		{"POST", "/v1/leads/l1:convert", `{"request_id":"r1"}`, 200, nil},
		{"POST", "/v1/leads/l1:convert?request_id=r1", `{}`, 400, []string{"request_id"}},
		{"POST", "/v1/leads/l1:convert?bogus=1&accountId=a", `{}`, 400, []string{"accountId", "bogus"}},
	}
	for _, tt := range tests {
		got := call(t, s, tt.method, tt.path, sales, tt.body)
		if got.status != tt.status || !slices.Equal(violations(got.body), tt.fields) {
			t.Errorf("%s %s = %d %v, want %d naming %v", tt.method, tt.path, got.status, got.body, tt.status, tt.fields)
		}
	}
}
