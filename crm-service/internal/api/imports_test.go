package api_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func summary(r *crmv1.ImportResponse) string {
	s := fmt.Sprintf("written=%v %d/%d/%d/%d", r.GetWritten(), r.GetCreated(), r.GetUpdated(), r.GetUnchanged(), r.GetInvalid())
	for _, res := range r.GetResults() {
		for _, v := range res.GetViolations() {
			s += fmt.Sprintf(" [%d %s]", res.GetIndex(), v.GetField())
		}
	}
	return s
}

func TestImportAccountsAPI(t *testing.T) {
	e := newEnv(t)
	rows := []*crmv1.Account{
		{Name: "Acme", Website: "acme.example", Owner: "ana", Etag: "99", CreateTime: timestamppb.Now()},
		{Name: "Globex", Website: "https://globex.example", BillingAddress: &crmv1.PostalAddress{City: "Oslo", CountryCode: "no"}},
		{Name: "Initech", Website: "initech.example"},
	}
	req := &crmv1.ImportAccountsRequest{Accounts: rows}
	resp, err := e.imports.ImportAccounts(e.sales(), req)
	if err != nil || summary(resp) != "written=false 2/0/0/1 [1 billing_address.country_code]" {
		t.Fatalf("all or nothing: %s %v", summary(resp), err)
	}
	if n := e.count(`SELECT count(*) FROM accounts`); n != 0 {
		t.Fatalf("%d accounts written", n)
	}
	req.Mode = crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID
	resp, err = e.imports.ImportAccounts(e.sales(), req)
	if err != nil || summary(resp) != "written=true 2/0/0/1 [1 billing_address.country_code]" || resp.Results[0].Id == "" || resp.Results[1].Id != "" {
		t.Fatalf("skip: %s %v", summary(resp), err)
	}
	acme, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: resp.Results[0].Id})
	if err != nil || acme.Owner != "ana" || acme.Etag != "1" {
		t.Fatalf("acme: %v %v", acme, err)
	}
	events := e.count(`SELECT count(*) FROM outbox_events`)
	rows[1].BillingAddress.CountryCode = "NO"
	resp, err = e.imports.ImportAccounts(e.sales(), req)
	if err != nil || summary(resp) != "written=true 1/0/2/0" {
		t.Fatalf("again: %s %v", summary(resp), err)
	}
	if n := e.count(`SELECT count(*) FROM outbox_events`); n != events+1 {
		t.Fatalf("%d events after, %d before; want one more", n, events)
	}
	// Only the masked fields change: the owner stays.
	resp, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts:   []*crmv1.Account{{Website: "acme.example", Industry: "Tools"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"website", "industry"}},
	})
	if err != nil || summary(resp) != "written=true 0/1/0/0" {
		t.Fatalf("masked: %s %v", summary(resp), err)
	}
	acme, _ = e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: acme.Id})
	if acme.Owner != "ana" || acme.Industry != "Tools" || acme.Etag != "2" {
		t.Fatalf("acme after masked import: %v", acme)
	}

	// Bad requests name the field.
	_, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "colour"}}})
	if v := violations(t, err); !slices.Equal(v, []string{"update_mask"}) {
		t.Fatalf("bad mask: %v", v)
	}
	_, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	if v := violations(t, err); !slices.Equal(v, []string{"update_mask"}) {
		t.Fatalf("mask without the key: %v", v)
	}
	_, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{Mode: 9})
	if v := violations(t, err); !slices.Equal(v, []string{"mode"}) {
		t.Fatalf("bad mode: %v", v)
	}
	_, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{Accounts: make([]*crmv1.Account, 5001)})
	if v := violations(t, err); !slices.Equal(v, []string{"accounts"}) {
		t.Fatalf("too many rows: %v", v)
	}
	_, err = e.imports.ImportAccounts(e.as(auth.Finance), req)
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.imports.ImportAccounts(t.Context(), req)
	wantCode(t, err, codes.Unauthenticated)

	// REST: the same route family answers 401, 403 and 400.
	if st, _ := e.call("POST", "/v1/accounts:import", "", map[string]any{}); st != 401 {
		t.Errorf("no token: %d", st)
	}
	if st, _ := e.call("POST", "/v1/contacts:import", token(t, auth.Finance), map[string]any{}); st != 403 {
		t.Errorf("finance: %d", st)
	}
	st, body := e.call("POST", "/v1/leads:import", token(t, auth.Sales), map[string]any{"update_mask": "name"})
	if st != 400 || !slices.Equal(restViolations(body), []string{"update_mask"}) {
		t.Errorf("bad mask over REST: %d %v", st, body)
	}
	st, body = e.call("POST", "/v1/contacts:import", token(t, auth.Sales), map[string]any{
		"contacts": []any{map[string]any{"name": "Ana", "email": "ana@example.com"}, map[string]any{"name": "Bo", "email": "bo@"}},
		"mode":     "IMPORT_MODE_SKIP_INVALID",
	})
	if st != 200 || body["created"] != float64(1) || body["invalid"] != float64(1) {
		t.Errorf("contacts over REST: %d %v", st, body)
	}
}

// A JSON body's update_mask names fields in snake_case or lowerCamelCase
// alike; a path that is neither is a violation of update_mask saying how
// paths are written, and an unknown field one listing the fields.
func TestImportMaskPathsOverREST(t *testing.T) {
	e := newEnv(t)
	sales := token(t, auth.Sales)
	acc, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", Website: "https://acme.example", Owner: "ana"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, mask := range []string{"external_id,website,industry", "externalId, industry", "billing_address,industry,external_id,website"} {
		industry := fmt.Sprint("tools ", i)
		st, body := e.call("POST", "/v1/accounts:import", sales, map[string]any{
			"accounts":    []any{map[string]any{"website": "https://acme.example", "external_id": "SAP-1", "industry": industry, "owner": "ignored"}},
			"update_mask": mask,
		})
		if st != 200 || body["updated"] != float64(1) {
			t.Fatalf("mask %q: %d %v", mask, st, body)
		}
		got, _ := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: acc.Id})
		if got.GetExternalId() != "SAP-1" || got.GetIndustry() != industry || got.GetOwner() != "ana" {
			t.Fatalf("mask %q: account %v", mask, got)
		}
	}
	for _, tt := range []struct{ mask, want string }{
		{"external-id", `"external-id" is not a field path: write field names as the API names them, in snake_case or lowerCamelCase`},
		{"colour_code", `unknown field "colour_code" (updatable: name, website,`},
	} {
		st, body := e.call("POST", "/v1/accounts:import", sales, map[string]any{"accounts": []any{}, "update_mask": tt.mask})
		desc := ""
		if d, _ := body["details"].([]any); len(d) == 1 {
			fvs, _ := d[0].(map[string]any)["field_violations"].([]any)
			if len(fvs) == 1 {
				desc, _ = fvs[0].(map[string]any)["description"].(string)
			}
		}
		if st != 400 || !slices.Equal(restViolations(body), []string{"update_mask"}) || !strings.Contains(desc, tt.want) {
			t.Errorf("mask %q: %d %v, want a violation of update_mask saying %q", tt.mask, st, body, tt.want)
		}
	}
}

// Two accounts on one domain (a duplicate made with force): a row
// matching both by its website is INVALID naming website and writes
// nothing; a row giving its id updates that account, over gRPC and REST.
func TestImportAccountsAmbiguousAPI(t *testing.T) {
	e := newEnv(t)
	first, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{
		Name: "Zeta Holding", Website: "zeta.example", BillingAddress: &crmv1.PostalAddress{City: "Bern", CountryCode: "CH"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	second, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Zeta Holding", Website: "zeta.example"}, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts: []*crmv1.Account{{Name: "Zeta Services", Website: "https://zeta.example"}},
		Mode:     crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 0/0/0/1 [0 website]" ||
		!strings.Contains(resp.Results[0].Violations[0].Description, "matches 2 accounts") {
		t.Fatalf("ambiguous row: %s %v %v", summary(resp), resp.GetResults(), err)
	}
	got, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: first.Id})
	if err != nil || got.Name != "Zeta Holding" || got.BillingAddress.GetCity() != "Bern" || got.Etag != "1" {
		t.Fatalf("the first account changed: %v %v", got, err)
	}

	// An exported row (every field, its id) updates the account it came
	// from.
	row := proto.Clone(second).(*crmv1.Account)
	row.Name = "Zeta Services"
	resp, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{Accounts: []*crmv1.Account{row}})
	if err != nil || summary(resp) != "written=true 0/1/0/0" || resp.Results[0].Id != second.Id {
		t.Fatalf("by id: %s %v", summary(resp), err)
	}
	st, body := e.call("POST", "/v1/accounts:import", token(t, auth.Sales), map[string]any{
		"accounts": []any{map[string]any{"id": first.Id, "industry": "Finance"}}, "update_mask": "industry",
	})
	if st != 200 || body["updated"] != float64(1) {
		t.Fatalf("by id over REST: %d %v", st, body)
	}
	got, _ = e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: first.Id})
	if got.Name != "Zeta Holding" || got.Industry != "Finance" || got.Etag != "2" {
		t.Fatalf("first after its id row: %v", got)
	}
	got, _ = e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: second.Id})
	if got.Name != "Zeta Services" || got.Industry != "" || got.Etag != "2" {
		t.Fatalf("second after its id row: %v", got)
	}
}

// Two contacts with one email (a duplicate made with force): a row
// matching both by its email is INVALID naming email and writes nothing;
// a row giving its id updates that contact, over gRPC and REST.
func TestImportContactsAmbiguousAPI(t *testing.T) {
	e := newEnv(t)
	first := e.createContact(&crmv1.Contact{Name: "Ana Ruiz", Email: "ana@example.com", Title: "CEO"})
	second, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana Ruiz", Email: "ANA@example.com"}, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := e.imports.ImportContacts(e.sales(), &crmv1.ImportContactsRequest{
		Contacts: []*crmv1.Contact{{Name: "Ana Ruiz", Email: "ana@example.com", Title: "CFO"}},
		Mode:     crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 0/0/0/1 [0 email]" ||
		!strings.Contains(resp.Results[0].Violations[0].Description, "matches 2 contacts") ||
		!strings.Contains(resp.Results[0].Violations[0].Description, second.Id) {
		t.Fatalf("ambiguous row: %s %v %v", summary(resp), resp.GetResults(), err)
	}
	got, err := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: first.Id})
	if err != nil || got.Title != "CEO" || got.Etag != "1" {
		t.Fatalf("the first contact changed: %v %v", got, err)
	}

	// An exported row (every field, its id) updates the contact it came
	// from.
	row := proto.Clone(second).(*crmv1.Contact)
	row.Title = "Assistant"
	resp, err = e.imports.ImportContacts(e.sales(), &crmv1.ImportContactsRequest{Contacts: []*crmv1.Contact{row}})
	if err != nil || summary(resp) != "written=true 0/1/0/0" || resp.Results[0].Id != second.Id {
		t.Fatalf("by id: %s %v", summary(resp), err)
	}
	st, body := e.call("POST", "/v1/contacts:import", token(t, auth.Sales), map[string]any{
		"contacts": []any{map[string]any{"id": first.Id, "phone": "+49 30 1234"}}, "update_mask": "phone",
	})
	if st != 200 || body["updated"] != float64(1) {
		t.Fatalf("by id over REST: %d %v", st, body)
	}
	got, _ = e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: first.Id})
	if got.Title != "CEO" || got.Phone != "+49 30 1234" || got.Etag != "2" {
		t.Fatalf("first after its id row: %v", got)
	}
	got, _ = e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: second.Id})
	if got.Title != "Assistant" || got.Phone != "" || got.Etag != "2" {
		t.Fatalf("second after its id row: %v", got)
	}
}

// Two leads with one email: a row matching both is INVALID on email; a
// row giving its id updates that lead.
func TestImportLeadsAmbiguousAPI(t *testing.T) {
	e := newEnv(t)
	first := e.createLead(&crmv1.Lead{Name: "Cy", Company: "Acme", Email: "cy@example.com"})
	second := e.createLeadAgain(&crmv1.Lead{Name: "Cy", Company: "Globex", Email: "Cy@Example.com"})
	resp, err := e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{
		Leads: []*crmv1.Lead{{Name: "Cy", Company: "Initech", Email: "cy@example.com"}},
		Mode:  crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 0/0/0/1 [0 email]" ||
		!strings.Contains(resp.Results[0].Violations[0].Description, "matches 2 leads") {
		t.Fatalf("ambiguous row: %s %v %v", summary(resp), resp.GetResults(), err)
	}
	resp, err = e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{
		Leads: []*crmv1.Lead{{Id: second.Id, Company: "Globex Ltd"}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"company"}},
	})
	if err != nil || summary(resp) != "written=true 0/1/0/0" || resp.Results[0].Id != second.Id {
		t.Fatalf("by id: %s %v", summary(resp), err)
	}
	got, _ := e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: first.Id})
	if got.Company != "Acme" || got.Etag != "1" {
		t.Fatalf("the first lead changed: %v", got)
	}
	got, _ = e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: second.Id})
	if got.Company != "Globex Ltd" || got.Etag != "2" {
		t.Fatalf("second after its id row: %v", got)
	}
}

// A row giving the id of a lead merged away (a file exported before the
// merge) is INVALID on id naming the lead it went into.
func TestImportLeadsRowOfMergedLead(t *testing.T) {
	e := newEnv(t)
	kept := e.createLead(&crmv1.Lead{Name: "Cy", Email: "cy@example.com"})
	dup := e.createLeadAgain(&crmv1.Lead{Name: "C.", Email: "cy@example.com"})
	if _, err := e.leads.MergeLead(e.sales(), &crmv1.MergeLeadRequest{Id: kept.Id, DuplicateId: dup.Id}); err != nil {
		t.Fatal(err)
	}
	resp, err := e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{
		Leads: []*crmv1.Lead{{Id: dup.Id, Title: "CTO"}, {Id: kept.Id, Title: "CEO"}}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"title"}},
		Mode: crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 0/1/0/1 [0 id]" ||
		!strings.Contains(resp.Results[0].Violations[0].Description, "merged into lead \""+kept.Id+"\"") {
		t.Fatalf("row of the merged lead: %s %v %v", summary(resp), resp.GetResults(), err)
	}
}

func TestImportLeadsAPI(t *testing.T) {
	e := newEnv(t)
	c := e.createCampaign("Spring")
	rows := []*crmv1.Lead{
		{Name: "Ana", Email: "ana@example.com", CampaignId: c.Id, Status: crmv1.LeadStatus_LEAD_STATUS_WORKING},
		{Name: "Bo", Email: "bo@example.com", CampaignId: "01900000-0000-7000-8000-000000000009"},
		{Name: "Cy", Email: "cy@example.com", Status: crmv1.LeadStatus_LEAD_STATUS_CONVERTED},
		{Name: "Dee", Email: "ANA@example.com"},
		{Email: "eve@example.com"},
	}
	resp, err := e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{Leads: rows, Mode: crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID, ValidateOnly: true})
	want := "written=false 1/0/0/4 [1 campaign_id] [2 status] [3 email] [4 name]"
	if err != nil || summary(resp) != want {
		t.Fatalf("validate only:\n got %s %v\nwant %s", summary(resp), err, want)
	}
	if n := e.count(`SELECT count(*) FROM leads`); n != 0 {
		t.Fatalf("validate only wrote %d leads", n)
	}
	resp, err = e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{Leads: rows, Mode: crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID})
	if err != nil || summary(resp) != "written=true"+want[len("written=false"):] {
		t.Fatalf("skip: %s %v", summary(resp), err)
	}
	l, err := e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: resp.Results[0].Id})
	if err != nil || l.Status != crmv1.LeadStatus_LEAD_STATUS_WORKING || l.CampaignId != c.Id {
		t.Fatalf("lead: %v %v", l, err)
	}
	// Back to NEW is not a move the lead may make.
	rows[0].Status = crmv1.LeadStatus_LEAD_STATUS_NEW
	resp, err = e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{Leads: rows[:1]})
	if err != nil || summary(resp) != "written=false 0/0/0/1 [0 ]" {
		t.Fatalf("status move: %s %v", summary(resp), err)
	}
}

func TestUpdateDuplicates(t *testing.T) {
	e := newEnv(t)
	acme, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", Website: "acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "ACME ", Website: "www.acme.example/x", Industry: "x"}, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	third := e.createAccount("Acme Labs")
	// Renaming into the duplicate key of Acme is refused, naming Acme.
	_, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: third.Id, Name: "acme", Website: "https://acme.example"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "website"}},
	})
	if ri := resourceInfo(t, err); ri.ResourceName != "accounts/"+acme.Id {
		t.Fatalf("resource %q, want accounts/%s", ri.ResourceName, acme.Id)
	}
	if got, _ := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: third.Id}); got.Name != "Acme Labs" || got.Etag != "1" {
		t.Fatalf("refused update wrote: %v", got)
	}
	// An update of the duplicate that keeps its key is no conflict (it
	// was forced into being), nor is one that changes another field.
	if _, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: other.Id, Industry: "y"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}},
	}); err != nil {
		t.Fatalf("update keeping the key: %v", err)
	}
	// Over REST, forced.
	st, body := e.call("PATCH", "/v1/accounts/"+third.Id, token(t, auth.Sales), map[string]any{"name": "Acme", "website": "acme.example"})
	if st != 409 {
		t.Fatalf("REST duplicate: %d %v", st, body)
	}
	st, body = e.call("PATCH", "/v1/accounts/"+third.Id+"?force=true", token(t, auth.Sales), map[string]any{"name": "Acme", "website": "acme.example"})
	if st != 200 || body["name"] != "Acme" {
		t.Fatalf("REST forced: %d %v", st, body)
	}

	ana := e.createContact(&crmv1.Contact{Name: "Ana", Email: "ana@example.com"})
	bo := e.createContact(&crmv1.Contact{Name: "Bo", Email: "bo@example.com"})
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: bo.Id, Email: " ANA@example.com"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}},
	})
	if ri := resourceInfo(t, err); ri.ResourceName != "contacts/"+ana.Id {
		t.Fatalf("resource %q, want contacts/%s", ri.ResourceName, ana.Id)
	}
	// The same email in another case is the contact's own: no conflict.
	if _, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: ana.Id, Email: "Ana@Example.com"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}},
	}); err != nil {
		t.Fatalf("own email: %v", err)
	}
	got, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: bo.Id, Email: "ana@example.com"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"email"}}, Force: true,
	})
	if err != nil || got.Email != "ana@example.com" {
		t.Fatalf("forced: %v %v", got, err)
	}
	st, body = e.call("PATCH", "/v1/contacts/"+ana.Id, token(t, auth.Sales), map[string]any{"email": "x@example.com", "name": "Ana"})
	if st != 200 {
		t.Fatalf("REST contact update: %d %v", st, body)
	}
	st, _ = e.call("PATCH", "/v1/contacts/"+ana.Id, token(t, auth.Sales), map[string]any{"email": "bo@example.com"})
	if st != 200 {
		t.Fatalf("REST contact update to bo's old email (free again): %d", st)
	}
	st, _ = e.call("PATCH", "/v1/contacts/"+bo.Id, token(t, auth.Sales), map[string]any{"email": "BO@example.com"})
	if st != 409 {
		t.Fatalf("REST contact duplicate: %d, want 409", st)
	}
}
