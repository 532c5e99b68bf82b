package api_test

import (
	"net/url"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestSearch(t *testing.T) {
	e := newEnv(t)
	acme := e.createAccount("Acme")
	tools := e.createAccount("ACME Tools")
	e.createAccount("Beta")
	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "acme.buyer@example.com"})
	lead := e.createLead(&crmv1.Lead{Name: "acme lead", Email: "x@y.example"})

	resp, err := e.search.Search(e.as(auth.Finance), &crmv1.SearchRequest{Query: " aCmE "})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range resp.Results {
		got = append(got, r.Resource+" "+r.MatchedField)
	}
	want := []string{
		"accounts/" + acme.Id + " name", // exact name first
		"leads/" + lead.Id + " name",    // then name prefixes, bytewise: "acme lead" < "acme tools"
		"accounts/" + tools.Id + " name",
		"contacts/" + ana.Id + " email", // email prefixes last
	}
	if !slices.Equal(got, want) {
		t.Fatalf("results %v, want %v", got, want)
	}
	if resp.Results[3].Email != "acme.buyer@example.com" || resp.Results[3].Name != "Ana" || resp.Results[0].Type != "accounts" {
		t.Fatalf("result fields: %v", resp.Results)
	}

	// Pages of one walk the same ranking.
	var paged []string
	tok := ""
	for {
		page, err := e.search.Search(e.sales(), &crmv1.SearchRequest{Query: "acme", PageSize: 1, PageToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.Results {
			paged = append(paged, r.Resource+" "+r.MatchedField)
		}
		if tok = page.NextPageToken; tok == "" {
			break
		}
	}
	if !slices.Equal(paged, want) {
		t.Fatalf("paged %v, want %v", paged, want)
	}

	only, err := e.search.Search(e.service(), &crmv1.SearchRequest{Query: "acme", Types: "contacts"})
	if err != nil || len(only.Results) != 1 || only.Results[0].Id != ana.Id {
		t.Fatalf("contacts only: %v %v", only, err)
	}

	_, err = e.search.Search(e.sales(), &crmv1.SearchRequest{Types: "accounts,deals", PageSize: -1})
	if v := violations(t, err); !slices.Equal(v, []string{"query", "types", "page_size"}) {
		t.Fatalf("violations %v", v)
	}
	_, err = e.search.Search(e.bridge(), &crmv1.SearchRequest{Query: "acme"})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.search.Search(t.Context(), &crmv1.SearchRequest{Query: "acme"})
	wantCode(t, err, codes.Unauthenticated)

	// REST.
	st, body := e.call("GET", "/v1/search?query=acme&types=accounts,leads&page_size=2", token(t, auth.Sales), nil)
	if st != 200 || len(body["results"].([]any)) != 2 || body["next_page_token"] == "" {
		t.Fatalf("REST search: %d %v", st, body)
	}
	st, body = e.call("GET", "/v1/search?query=acme&types=accounts,leads&page_token="+url.QueryEscape(body["next_page_token"].(string)), token(t, auth.Sales), nil)
	if st != 200 || len(body["results"].([]any)) != 1 || body["results"].([]any)[0].(map[string]any)["id"] != tools.Id {
		t.Fatalf("REST search page 2: %d %v", st, body)
	}
	st, body = e.call("GET", "/v1/search?query=acme&types=opportunities", token(t, auth.Sales), nil)
	if st != 400 || !slices.Equal(restViolations(body), []string{"types"}) {
		t.Fatalf("REST bad types: %d %v", st, body)
	}
	if st, _ := e.call("GET", "/v1/search?query=acme", token(t, auth.Integration), nil); st != 403 {
		t.Fatalf("REST integration: %d, want 403", st)
	}

	// Upper-case letters beyond A-Z fold as A-Z do, in names and query.
	zeta := e.createAccount("Zeta ÖLWERK")
	arzt := e.createContact(&crmv1.Contact{Name: "Ärzteverbund Süd", Email: "info@aerzte.example"})
	elo := e.createLead(&crmv1.Lead{Name: "ÉLODIE Ärger", Email: "elodie@x.example"})
	for query, id := range map[string]string{
		"Zeta ÖLWERK": zeta.Id, "zeta ö": zeta.Id, "ZETA ölw": zeta.Id, "Ärz": arzt.Id, "ärzteverbund s": arzt.Id, "élodie ä": elo.Id,
	} {
		st, body := e.call("GET", "/v1/search?query="+url.QueryEscape(query), token(t, auth.Sales), nil)
		results, _ := body["results"].([]any)
		if st != 200 || len(results) != 1 || results[0].(map[string]any)["id"] != id {
			t.Errorf("REST search %q: %d %v, want %s", query, st, body, id)
		}
	}
}
