package server

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// A body over the cap is 413 with one answer, whether its length is sent
// up front or it comes chunked and is cut while it is read.
func TestRESTBodyTooLarge(t *testing.T) {
	t.Parallel()
	s := start(t, Config{MaxBodyBytes: 64})
	sales := token(t, auth.Sales)
	big := `{"name":"` + strings.Repeat("a", 100) + `"}`
	var bodies []string
	for _, tt := range []struct {
		method, path string
		chunked      bool
	}{
		{"POST", "/v1/accounts", false},
		{"POST", "/v1/accounts", true},
		{"PATCH", "/v1/accounts/a1", true}, // read whole before it is decoded
		{"POST", "/v1/leads/l1:convert", true},
	} {
		var body io.Reader = strings.NewReader(big)
		if tt.chunked {
			body = io.MultiReader(body) // no length known: sent chunked
		}
		req, _ := http.NewRequest(tt.method, "http://"+s.HTTPAddr()+tt.path, body)
		req.Header.Set("Authorization", "Bearer "+sales)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 413 {
			t.Errorf("%s %s (chunked %v) = %d %s, want 413", tt.method, tt.path, tt.chunked, resp.StatusCode, raw)
		}
		bodies = append(bodies, string(raw))
	}
	for _, b := range bodies[1:] {
		if b != bodies[0] {
			t.Errorf("body %s, want the same as %s", b, bodies[0])
		}
	}
	first := decodeBody([]byte(bodies[0]))
	if first["code"] != float64(3) || !slices.Equal(violations(first), []string{"body"}) ||
		!strings.Contains(bodies[0], "larger than the limit of 64 bytes") {
		t.Errorf("body %s, want INVALID_ARGUMENT on body naming the limit", bodies[0])
	}
	// Under the cap, chunked or not, a body is read as usual.
	req, _ := http.NewRequest("POST", "http://"+s.HTTPAddr()+"/v1/accounts", io.MultiReader(strings.NewReader(`{"name":"Acme"}`)))
	req.Header.Set("Authorization", "Bearer "+sales)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("small chunked body: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
}

// X-HTTP-Method-Override is refused, naming the header.
func TestRESTMethodOverride(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	req, _ := http.NewRequest("POST", "http://"+s.HTTPAddr()+"/v1/accounts/x", nil)
	req.Header.Set("Authorization", "Bearer "+token(t, auth.Sales))
	req.Header.Set("X-HTTP-Method-Override", "DELETE")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got httpResult
	got.status = resp.StatusCode
	raw, _ := io.ReadAll(resp.Body)
	got.body = decodeBody(raw)
	if got.status != 400 || !slices.Equal(violations(got.body), []string{"X-HTTP-Method-Override"}) {
		t.Errorf("method override = %d %s, want 400 naming the header", got.status, raw)
	}
}
