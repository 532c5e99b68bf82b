package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"google.golang.org/genproto/googleapis/api/annotations"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/seamhq/seam/platform/server"
	_ "github.com/seamhq/seam/proto/bridge/v1"
	_ "github.com/seamhq/seam/proto/crm/v1"
	_ "github.com/seamhq/seam/proto/erp/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// The OpenAPI documents mark a response's lists required exactly where
// the REST gateway always writes them (server.ListsAlways): the rule is
// kept twice, in platform/server and in tools/openapidoc, and this holds
// the two copies together for every operation of the three APIs.
func TestOpenAPIRequiredListsFollowTheGateway(t *testing.T) {
	t.Parallel()
	for api, doc := range map[string][]byte{"crm": openapi.CRM, "erp": openapi.ERP, "bridge": openapi.Bridge} {
		var d struct {
			Paths map[string]map[string]struct {
				Responses map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					}
				}
			}
			Definitions map[string]struct {
				Required   []string
				Properties map[string]struct{ Type string }
			}
		}
		if err := json.Unmarshal(doc, &d); err != nil {
			t.Fatal(err)
		}
		checked := 0
		for _, ops := range d.Paths {
			for _, op := range ops {
				def, ok := strings.CutPrefix(op.Responses["200"].Schema.Ref, "#/definitions/")
				if !ok || def == "apiHttpBody" {
					continue
				}
				// v1SalesReport is erp.v1.SalesReport; bridgeV1Status is
				// bridge.v1.Status.
				name := api + ".v1." + strings.TrimPrefix(strings.TrimPrefix(def, "bridgeV1"), "v1")
				desc, err := protoregistry.GlobalFiles.FindDescriptorByName(protoreflect.FullName(name))
				if err != nil {
					t.Errorf("%s: no message %s for definition %s", api, name, def)
					continue
				}
				always := server.ListsAlways(desc.(protoreflect.MessageDescriptor))
				schema := d.Definitions[def]
				for prop, p := range schema.Properties {
					if p.Type != "array" {
						continue
					}
					checked++
					// Otherwise a list is required only as a create's input
					// (field_behavior REQUIRED: an order's lines).
					fd := desc.(protoreflect.MessageDescriptor).Fields().ByName(protoreflect.Name(prop))
					want := always || (fd != nil && requiredInput(fd))
					if required := slices.Contains(schema.Required, prop); required != want {
						t.Errorf("%s %s.%s: required %v, want %v (the gateway always writes it: %v)", api, def, prop, required, want, always)
					}
				}
			}
		}
		if checked == 0 {
			t.Errorf("%s: no response lists checked", api)
		}
	}
}

// requiredInput reports whether fd is marked REQUIRED (google.api.field_behavior).
func requiredInput(fd protoreflect.FieldDescriptor) bool {
	behaviors, _ := proto.GetExtension(fd.Options(), annotations.E_FieldBehavior).([]annotations.FieldBehavior)
	return slices.Contains(behaviors, annotations.FieldBehavior_REQUIRED)
}
