package server

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/proto/openapi"
)

// openAPIDoc is the part of a Swagger 2.0 document the docs page needs
// to offer sign-in.
type openAPIDoc struct {
	Info struct {
		Title, Version, Description string
	}
	SecurityDefinitions map[string]struct {
		Type, Name, In string
	}
	Security []map[string][]string
}

// Each document names its API and version and asks for the bearer token
// on every operation, so the docs page has an Authorize button whose
// token "Try it out" sends.
func TestOpenAPIDocuments(t *testing.T) {
	t.Parallel()
	for name, raw := range map[string][]byte{"crm": openapi.CRM, "erp": openapi.ERP, "bridge": openapi.Bridge} {
		var doc openAPIDoc
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !strings.HasPrefix(doc.Info.Title, "Seam ") || doc.Info.Version != "v1" {
			t.Errorf("%s: info %+v, want a Seam title and version v1 (see proto/%s/v1/%s_openapi.yaml: it must name the package's first file)",
				name, doc.Info, name, name)
		}
		checkBearer(t, name, doc)
		checkPatchMasks(t, name, raw)
		// The description tells a client what the schemas cannot: that
		// zero values are left out of responses, and how numbers travel.
		for _, want := range []string{"leaves out every field at its zero value", "64-bit integers and quantities travel as strings"} {
			if !strings.Contains(strings.Join(strings.Fields(doc.Info.Description), " "), want) {
				t.Errorf("%s: info.description does not say %q", name, want)
			}
		}
	}
}

// checkPatchMasks: every PATCH lists update_mask among its query
// parameters. The gateway takes one (left out, it means the fields in the
// body; "*" replaces every updatable field), and a client generated from
// the document sends only the parameters the document lists; the
// generator hides it unless told not to (allow_patch_feature=false in
// proto/buf.gen.*.yaml).
func checkPatchMasks(t *testing.T, name string, raw []byte) {
	t.Helper()
	var doc struct {
		Paths map[string]map[string]struct {
			Parameters []struct{ Name, In string }
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	for path, ops := range doc.Paths {
		op, ok := ops["patch"]
		if !ok {
			continue
		}
		if !slices.ContainsFunc(op.Parameters, func(p struct{ Name, In string }) bool {
			return p.Name == "update_mask" && p.In == "query"
		}) {
			t.Errorf("%s: PATCH %s lists no update_mask query parameter", name, path)
		}
	}
}

func checkBearer(t *testing.T, name string, doc openAPIDoc) {
	t.Helper()
	def, ok := doc.SecurityDefinitions["bearer"]
	if !ok || def.Type != "apiKey" || def.In != "header" || def.Name != "Authorization" {
		t.Errorf("%s: securityDefinitions %+v, want bearer: an apiKey in the Authorization header", name, doc.SecurityDefinitions)
	}
	if len(doc.Security) != 1 || doc.Security[0]["bearer"] == nil {
		t.Errorf("%s: security %v, want [bearer] for every operation", name, doc.Security)
	}
}

// The docs page's document is served without a token and offers one;
// a call made with what its Authorize dialog sends gets through.
func TestDocsSignIn(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	resp, err := http.Get("http://" + s.HTTPAddr() + "/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /openapi.json = %d %v", resp.StatusCode, err)
	}
	checkBearer(t, "served", doc)
	// The docs page loads Swagger UI from the service and names its icon,
	// so a browser fetches nothing else: no CDN, and no /favicon.ico,
	// which is not served and whose 404 a browser logs as an error.
	resp, err = http.Get("http://" + s.HTTPAddr() + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	page := string(raw)
	for _, want := range []string{`<link rel="icon" href="data:,">`, `src="/docs/ui/swagger-ui-bundle.js"`} {
		if !strings.Contains(page, want) {
			t.Errorf("GET /docs lacks %s:\n%s", want, page)
		}
	}
	if strings.Contains(page, "http://") || strings.Contains(page, "https://") {
		t.Errorf("GET /docs loads something from elsewhere:\n%s", page)
	}
	// Swagger UI sends the value entered for an apiKey as the header.
	def := doc.SecurityDefinitions["bearer"]
	req, _ := http.NewRequest("GET", "http://"+s.HTTPAddr()+"/v1/accounts/x", nil)
	req.Header.Set(def.Name, "Bearer "+token(t, auth.Sales))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /v1/accounts/x with the docs' header = %d, want 404 (signed in, no such account)", resp.StatusCode)
	}
}
