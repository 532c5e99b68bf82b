package server

import (
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// A path asked with a method it does not take is 405 with the methods it
// does take in Allow; an unknown path stays 404.
func TestRESTMethodNotAllowed(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	for _, tt := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PUT", "/v1/accounts", 405, "GET, HEAD, POST"},
		{"DELETE", "/v1/accounts", 405, "GET, HEAD, POST"},
		{"POST", "/v1/accounts/x", 405, "GET, HEAD, PATCH, DELETE"},
		{"PUT", "/v1/leads/l1:convert", 405, "GET, HEAD, POST, PATCH, DELETE"}, // {id} takes "l1:convert" too
		{"PUT", "/v1/nothing", 404, ""},
		{"GET", "/v1/accounts/x", 404, ""}, // the route's own answer
	} {
		got := call(t, s, tt.method, tt.path, sales, "")
		if got.status != tt.status || got.header.Get("Allow") != tt.allow {
			t.Errorf("%s %s = %d Allow %q %v, want %d Allow %q", tt.method, tt.path, got.status, got.header.Get("Allow"), got.body, tt.status, tt.allow)
		}
		if tt.status == 405 && got.body["code"] != float64(12) {
			t.Errorf("%s %s: body %v, want code 12 (UNIMPLEMENTED)", tt.method, tt.path, got.body)
		}
	}
}
