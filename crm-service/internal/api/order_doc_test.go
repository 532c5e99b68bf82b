package api_test

import (
	"encoding/json"
	"maps"
	"slices"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/proto/openapi"
)

// Both OpenAPI documents list the orders of each sorted list as the
// order_by parameter's enum, each field ascending then descending (then
// its aliases), equal to the fields the list sorts by, so that a generated client (e.g.
// openapi-typescript) types order_by as the orders the server takes.
func TestOrderByDocumented(t *testing.T) {
	t.Parallel()
	type orders struct {
		fields  []string
		aliases map[string]string
	}
	lists := map[string]orders{
		"/v1/accounts":      {account.OrderFields, nil},
		"/v1/opportunities": {pipeline.OrderFields, pipeline.OrderAliases},
		"/v1/leads":         {lead.OrderFields, nil},
		"/v1/contacts":      {contact.OrderFields, nil},
		"/v1/campaigns":     {campaign.OrderFields, nil},
	}
	for name, doc := range map[string][]byte{"swagger": openapi.CRM, "openapi3": openapi.CRM3} {
		var d struct {
			Paths map[string]map[string]struct {
				Parameters []struct {
					Name   string
					Enum   []string
					Schema struct{ Enum []string }
				}
			}
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		for path, o := range lists {
			var want []string
			for _, f := range o.fields {
				want = append(want, f, f+" desc")
				for _, alias := range slices.Sorted(maps.Keys(o.aliases)) {
					if o.aliases[alias] == f {
						want = append(want, alias, alias+" desc")
					}
				}
			}
			var got []string
			found := false
			for _, p := range d.Paths[path]["get"].Parameters {
				if p.Name == "order_by" {
					found = true
					got = append(p.Enum, p.Schema.Enum...)
				}
			}
			if !found || !slices.Equal(got, want) {
				t.Errorf("%s: GET %s order_by enum %q, want %q", name, path, got, want)
			}
		}
	}
}

// The API documents mark a response's lists required, since the gateway
// always writes them ([] when empty): a generated client types them as
// always there. A resource's lists stay optional.
func TestResponseListsRequired(t *testing.T) {
	t.Parallel()
	for name, doc := range map[string][]byte{"swagger": openapi.CRM, "openapi3": openapi.CRM3} {
		var d struct {
			Definitions map[string]struct{ Required []string }
			Components  struct {
				Schemas map[string]struct{ Required []string }
			}
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		schemas := d.Definitions
		if name == "openapi3" {
			schemas = d.Components.Schemas
		}
		for schema, want := range map[string][]string{
			"v1ListOpportunitiesResponse": {"opportunities"},
			"v1ListLeadsResponse":         {"leads"},
			"v1Opportunity":               {"account_id", "name", "currency_code"}, // not lines
		} {
			if got := schemas[schema].Required; !slices.Equal(got, want) {
				t.Errorf("%s: %s required %v, want %v", name, schema, got, want)
			}
		}
	}
}
