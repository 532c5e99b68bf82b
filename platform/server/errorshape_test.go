package server

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// Every REST error has one shape, whoever writes it (the server's own
// guard or the gateway): a google.rpc.Status with code and message, and
// details only when there are some.
func TestRESTErrorShape(t *testing.T) {
	t.Parallel()
	s := start(t, Config{MaxBodyBytes: 64})
	sales := token(t, auth.Sales)
	for _, tt := range []struct {
		name, method, path, tok, body string
		header                        map[string]string
		status                        int
		details                       bool
	}{
		{"no token", "GET", "/v1/accounts/x", "", "", nil, 401, false},
		{"method override", "POST", "/v1/accounts", sales, `{}`, map[string]string{"X-HTTP-Method-Override": "DELETE"}, 400, true},
		{"body too large", "POST", "/v1/accounts", sales, `{"name":"` + strings.Repeat("a", 100) + `"}`, nil, 413, true},
		{"not found", "GET", "/v1/accounts/x", sales, "", nil, 404, false},
		{"wrong method", "PUT", "/v1/accounts", sales, "", nil, 405, false},
		{"unknown route", "GET", "/v1/nothing", sales, "", nil, 404, false},
		{"bad field", "POST", "/v1/accounts", sales, `{"website":"bad"}`, nil, 400, true},
		{"bad body", "POST", "/v1/accounts", sales, `{"name":`, nil, 400, true},
	} {
		req, _ := http.NewRequest(tt.method, "http://"+s.HTTPAddr()+tt.path, strings.NewReader(tt.body))
		if tt.tok != "" {
			req.Header.Set("Authorization", "Bearer "+tt.tok)
		}
		for k, v := range tt.header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var body map[string]json.RawMessage
		if err := json.Unmarshal(raw, &body); err != nil || resp.StatusCode != tt.status {
			t.Errorf("%s: %d %s, want %d and a JSON status", tt.name, resp.StatusCode, raw, tt.status)
			continue
		}
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", tt.name, ct)
		}
		for k := range body {
			if k != "code" && k != "message" && k != "details" {
				t.Errorf("%s: unexpected key %q in %s", tt.name, k, raw)
			}
		}
		if _, ok := body["code"]; !ok {
			t.Errorf("%s: no code in %s", tt.name, raw)
		}
		if details, ok := body["details"]; ok != tt.details || string(details) == "[]" {
			t.Errorf("%s: %s, want details %v (and never an empty list)", tt.name, raw, tt.details)
		}
	}
}
