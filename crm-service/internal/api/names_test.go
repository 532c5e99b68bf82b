package api_test

import (
	"slices"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// Every name (accounts, opportunities, contacts, leads, campaigns) is
// stored without leading and trailing white space and is required once
// trimmed: on create, on update and in imports. A blank one is bad input
// naming the field and writes nothing.
func TestNamesAreTrimmedAndRequired(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	const blank = " \t\u00a0 "

	// Creates.
	before := e.rows()
	campaigns := e.count(`SELECT count(*) FROM campaigns`)
	_, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: blank, Website: "x.example"}})
	if f := violations(t, err); !slices.Equal(f, []string{"account.name"}) {
		t.Fatalf("blank account name: %v", f)
	}
	st, body := e.call("POST", "/v1/accounts", token(t, auth.Sales), map[string]any{"name": "   ", "website": "x.example"})
	if f := restViolations(body); st != 400 || !slices.Equal(f, []string{"account.name"}) {
		t.Fatalf("REST blank account name: %d %v", st, body)
	}
	a := e.createAccount("  probecrm  alpha gmbh ")
	if a.Name != "probecrm  alpha gmbh" {
		t.Fatalf("account name %q, want it trimmed", a.Name)
	}
	_, err = e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: "  ", CurrencyCode: "EUR",
	}})
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.name"}) {
		t.Fatalf("blank opportunity name: %v", f)
	}
	_, err = e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: blank, Email: "c@x.example"}})
	if f := violations(t, err); !slices.Equal(f, []string{"contact.name"}) {
		t.Fatalf("blank contact name: %v", f)
	}
	_, err = e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: blank}})
	if f := violations(t, err); !slices.Equal(f, []string{"campaign.name"}) {
		t.Fatalf("blank campaign name: %v", f)
	}
	after := e.rows()
	after.accounts--
	after.events--
	if after != before || e.count(`SELECT count(*) FROM campaigns`) != campaigns {
		t.Fatalf("blank names wrote: %+v -> %+v", before, after)
	}

	o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: " Gearboxes\n", CurrencyCode: "EUR", Lines: []*crmv1.OpportunityLine{line("SKU-1", "1")},
	}})
	if err != nil || o.Name != "Gearboxes" {
		t.Fatalf("opportunity: %v %v", o, err)
	}
	c, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: " Ana ", Email: "ana@x.example"}})
	if err != nil || c.Name != "Ana" {
		t.Fatalf("contact: %v %v", c, err)
	}
	l, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: " Bo ", Email: "bo@x.example"}})
	if err != nil || l.Name != "Bo" {
		t.Fatalf("lead: %v %v", l, err)
	}
	cp, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: " Spring "}})
	if err != nil || cp.Name != "Spring" {
		t.Fatalf("campaign: %v %v", cp, err)
	}

	// Search finds the account by the start of its name.
	found, err := e.search.Search(e.sales(), &crmv1.SearchRequest{Query: "probecrm", Types: "accounts"})
	if err != nil || len(found.Results) != 1 || found.Results[0].Id != a.Id {
		t.Fatalf("search: %v %v", found, err)
	}

	// Updates: blank is bad input, padding is trimmed, and a name equal to
	// the stored one once trimmed changes nothing.
	before = e.rows()
	_, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: a.Id, Name: blank}, UpdateMask: mask("name")})
	if f := violations(t, err); !slices.Equal(f, []string{"account.name"}) {
		t.Fatalf("blank account name on update: %v", f)
	}
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: &crmv1.Opportunity{Id: o.Id, Name: blank}, UpdateMask: mask("name")})
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.name"}) {
		t.Fatalf("blank opportunity name on update: %v", f)
	}
	_, err = e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: &crmv1.Contact{Id: c.Id, Name: blank}, UpdateMask: mask("name")})
	if f := violations(t, err); !slices.Equal(f, []string{"contact.name"}) {
		t.Fatalf("blank contact name on update: %v", f)
	}
	_, err = e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: l.Id, Name: blank}, UpdateMask: mask("name")})
	if f := violations(t, err); !slices.Equal(f, []string{"lead.name"}) {
		t.Fatalf("blank lead name on update: %v", f)
	}
	_, err = e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{Campaign: &crmv1.Campaign{Id: cp.Id, Name: blank}, UpdateMask: mask("name")})
	if f := violations(t, err); !slices.Equal(f, []string{"campaign.name"}) {
		t.Fatalf("blank campaign name on update: %v", f)
	}
	same, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Gearboxes  "}, UpdateMask: mask("name")})
	if err != nil || same.Etag != o.Etag {
		t.Fatalf("padded equal opportunity name: %v %v", same, err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("refused or no-op name updates wrote: %+v -> %+v", before, after)
	}
	up, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: &crmv1.Account{Id: a.Id, Name: " Probecrm Beta "}, UpdateMask: mask("name")})
	if err != nil || up.Name != "Probecrm Beta" {
		t.Fatalf("account update: %v %v", up, err)
	}
	uo, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{Opportunity: &crmv1.Opportunity{Id: o.Id, Name: " Gears "}, UpdateMask: mask("name")})
	if err != nil || uo.Name != "Gears" {
		t.Fatalf("opportunity update: %v %v", uo, err)
	}
	uc, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{Contact: &crmv1.Contact{Id: c.Id, Name: " Ana B "}, UpdateMask: mask("name")})
	if err != nil || uc.Name != "Ana B" {
		t.Fatalf("contact update: %v %v", uc, err)
	}
	ul, err := e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: l.Id, Name: " Bo C "}, UpdateMask: mask("name")})
	if err != nil || ul.Name != "Bo C" {
		t.Fatalf("lead update: %v %v", ul, err)
	}
	ucp, err := e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{Campaign: &crmv1.Campaign{Id: cp.Id, Name: " Summer "}, UpdateMask: mask("name")})
	if err != nil || ucp.Name != "Summer" {
		t.Fatalf("campaign update: %v %v", ucp, err)
	}

	// Imports (what crm-csv sends): a blank name is a bad row naming the
	// field, a padded one is stored trimmed, on create and on update.
	resp, err := e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts: []*crmv1.Account{{Name: blank, Website: "blank.example"}, {Name: " Padded ", Website: "padded.example"}},
		Mode:     crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 1/0/0/1 [0 name]" {
		t.Fatalf("import accounts: %s %v", summary(resp), err)
	}
	if got, _ := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: resp.Results[1].Id}); got.GetName() != "Padded" {
		t.Fatalf("imported account name %q", got.GetName())
	}
	resp, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts: []*crmv1.Account{{Name: "Padded  ", Website: "padded.example"}, {Name: blank, Website: "probecrm.example"}},
		Mode:     crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 0/0/1/1 [1 name]" {
		t.Fatalf("import accounts again: %s %v", summary(resp), err)
	}
	resp, err = e.imports.ImportContacts(e.sales(), &crmv1.ImportContactsRequest{
		Contacts: []*crmv1.Contact{{Name: blank, Email: "blank@x.example"}, {Name: " Cy ", Email: "cy@x.example"}, {Name: " Ana D ", Email: "ana@x.example"}},
		Mode:     crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 1/1/0/1 [0 name]" {
		t.Fatalf("import contacts: %s %v", summary(resp), err)
	}
	if got, _ := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: c.Id}); got.GetName() != "Ana D" {
		t.Fatalf("imported contact name %q", got.GetName())
	}
	resp, err = e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{
		Leads: []*crmv1.Lead{{Name: blank, Email: "blank@x.example"}, {Name: " Di ", Email: "di@x.example"}},
		Mode:  crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 1/0/0/1 [0 name]" {
		t.Fatalf("import leads: %s %v", summary(resp), err)
	}
	if got, _ := e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: resp.Results[1].Id}); got.GetName() != "Di" {
		t.Fatalf("imported lead name %q", got.GetName())
	}
	if n := e.count(`SELECT count(*) FROM (SELECT name FROM accounts UNION ALL SELECT name FROM contacts UNION ALL
		SELECT name FROM leads UNION ALL SELECT name FROM opportunities UNION ALL SELECT name FROM campaigns) n
		WHERE name <> btrim(name)`); n != 0 {
		t.Fatalf("%d names stored with padding", n)
	}
}
