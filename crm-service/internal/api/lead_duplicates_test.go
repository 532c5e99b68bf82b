package api_test

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// A lead with the email of another lead (ignoring case) is ALREADY_EXISTS
// naming that lead, as for contacts and accounts, unless force is set; so
// is an update giving a lead another lead's email. Imports then never
// meet two leads sharing an email that nobody chose to create.
func TestDuplicateLeadsAreRefused(t *testing.T) {
	e := newEnv(t)
	tom := e.createLead(&crmv1.Lead{Name: "Tom Ray", Email: "tom@rayfoods.example"})
	before := e.rows()
	_, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "Tom Again", Email: " Tom@RayFoods.example"}})
	if ri := resourceInfo(t, err); ri.ResourceName != "leads/"+tom.Id || ri.ResourceType != "crm.v1.Lead" ||
		!strings.Contains(ri.Description, tom.Id) {
		t.Fatalf("duplicate create: %v", ri)
	}
	if after := e.rows(); after != before {
		t.Fatalf("a refused create wrote %+v -> %+v", before, after)
	}
	// Through REST: 409, naming the lead.
	st, body := e.call("POST", "/v1/leads", token(t, auth.Sales), map[string]any{"name": "Tom Again", "email": "Tom@RayFoods.example"})
	if st != 409 || !strings.Contains(body["message"].(string), tom.Id) {
		t.Fatalf("REST duplicate create: %d %v", st, body)
	}
	// A lead without an email is no duplicate of another without one.
	e.createLead(&crmv1.Lead{Name: "No email"})
	e.createLead(&crmv1.Lead{Name: "No email either"})

	// force creates it; an import by that email then matches two leads.
	again, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Force: true, Lead: &crmv1.Lead{Name: "Tom Again", Email: "Tom@RayFoods.example"}})
	if err != nil {
		t.Fatal(err)
	}

	// An update to another lead's email, in any case, is refused; force
	// allows it. Changing only the case of the lead's own email is no
	// duplicate.
	ana := e.createLead(&crmv1.Lead{Name: "Ana", Email: "ana@acme.example"})
	mask := &fieldmaskpb.FieldMask{Paths: []string{"email"}}
	_, err = e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: ana.Id, Email: "TOM@rayfoods.example"}, UpdateMask: mask})
	if ri := resourceInfo(t, err); ri.ResourceName != "leads/"+tom.Id {
		t.Fatalf("duplicate update names %s, want the oldest lead %s", ri.ResourceName, tom.Id)
	}
	if up, err := e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: ana.Id, Email: "Ana@Acme.example"}, UpdateMask: mask}); err != nil || up.Email != "Ana@Acme.example" {
		t.Fatalf("own email in another case: %v %v", up, err)
	}
	if up, err := e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Force: true, Lead: &crmv1.Lead{Id: again.Id, Email: "ana@acme.example"}, UpdateMask: mask}); err != nil || up.Email != "ana@acme.example" {
		t.Fatalf("forced update: %v %v", up, err)
	}

	// A converted lead counts: the person came in before.
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: tom.Id, AccountId: e.createAccount("Ray Foods").Id})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "Tom", Email: "tom@rayfoods.example"}})
	if ri := resourceInfo(t, err); ri.ResourceName != "leads/"+conv.Id {
		t.Fatalf("duplicate of a converted lead: %v", ri)
	}
}
