package api_test

import (
	"net/url"
	"slices"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// A NUL character, which PostgreSQL's text cannot hold, is bad input
// naming its field on any route, in bodies, paths and query parameters;
// nothing is written.
func TestNULCharacters(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	tok := token(t, auth.Sales)
	before := e.count(`SELECT count(*) FROM accounts`)
	for _, tc := range []struct {
		method, path, body string
		fields             []string
	}{
		{"POST", "/v1/accounts", `{"name":"a\u0000b","billing_address":{"street":"x\u0000","country_code":"DE"}}`, []string{"account.name", "account.billing_address.street"}},
		{"POST", "/v1/accounts?request_id=r%00", `{"name":"ok"}`, []string{"request_id"}},
		{"POST", "/v1/campaigns", `{"name":"C","channel":"\u0000"}`, []string{"campaign.channel"}},
		{"GET", "/v1/products/a%00b", "", []string{"sku"}},
		{"GET", "/v1/accounts?filter=" + url.QueryEscape("owner = \"a\x00b\""), "", []string{"filter"}},
		{"GET", "/v1/reports/pipeline?owner=a%00b", "", []string{"owner"}},
	} {
		status, body := e.call(tc.method, tc.path, tok, tc.body)
		if got := restViolations(body); status != 400 || !slices.Equal(got, tc.fields) {
			t.Errorf("%s %s = %d %v, want 400 naming %v", tc.method, tc.path, status, body, tc.fields)
		}
	}
	if after := e.count(`SELECT count(*) FROM accounts`); after != before {
		t.Errorf("accounts %d -> %d", before, after)
	}
}
