package server

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"regexp"
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

// schemaDoc is the part of a Swagger 2.0 or OpenAPI 3.0 document that
// tells which fields are required and which are read-only.
type schemaDoc struct {
	OpenAPI     string
	Definitions map[string]schema
	Components  struct {
		Schemas         map[string]schema
		SecuritySchemes map[string]struct{ Type, Name, In string }
	}
	Paths map[string]map[string]struct {
		Parameters []struct {
			Name, In string
			Schema   schema
		}
		RequestBody struct {
			Content map[string]struct{ Schema schema }
		}
	}
}

type schema struct {
	Ref        string `json:"$ref"`
	Required   []string
	ReadOnly   bool
	Properties map[string]schema
}

// The documents mark what a create needs as required and what the server
// sets as read-only (google.api.field_behavior in proto/), so a client
// generated from them knows both; no field is both.
func TestOpenAPIFieldBehavior(t *testing.T) {
	t.Parallel()
	docs := map[string]schemaDoc{}
	for name, raw := range map[string][]byte{"crm": openapi.CRM, "erp": openapi.ERP, "bridge": openapi.Bridge} {
		var doc schemaDoc
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		docs[name] = doc
		for def, s := range doc.Definitions {
			for _, f := range s.Required {
				if s.Properties[f].ReadOnly {
					t.Errorf("%s: %s.%s is both required and read-only", name, def, f)
				}
			}
		}
		checkPatchBodies(t, name, doc.patchBodies())
	}
	for _, c := range []struct {
		doc, def           string
		required, readOnly []string
		writable           []string
	}{
		{"crm", "v1Account", []string{"name"}, []string{"id", "erp_customer_id", "payment_status", "open_balance", "balances", "create_time", "update_time"}, []string{"website", "etag", "billing_address"}},
		{"crm", "v1Opportunity", []string{"account_id", "name", "currency_code"}, []string{"id", "amount", "order", "payment_status", "close_owner"}, []string{"stage", "lines", "etag"}},
		{"crm", "v1OpportunityLine", []string{"sku", "quantity"}, []string{"amount", "available_quantity", "reserved_quantity", "shipped_quantity"}, []string{"unit_price", "discount_percent"}},
		{"crm", "v1Case", []string{"subject", "account_id"}, []string{"id", "sla_due_time", "breached"}, []string{"status", "priority"}},
		{"crm", "v1CampaignMember", nil, []string{"id", "campaign_id", "respond_time"}, []string{"status", "contact_id"}},
		{"erp", "v1Item", []string{"sku", "name", "list_price"}, []string{"create_time"}, []string{"standard_cost", "etag"}},
		{"erp", "v1SalesOrder", []string{"customer_id", "currency_code", "lines"}, []string{"id", "number", "status", "total", "revision"}, []string{"external_ref", "etag"}},
		{"erp", "v1Invoice", []string{"sales_order_id"}, []string{"number", "total", "open_amount", "status"}, []string{"issue_date"}},
		{"erp", "v1Payment", []string{"customer_id", "amount"}, []string{"number", "unallocated_amount", "status"}, []string{"allocations", "reference"}},
		{"bridge", "v1Failure", nil, []string{"id", "state", "create_time"}, nil},
	} {
		s, ok := docs[c.doc].Definitions[c.def]
		if !ok {
			t.Errorf("%s: no definition %s", c.doc, c.def)
			continue
		}
		for _, f := range c.required {
			if !slices.Contains(s.Required, f) {
				t.Errorf("%s: %s.required %v lacks %s", c.doc, c.def, s.Required, f)
			}
		}
		for _, f := range c.readOnly {
			if !s.Properties[f].ReadOnly {
				t.Errorf("%s: %s.%s is not readOnly", c.doc, c.def, f)
			}
		}
		for _, f := range c.writable {
			if p, ok := s.Properties[f]; !ok || p.ReadOnly || slices.Contains(s.Required, f) {
				t.Errorf("%s: %s.%s is missing, readOnly or required: clients must be free to send it or not", c.doc, c.def, f)
			}
		}
	}
}

// patchBodies are the body schemas of the document's PATCH operations,
// by path.
func (d schemaDoc) patchBodies() map[string]schema {
	bodies := map[string]schema{}
	for path, ops := range d.Paths {
		op, ok := ops["patch"]
		if !ok {
			continue
		}
		for _, p := range op.Parameters {
			if p.In == "body" {
				bodies[path] = p.Schema
			}
		}
		if c, ok := op.RequestBody.Content["application/json"]; ok {
			bodies[path] = c.Schema
		}
	}
	return bodies
}

// checkPatchBodies: a PATCH changes the fields it sends, so its body
// requires none, not even those a create needs (make generate drops the
// required list the generator copies from the resource; see
// tools/openapidoc).
func checkPatchBodies(t *testing.T, name string, bodies map[string]schema) {
	t.Helper()
	if len(bodies) == 0 && !strings.HasPrefix(name, "bridge") {
		t.Errorf("%s: no PATCH bodies", name)
	}
	for path, s := range bodies {
		if len(s.Required) > 0 || s.Ref != "" {
			t.Errorf("%s: PATCH %s body requires %v (ref %q), want nothing required", name, path, s.Required, s.Ref)
		}
		if len(s.Properties) == 0 {
			t.Errorf("%s: PATCH %s body lists no properties", name, path)
		}
	}
}

// The OpenAPI 3.0 documents have every route of the Swagger 2.0 ones (a
// path's parameters named as its get's), the same required and read-only
// markings, and the bearer token.
func TestOpenAPI3Documents(t *testing.T) {
	t.Parallel()
	template := regexp.MustCompile(`\{[^}]*\}`)
	for name, pair := range map[string][2][]byte{
		"crm": {openapi.CRM, openapi.CRM3}, "erp": {openapi.ERP, openapi.ERP3}, "bridge": {openapi.Bridge, openapi.Bridge3},
	} {
		var v2, v3 schemaDoc
		if err := json.Unmarshal(pair[0], &v2); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := json.Unmarshal(pair[1], &v3); err != nil {
			t.Fatalf("%s v3: %v", name, err)
		}
		if !strings.HasPrefix(v3.OpenAPI, "3.0.") {
			t.Errorf("%s: openapi %q, want 3.0.x", name, v3.OpenAPI)
		}
		routes := func(d schemaDoc) []string {
			var out []string
			for path, ops := range d.Paths {
				for method := range ops {
					out = append(out, strings.ToUpper(method)+" "+template.ReplaceAllString(path, "{}"))
				}
			}
			slices.Sort(out)
			return out
		}
		if r2, r3 := routes(v2), routes(v3); !slices.Equal(r2, r3) {
			t.Errorf("%s: OpenAPI 3 routes\n%v\nwant those of Swagger 2.0\n%v", name, r3, r2)
		}
		for def, s2 := range v2.Definitions {
			s3 := v3.Components.Schemas[def]
			if !slices.Equal(s2.Required, s3.Required) {
				t.Errorf("%s: %s required %v in OpenAPI 3, %v in Swagger 2.0", name, def, s3.Required, s2.Required)
			}
			for f, p := range s2.Properties {
				if p.ReadOnly != s3.Properties[f].ReadOnly {
					t.Errorf("%s: %s.%s readOnly %v in OpenAPI 3, %v in Swagger 2.0", name, def, f, s3.Properties[f].ReadOnly, p.ReadOnly)
				}
			}
		}
		checkPatchBodies(t, name+" v3", v3.patchBodies())
		if b := v3.Components.SecuritySchemes["bearer"]; b.Type != "apiKey" || b.In != "header" || b.Name != "Authorization" {
			t.Errorf("%s: securitySchemes %+v, want bearer: an apiKey in the Authorization header", name, v3.Components.SecuritySchemes)
		}
	}
}

// /openapi3.json serves the OpenAPI 3.0 document beside the Swagger 2.0
// one, without a token.
func TestServeOpenAPI3(t *testing.T) {
	t.Parallel()
	s := start(t, Config{})
	resp, err := http.Get("http://" + s.HTTPAddr() + "/openapi3.json")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var doc schemaDoc
	if err := json.Unmarshal(raw, &doc); err != nil || resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi3.json = %d %s %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		t.Errorf("openapi %q, want 3.0.x", doc.OpenAPI)
	}
	// The update's route joins the get's: one path, its parameter named id.
	ops := doc.Paths["/v1/accounts/{id}"]
	for _, m := range []string{"get", "patch", "delete"} {
		if _, ok := ops[m]; !ok {
			t.Errorf("/v1/accounts/{id} has no %s: %v", m, slices.Collect(maps.Keys(ops)))
		}
	}
	if _, ok := doc.Paths["/v1/accounts/{account.id}"]; ok {
		t.Error("/v1/accounts/{account.id} is a path of its own beside /v1/accounts/{id}")
	}
	post := doc.Paths["/v1/accounts"]["post"].RequestBody.Content["application/json"].Schema
	if post.Ref != "#/components/schemas/v1Account" || !slices.Contains(doc.Components.Schemas["v1Account"].Required, "name") {
		t.Errorf("POST /v1/accounts body %+v, want v1Account, which requires name", post)
	}
}
