package server

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// preflight sends the OPTIONS request a browser sends before a
// cross-origin call.
func preflight(t *testing.T, s *Server, path, origin, method, headers string) http.Header {
	t.Helper()
	req, err := http.NewRequest(http.MethodOptions, "http://"+s.HTTPAddr()+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", method)
	req.Header.Set("Access-Control-Request-Headers", headers)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 && origin == "http://localhost:5173" {
		t.Errorf("preflight %s %s: status %d", method, path, resp.StatusCode)
	}
	return resp.Header
}

// listed splits a CORS header's comma-separated list, lower-cased as
// browsers compare header names.
func listed(v string) []string {
	var out []string
	for f := range strings.SplitSeq(v, ",") {
		out = append(out, strings.ToLower(strings.TrimSpace(f)))
	}
	return out
}

// TestCORSPreflight: a browser app on a configured origin may send every
// header the REST API reads: the token, the etag in If-Match, and the W3C
// trace context (traceparent, tracestate, baggage) that browser tracing
// adds and the server continues; a preflight that leaves one of them out
// makes the browser refuse the call before it is sent.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	s := start(t, Config{CORSOrigins: []string{"http://localhost:5173"}})
	const origin = "http://localhost:5173"
	for _, method := range []string{"GET", "POST", "PATCH", "DELETE"} {
		h := preflight(t, s, "/v1/accounts/x", origin, method, "authorization,content-type,if-match,x-request-id,traceparent,tracestate,baggage")
		if got := h.Get("Access-Control-Allow-Origin"); got != origin {
			t.Errorf("%s: Access-Control-Allow-Origin = %q", method, got)
		}
		if !slices.Contains(listed(h.Get("Access-Control-Allow-Methods")), strings.ToLower(method)) {
			t.Errorf("%s: Access-Control-Allow-Methods = %q", method, h.Get("Access-Control-Allow-Methods"))
		}
		allowed := listed(h.Get("Access-Control-Allow-Headers"))
		for _, want := range []string{"authorization", "content-type", "if-match", "x-request-id", "traceparent", "tracestate", "baggage"} {
			if !slices.Contains(allowed, want) {
				t.Errorf("%s: Access-Control-Allow-Headers = %q, misses %s", method, h.Get("Access-Control-Allow-Headers"), want)
			}
		}
		for _, want := range []string{"etag", "x-request-id"} {
			if !slices.Contains(listed(h.Get("Access-Control-Expose-Headers")), want) {
				t.Errorf("%s: Access-Control-Expose-Headers = %q, misses %s", method, h.Get("Access-Control-Expose-Headers"), want)
			}
		}
	}
	// Another origin gets no CORS headers.
	if h := preflight(t, s, "/v1/accounts/x", "http://evil.example", "GET", "authorization"); h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("unconfigured origin allowed: %v", h)
	}
}

// TestOpenAPICORS: a frontend on a configured origin may fetch the API
// document (a client generated in the browser); another origin may not.
func TestOpenAPICORS(t *testing.T) {
	t.Parallel()
	s := start(t, Config{CORSOrigins: []string{"http://localhost:5173"}})
	for origin, want := range map[string]string{"http://localhost:5173": "http://localhost:5173", "http://evil.example": ""} {
		req, err := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+"/openapi.json", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", origin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("Access-Control-Allow-Origin"); resp.StatusCode != 200 || got != want {
			t.Errorf("GET /openapi.json from %s: %d, Access-Control-Allow-Origin %q, want %q", origin, resp.StatusCode, got, want)
		}
		if !slices.Contains(listed(resp.Header.Get("Vary")), "origin") {
			t.Errorf("GET /openapi.json from %s: Vary %q, want Origin", origin, resp.Header.Get("Vary"))
		}
	}
}
