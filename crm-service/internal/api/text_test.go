package api_test

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"testing"

	"github.com/seamhq/seam/platform/auth"
)

// A NUL character, which PostgreSQL's text cannot hold, or bytes that are
// no UTF-8, are bad input naming the field on any route, in bodies, paths
// and query parameters;
// so is a filter value no record can have. Nothing is written.
func TestBadInputAcrossRoutes(t *testing.T) {
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
		// Bytes that are no UTF-8, in a path or a query parameter, which
		// the gateway copies into the request unchecked (a JSON body's
		// strings are checked as it is decoded).
		{"GET", "/v1/accounts/%FF", "", []string{"id"}},
		{"POST", "/v1/opportunities/%FF:win", `{}`, []string{"id"}},
		{"GET", "/v1/opportunities/%FF:watch", "", []string{"id"}},
		{"GET", "/v1/accounts?filter=" + url.QueryEscape("name = \"\xff\""), "", []string{"filter"}},
		{"GET", "/v1/search?query=%FF", "", []string{"query"}},
		{"POST", "/v1/accounts?request_id=r%FF", `{"name":"ok"}`, []string{"request_id"}},
		// A currency as no record stores it: an empty answer would mislead.
		{"GET", "/v1/opportunities?filter=" + url.QueryEscape(`currency_code = "eur"`), "", []string{"filter"}},
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

// What the gateway cannot decode is bad input naming the field too: the
// parameter, the field by its path in the request (the body fills
// campaign) as the body spells it, or "body"; and a body is one JSON
// value, nothing after it. Nothing is written.
func TestRESTDecodeErrors(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	tok := token(t, auth.Admin)
	before := e.count(`SELECT count(*) FROM campaigns`)
	for _, tc := range []struct {
		method, path, body string
		field              string
	}{
		{"POST", "/v1/campaigns", `{"name":"tg"} xyz`, "body"},
		{"POST", "/v1/campaigns", `{"name":"tg1"}{"name":"tg2"}`, "body"},
		{"POST", "/v1/campaigns", `{"name":"tg"`, "body"},
		{"POST", "/v1/campaigns", `{"name":123}`, "campaign.name"},
		{"POST", "/v1/campaigns", `{"name":"tg","colour":"red"}`, "campaign.colour"},
		{"POST", "/v1/campaigns", `{"name":"tg","status":"NOT_A_STATUS"}`, "campaign.status"},
		{"POST", "/v1/accounts", `{"name":"tg","billing_address":{"foo":"x"}}`, "account.billing_address.foo"},
		{"GET", "/v1/campaigns?page_size=1&pageSize=2", "", "page_size"},
		{"GET", "/v1/campaigns?page_size=abc", "", "page_size"},
	} {
		status, body := e.call(tc.method, tc.path, tok, tc.body)
		if got := restViolations(body); status != 400 || !slices.Equal(got, []string{tc.field}) {
			t.Errorf("%s %s %s = %d %v, want 400 naming %s", tc.method, tc.path, tc.body, status, body, tc.field)
		}
	}
	if after := e.count(`SELECT count(*) FROM campaigns`); after != before {
		t.Errorf("campaigns %d -> %d", before, after)
	}
	// A body that is one value, with white space after it, is fine.
	if status, body := e.call("POST", "/v1/campaigns", tok, "{\"name\":\"ok\"}\n \n"); status != 200 {
		t.Errorf("body with trailing white space = %d %v", status, body)
	}
}

// The etag read from the ETag header may go back in If-Match: a stale one
// is refused as in the body, a current one lets the write through, and
// one that contradicts the body's is bad input.
func TestIfMatch(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	tok := token(t, auth.Sales)
	send := func(method, path, ifMatch, body string) (int, http.Header, map[string]any) {
		t.Helper()
		h := http.Header{}
		if ifMatch != "" {
			h.Set("If-Match", ifMatch)
		}
		return e.callWith(method, path, tok, body, h)
	}
	status, hdr, acc := send("POST", "/v1/accounts", "", `{"name":"Matchco"}`)
	if status != 200 || hdr.Get("ETag") != `"1"` {
		t.Fatalf("create = %d %v %v", status, hdr, acc)
	}
	id := acc["id"].(string)
	if status, _, body := send("PATCH", "/v1/accounts/"+id, `"1"`, `{"industry":"tools"}`); status != 200 || body["etag"] != "2" {
		t.Fatalf("PATCH If-Match current = %d %v", status, body)
	}
	if status, _, body := send("PATCH", "/v1/accounts/"+id, `"1"`, `{"industry":"other"}`); status != 409 {
		t.Errorf("PATCH If-Match stale = %d %v", status, body)
	}
	if status, _, body := send("PATCH", "/v1/accounts/"+id, `"2"`, `{"industry":"other","etag":"1"}`); status != 400 ||
		!slices.Equal(restViolations(body), []string{"account.etag"}) {
		t.Errorf("PATCH If-Match against the body's etag = %d %v", status, body)
	}
	if status, _, body := send("DELETE", "/v1/accounts/"+id, `W/"1"`, ""); status != 409 {
		t.Errorf("DELETE If-Match stale = %d %v", status, body)
	}
	if status, _, body := send("DELETE", "/v1/accounts/"+id, "*", ""); status != 200 {
		t.Errorf("DELETE If-Match * = %d %v", status, body)
	}

	// A retry is the same request whichever way its etag travels.
	o := e.createOpportunity(e.createAccount("Retryco").Id)
	lose := "/v1/opportunities/" + o.Id + ":lose"
	if status, _, body := send("POST", lose, `"1"`, `{"request_id":"lose-1"}`); status != 200 || body["stage"] != "STAGE_CLOSED_LOST" {
		t.Fatalf("lose with If-Match = %d %v", status, body)
	}
	for _, retry := range []struct{ ifMatch, body string }{
		{`"1"`, `{"request_id":"lose-1"}`}, {"", `{"request_id":"lose-1","etag":"1"}`}, {`W/"1"`, `{"request_id":"lose-1"}`},
	} {
		if status, _, body := send("POST", lose, retry.ifMatch, retry.body); status != 200 || body["id"] != o.Id {
			t.Errorf("retry with If-Match %q and body %s = %d %v", retry.ifMatch, retry.body, status, body)
		}
	}
}

// An update mask in a query parameter may name fields as JSON does or by
// their proto names.
func TestUpdateMaskNames(t *testing.T) {
	t.Parallel()
	e := startEnv(t)
	tok := token(t, auth.Sales)
	status, acc := e.call("POST", "/v1/accounts", tok, `{"name":"Maskco","website":"maskco.example"}`)
	if status != 200 {
		t.Fatalf("create = %d %v", status, acc)
	}
	id := acc["id"].(string)
	for i, mask := range []string{"externalId", "external_id"} {
		ext := fmt.Sprintf("EXT-%d", i)
		status, got := e.call("PATCH", "/v1/accounts/"+id+"?update_mask="+mask, tok, `{"external_id":"`+ext+`","industry":"ignored"}`)
		if status != 200 || got["external_id"] != ext || got["industry"] != nil {
			t.Errorf("PATCH with update_mask=%s = %d %v", mask, status, got)
		}
	}
}
