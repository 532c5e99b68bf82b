package server

import (
	"io"
	"net/http"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// TestHEAD: HEAD is GET without the body (RFC 9110, which every server
// must support): the same status and headers, ETag and Content-Length
// among them, so a client can check a resource's version or existence
// without reading it.
func TestHEAD(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales, admin := token(t, auth.Sales), token(t, auth.Admin)
	type answer struct {
		StatusCode    int
		Header        http.Header
		ContentLength int64
	}
	head := func(path string) (answer, string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodHead, "http://"+s.HTTPAddr()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+admin)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		return answer{resp.StatusCode, resp.Header, resp.ContentLength}, string(raw)
	}

	get := call(t, s, "GET", "/v1/accounts/acme", sales, "")
	resp, body := head("/v1/accounts/acme")
	if resp.StatusCode != 200 || body != "" {
		t.Fatalf("HEAD /v1/accounts/acme = %d %q, want 200 and no body", resp.StatusCode, body)
	}
	if resp.Header.Get("ETag") != `"3"` || resp.Header.Get("ETag") != get.header.Get("ETag") {
		t.Errorf("HEAD ETag = %q, GET's %q", resp.Header.Get("ETag"), get.header.Get("ETag"))
	}
	if resp.ContentLength <= 0 || resp.Header.Get("Content-Type") != get.header.Get("Content-Type") {
		t.Errorf("HEAD Content-Length %d, Content-Type %q; GET's Content-Type %q",
			resp.ContentLength, resp.Header.Get("Content-Type"), get.header.Get("Content-Type"))
	}
	if resp, body := head("/v1/accounts/x"); resp.StatusCode != 404 || body != "" {
		t.Errorf("HEAD of a missing account = %d %q, want 404 and no body", resp.StatusCode, body)
	}
	if resp, _ := head("/v1/accounts/acme"); resp.StatusCode != 200 {
		t.Errorf("HEAD again = %d", resp.StatusCode)
	}

	// 405 lists HEAD beside GET.
	got := call(t, s, "PUT", "/v1/accounts", admin, "")
	if allow := got.header.Get("Allow"); got.status != http.StatusMethodNotAllowed || allow != "GET, HEAD, POST" {
		t.Errorf("PUT /v1/accounts = %d, Allow %q, want 405 and GET, HEAD, POST", got.status, allow)
	}
}

// A REST response carries no header of the gRPC call behind it: the
// gRPC content-type (application/grpc) is no header of a JSON answer.
func TestRESTNoGRPCContentType(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	for _, path := range []string{"/v1/accounts/acme", "/v1/accounts/x"} {
		got := call(t, s, "GET", path, sales, "")
		if v := got.header.Get("Grpc-Metadata-Content-Type"); v != "" {
			t.Errorf("GET %s: Grpc-Metadata-Content-Type = %q", path, v)
		}
		if ct := got.header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("GET %s: Content-Type = %q", path, ct)
		}
	}
}
