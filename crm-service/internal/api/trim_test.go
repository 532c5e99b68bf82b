package api_test

import (
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// Account and contact owners are stored trimmed, as every other owner is,
// so `owner = "sam"` finds records assigned as " sam  " (a pasted name).
func TestAccountAndContactOwnersAreStoredTrimmed(t *testing.T) {
	e := newEnv(t)
	a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", Owner: " sam  "}})
	if err != nil || a.Owner != "sam" {
		t.Fatalf("create account: owner %q, %v", a.GetOwner(), err)
	}
	accs, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: `owner = "sam"`})
	if err != nil || len(accs.Accounts) != 1 || accs.Accounts[0].Id != a.Id {
		t.Fatalf("account owner filter: %v %v", accs, err)
	}
	up, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: a.Id, Owner: "\tsue "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || up.Owner != "sue" {
		t.Fatalf("update account: owner %q, %v", up.GetOwner(), err)
	}

	c, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana", Owner: " sam  "}})
	if err != nil || c.Owner != "sam" {
		t.Fatalf("create contact: owner %q, %v", c.GetOwner(), err)
	}
	cons, err := e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{Filter: `owner = "sam"`})
	if err != nil || len(cons.Contacts) != 1 || cons.Contacts[0].Id != c.Id {
		t.Fatalf("contact owner filter: %v %v", cons, err)
	}
	upc, err := e.contacts.UpdateContact(e.sales(), &crmv1.UpdateContactRequest{
		Contact: &crmv1.Contact{Id: c.Id, Owner: "sue  "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || upc.Owner != "sue" {
		t.Fatalf("update contact: owner %q, %v", upc.GetOwner(), err)
	}
}

// Case and activity subjects are stored trimmed, as names are.
func TestCaseAndActivitySubjectsAreStoredTrimmed(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "  Broken pump ", AccountId: a.Id}})
	if err != nil || cs.Subject != "Broken pump" {
		t.Fatalf("create case: subject %q, %v", cs.GetSubject(), err)
	}
	upc, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: cs.Id, Subject: "Broken pump\n"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	})
	if err != nil || upc.Subject != "Broken pump" || upc.Etag != cs.Etag {
		t.Fatalf("the same subject padded is no change: %v %v", upc, err)
	}

	act, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: " Call Tom  ", AccountId: a.Id,
	}})
	if err != nil || act.Subject != "Call Tom" {
		t.Fatalf("create activity: subject %q, %v", act.GetSubject(), err)
	}
	upa, err := e.activities.UpdateActivity(e.sales(), &crmv1.UpdateActivityRequest{
		Activity: &crmv1.Activity{Id: act.Id, Subject: "\tCall Tom back "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	})
	if err != nil || upa.Subject != "Call Tom back" {
		t.Fatalf("update activity: subject %q, %v", upa.GetSubject(), err)
	}
}

// A lead's company is stored trimmed, as names are, so the company filter
// (an exact match) and the company order find a pasted " Acme  " as
// "Acme"; the filter's value is read trimmed too.
func TestLeadCompanyIsStoredTrimmed(t *testing.T) {
	e := newEnv(t)
	l, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "Ana", Email: "ana@acme.example", Company: "  Acme  "}})
	if err != nil || l.Company != "Acme" {
		t.Fatalf("create lead: company %q, %v", l.GetCompany(), err)
	}
	for _, filter := range []string{`company = "Acme"`, `company = " Acme "`} {
		got, err := e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: filter})
		if err != nil || len(got.Leads) != 1 || got.Leads[0].Id != l.Id {
			t.Fatalf("%s: %v %v", filter, got, err)
		}
	}
	up, err := e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{
		Lead: &crmv1.Lead{Id: l.Id, Company: "Acme\t"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"company"}},
	})
	if err != nil || up.Company != "Acme" || up.Etag != l.Etag {
		t.Fatalf("the same company padded is no change: %v %v", up, err)
	}
	up, err = e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{
		Lead: &crmv1.Lead{Id: l.Id, Company: " Acme Corp "}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"company"}},
	})
	if err != nil || up.Company != "Acme Corp" {
		t.Fatalf("update lead: company %q, %v", up.GetCompany(), err)
	}
	imp, err := e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{
		Leads:      []*crmv1.Lead{{Name: "Bo", Email: "bo@beta.example", Company: " Beta  "}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "email", "company"}},
	})
	if err != nil || len(imp.Results) != 1 || imp.Results[0].Outcome != crmv1.ImportOutcome_IMPORT_OUTCOME_CREATED {
		t.Fatalf("import: %v %v", imp, err)
	}
	got, err := e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: imp.Results[0].Id})
	if err != nil || got.Company != "Beta" {
		t.Fatalf("imported lead: company %q, %v", got.GetCompany(), err)
	}
}

// Every owner is stored trimmed, so every list reads its owner filter
// trimmed too: `owner = " sam "` (a name pasted into a search box) finds
// sam's records, as the campaigns' filter and the report's always did,
// instead of silently matching nothing.
func TestOwnerFiltersAreReadTrimmed(t *testing.T) {
	e := newEnv(t)
	const filter = `owner = " sam  "`
	a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Acme", Owner: "sam"}})
	if err != nil {
		t.Fatal(err)
	}
	accs, err := e.accounts.ListAccounts(e.sales(), &crmv1.ListAccountsRequest{Filter: filter})
	if err != nil || len(accs.Accounts) != 1 {
		t.Errorf("accounts: %v %v", accs, err)
	}
	if _, err := e.contacts.CreateContact(e.sales(), &crmv1.CreateContactRequest{Contact: &crmv1.Contact{Name: "Ana", Owner: "sam"}}); err != nil {
		t.Fatal(err)
	}
	cons, err := e.contacts.ListContacts(e.sales(), &crmv1.ListContactsRequest{Filter: filter})
	if err != nil || len(cons.Contacts) != 1 {
		t.Errorf("contacts: %v %v", cons, err)
	}
	if _, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "Bo", Email: "bo@example.com", Owner: "sam"}}); err != nil {
		t.Fatal(err)
	}
	for _, order := range []string{"", "name"} {
		leads, err := e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: filter, OrderBy: order})
		if err != nil || len(leads.Leads) != 1 {
			t.Errorf("leads (order %q): %v %v", order, leads, err)
		}
	}
	if _, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Owner: "sam",
	}}); err != nil {
		t.Fatal(err)
	}
	opps, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: filter})
	if err != nil || len(opps.Opportunities) != 1 {
		t.Errorf("opportunities: %v %v", opps, err)
	}
	if _, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
		Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: "Call", AccountId: a.Id, Owner: "sam",
	}}); err != nil {
		t.Fatal(err)
	}
	acts, err := e.activities.ListActivities(e.sales(), &crmv1.ListActivitiesRequest{Filter: filter})
	if err != nil || len(acts.Activities) != 1 {
		t.Errorf("activities: %v %v", acts, err)
	}
	if _, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: a.Id, Owner: "sam"}}); err != nil {
		t.Fatal(err)
	}
	cases, err := e.cases.ListCases(e.service(), &crmv1.ListCasesRequest{Filter: filter})
	if err != nil || len(cases.Cases) != 1 {
		t.Errorf("cases: %v %v", cases, err)
	}
}
