package server

import (
	"net/http"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// TestSecurityHeaders: every answer, the API's, its errors', the docs'
// and the documents', tells browsers not to sniff its type nor to show it
// in another site's frame.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	sales := token(t, auth.Sales)
	for _, path := range []string{"/v1/accounts/acme", "/v1/accounts/missing", "/v1/nowhere", "/docs", "/openapi.json", "/healthz", "/metrics"} {
		req, err := http.NewRequest(http.MethodGet, "http://"+s.HTTPAddr()+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+sales)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		for name, want := range map[string]string{
			"X-Content-Type-Options":  "nosniff",
			"X-Frame-Options":         "DENY",
			"Content-Security-Policy": "frame-ancestors 'none'",
		} {
			if got := resp.Header.Get(name); got != want {
				t.Errorf("GET %s (%d): %s = %q, want %q", path, resp.StatusCode, name, got, want)
			}
		}
	}
}
