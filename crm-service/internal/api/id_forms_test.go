package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/ids/idstest"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// An id is a UUID in its 36-character form (either case). Any other
// spelling, also of a record that exists, is INVALID_ARGUMENT naming the
// field it came in, in bodies, filters and query parameters: never handed
// to the database, which reads some of those forms and fails on others.
func TestOddIDFormsInBodiesAndFilters(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Admin)
	acc := e.createAccount("Acme").GetId()
	other := e.createAccount("Globex").GetId()
	opp := e.createOpportunity(acc).GetId()
	con := e.mustCall(tok, "POST", "/v1/contacts", map[string]any{"name": "Ana", "email": "ana@acme.example", "account_id": acc})
	act := e.mustCall(tok, "POST", "/v1/activities", map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "Hello", "account_id": acc})
	cas := e.mustCall(tok, "POST", "/v1/cases", map[string]any{"subject": "Broken", "account_id": acc})
	camp := e.mustCall(tok, "POST", "/v1/campaigns", map[string]any{"name": "Spring"})
	lead := e.mustCall(tok, "POST", "/v1/leads", map[string]any{"name": "Bo", "email": "bo@initech.example", "company": "Initech"})
	before := e.rows()

	type call struct {
		method, path string
		body         map[string]any
		field        string
	}
	filter := func(path, field, id string) call {
		return call{"GET", path + "?filter=" + url.QueryEscape(field+` = "`+id+`"`), nil, "filter"}
	}
	cases := []struct {
		name  string
		id    string // an existing id, spelt oddly by the test
		build func(id string) call
	}{
		{"CreateAccount.parent_account_id", acc, func(id string) call {
			return call{"POST", "/v1/accounts", map[string]any{"name": "Child", "parent_account_id": id}, "account.parent_account_id"}
		}},
		{"UpdateAccount.parent_account_id", other, func(id string) call {
			return call{"PATCH", "/v1/accounts/" + acc, map[string]any{"parent_account_id": id}, "account.parent_account_id"}
		}},
		{"CreateContact.account_id", acc, func(id string) call {
			return call{"POST", "/v1/contacts", map[string]any{"name": "Cy", "email": "cy@acme.example", "account_id": id}, "contact.account_id"}
		}},
		{"UpdateContact.account_id", other, func(id string) call {
			return call{"PATCH", "/v1/contacts/" + con, map[string]any{"account_id": id}, "contact.account_id"}
		}},
		{"CreateOpportunity.account_id", acc, func(id string) call {
			return call{"POST", "/v1/opportunities", map[string]any{"name": "Deal", "currency_code": "EUR", "account_id": id}, "opportunity.account_id"}
		}},
		{"CreateOpportunity.campaign_id", camp, func(id string) call {
			return call{"POST", "/v1/opportunities", map[string]any{"name": "Deal", "currency_code": "EUR", "account_id": acc, "campaign_id": id}, "opportunity.campaign_id"}
		}},
		{"UpdateOpportunity.campaign_id", camp, func(id string) call {
			return call{"PATCH", "/v1/opportunities/" + opp, map[string]any{"campaign_id": id}, "opportunity.campaign_id"}
		}},
		{"CreateActivity.account_id", acc, func(id string) call {
			return call{"POST", "/v1/activities", map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "x", "account_id": id}, "activity.account_id"}
		}},
		{"CreateActivity.contact_id", con, func(id string) call {
			return call{"POST", "/v1/activities", map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "x", "contact_id": id}, "activity.contact_id"}
		}},
		{"CreateActivity.opportunity_id", opp, func(id string) call {
			return call{"POST", "/v1/activities", map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "x", "opportunity_id": id}, "activity.opportunity_id"}
		}},
		{"CreateActivity.lead_id", lead, func(id string) call {
			return call{"POST", "/v1/activities", map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "x", "lead_id": id}, "activity.lead_id"}
		}},
		{"UpdateActivity.lead_id", lead, func(id string) call {
			return call{"PATCH", "/v1/activities/" + act, map[string]any{"lead_id": id}, "activity.lead_id"}
		}},
		{"UpdateActivity.account_id", acc, func(id string) call {
			return call{"PATCH", "/v1/activities/" + act, map[string]any{"account_id": id}, "activity.account_id"}
		}},
		{"UpdateActivity.contact_id", con, func(id string) call {
			return call{"PATCH", "/v1/activities/" + act, map[string]any{"contact_id": id}, "activity.contact_id"}
		}},
		{"UpdateActivity.opportunity_id", opp, func(id string) call {
			return call{"PATCH", "/v1/activities/" + act, map[string]any{"opportunity_id": id}, "activity.opportunity_id"}
		}},
		{"CreateCase.account_id", acc, func(id string) call {
			return call{"POST", "/v1/cases", map[string]any{"subject": "x", "account_id": id}, "case.account_id"}
		}},
		{"CreateCase.contact_id", con, func(id string) call {
			return call{"POST", "/v1/cases", map[string]any{"subject": "x", "account_id": acc, "contact_id": id}, "case.contact_id"}
		}},
		{"UpdateCase.contact_id", con, func(id string) call {
			return call{"PATCH", "/v1/cases/" + cas, map[string]any{"contact_id": id}, "case.contact_id"}
		}},
		{"CreateLead.campaign_id", camp, func(id string) call {
			return call{"POST", "/v1/leads", map[string]any{"name": "Cy", "email": "cy@initech.example", "campaign_id": id}, "lead.campaign_id"}
		}},
		{"UpdateLead.campaign_id", camp, func(id string) call {
			return call{"PATCH", "/v1/leads/" + lead, map[string]any{"campaign_id": id}, "lead.campaign_id"}
		}},
		{"ConvertLead.account_id", acc, func(id string) call {
			return call{"POST", "/v1/leads/" + lead + ":convert", map[string]any{"account_id": id}, "account_id"}
		}},

		{"ListAccounts.parent_account_id", acc, func(id string) call { return filter("/v1/accounts", "parent_account_id", id) }},
		{"ListContacts.account_id", acc, func(id string) call { return filter("/v1/contacts", "account_id", id) }},
		{"ListOpportunities.account_id", acc, func(id string) call { return filter("/v1/opportunities", "account_id", id) }},
		{"ListCases.account_id", acc, func(id string) call { return filter("/v1/cases", "account_id", id) }},
		{"ListActivities.account_id", acc, func(id string) call { return filter("/v1/activities", "account_id", id) }},
		{"ListActivities.contact_id", con, func(id string) call { return filter("/v1/activities", "contact_id", id) }},
		{"ListActivities.opportunity_id", opp, func(id string) call { return filter("/v1/activities", "opportunity_id", id) }},
		{"ListActivities.lead_id", lead, func(id string) call { return filter("/v1/activities", "lead_id", id) }},
		{"ListAuditEntries.resource", acc, func(id string) call { return filter("/v1/auditEntries", "resource", "accounts/"+id) }},
		{"GetPipelineReport.campaign_id", camp, func(id string) call {
			return call{"GET", "/v1/reports/pipeline?campaign_id=" + url.QueryEscape(id), nil, "campaign_id"}
		}},
	}
	for _, tc := range cases {
		for _, form := range idstest.OddForms(tc.id) {
			c := tc.build(form)
			status, body := e.call(c.method, c.path, tok, c.body)
			if f := restViolations(body); status != 400 || fmt.Sprint(f) != "["+c.field+"]" {
				t.Errorf("%s with %q: %d %v, want 400 naming %s", tc.name, form, status, body, c.field)
			}
		}
	}

	// Imports report the row's field.
	for _, form := range idstest.OddForms(acc) {
		resp, err := e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
			Accounts:   []*crmv1.Account{{Name: "Child", Website: "child.example", ParentAccountId: form}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "website", "parent_account_id"}},
		})
		if err != nil || summary(resp) != "written=false 0/0/0/1 [0 parent_account_id]" {
			t.Errorf("account import with parent %q: %s %v", form, summary(resp), err)
		}
		resp, err = e.imports.ImportContacts(e.sales(), &crmv1.ImportContactsRequest{
			Contacts:   []*crmv1.Contact{{Name: "Di", Email: "di@acme.example", AccountId: form}},
			UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "email", "account_id"}},
		})
		if err != nil || summary(resp) != "written=false 0/0/0/1 [0 account_id]" {
			t.Errorf("contact import with account %q: %s %v", form, summary(resp), err)
		}
	}
	if after := e.rows(); after != before {
		t.Errorf("refused calls wrote: %+v -> %+v", before, after)
	}
}

// mustCall makes a REST call that must succeed and returns the id of the
// resource it answers.
func (e *env) mustCall(tok, method, path string, body map[string]any) string {
	e.t.Helper()
	status, out := e.call(method, path, tok, body)
	if status != 200 {
		e.t.Fatalf("%s %s = %d %v", method, path, status, out)
	}
	id, _ := out["id"].(string)
	return id
}

// An id in upper case is the same UUID: accepted wherever ids are, compared
// as the UUID it names and kept and answered in the canonical lower-case
// form.
func TestUpperCaseIDs(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Admin)
	acc := e.createAccount("Acme").GetId()
	opp := e.createOpportunity(acc).GetId()
	up := strings.ToUpper

	if status, body := e.call("GET", "/v1/accounts/"+up(acc), tok, nil); status != 200 || body["id"] != acc {
		t.Errorf("GET account in upper case: %d %v", status, body)
	}
	con := e.mustCall(tok, "POST", "/v1/contacts", map[string]any{"name": "Ana", "email": "ana@acme.example", "account_id": up(acc)})
	// The links agree: the opportunity's account is the activity's.
	status, body := e.call("POST", "/v1/activities", tok, map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "Hello",
		"account_id": up(acc), "contact_id": up(con), "opportunity_id": up(opp)})
	if status != 200 || body["account_id"] != acc || body["contact_id"] != con || body["opportunity_id"] != opp {
		t.Errorf("activity with upper-case links: %d %v", status, body)
	}
	status, body = e.call("POST", "/v1/cases", tok, map[string]any{"subject": "Broken", "account_id": up(acc), "contact_id": up(con)})
	if status != 200 || body["account_id"] != acc || body["contact_id"] != con {
		t.Errorf("case with upper-case links: %d %v", status, body)
	}
	status, body = e.call("GET", "/v1/activities?filter="+url.QueryEscape(`opportunity_id = "`+up(opp)+`"`), tok, nil)
	if list, _ := body["activities"].([]any); status != 200 || len(list) != 1 {
		t.Errorf("activities of the opportunity in upper case: %d %v", status, body)
	}
	// A lead's campaign_id too, in creates, updates and imports.
	camp := e.mustCall(tok, "POST", "/v1/campaigns", map[string]any{"name": "Spring"})
	status, body = e.call("POST", "/v1/leads", tok, map[string]any{"name": "Cy", "email": "cy@acme.example", "campaign_id": up(camp)})
	if status != 200 || body["campaign_id"] != camp {
		t.Fatalf("lead with an upper-case campaign: %d %v", status, body)
	}
	lead := body["id"].(string)
	if _, err := e.db.Exec(e.sales(), `UPDATE leads SET campaign_id = '' WHERE id = $1`, lead); err != nil {
		t.Fatal(err)
	}
	status, body = e.call("PATCH", "/v1/leads/"+lead, tok, map[string]any{"campaign_id": up(camp)})
	if status != 200 || body["campaign_id"] != camp {
		t.Errorf("lead update to an upper-case campaign: %d %v", status, body)
	}
	resp, err := e.imports.ImportLeads(e.sales(), &crmv1.ImportLeadsRequest{
		Leads:      []*crmv1.Lead{{Name: "Di", Email: "di@acme.example", CampaignId: up(camp)}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "email", "campaign_id"}},
	})
	if err != nil || summary(resp) != "written=true 1/0/0/0" {
		t.Fatalf("lead import with an upper-case campaign: %s %v", summary(resp), err)
	}
	if n := e.count(`SELECT count(*) FROM leads WHERE campaign_id = $1`, camp); n != 2 {
		t.Errorf("%d leads name the campaign in lower case, want 2", n)
	}
}

// An id in a path is read by the same rule: any spelling but the
// 36-character form is INVALID_ARGUMENT naming the path's field (id, or
// account.id and the like for an update, account_id and opportunity_id
// for the sync API), also when it spells a record that exists; a
// well-formed id that names nothing is NOT_FOUND.
func TestOddIDFormsInPaths(t *testing.T) {
	e := newEnv(t)
	tok := token(t, auth.Admin)
	acc := e.createAccount("Acme").GetId()
	opp := e.createOpportunity(acc).GetId()
	con := e.mustCall(tok, "POST", "/v1/contacts", map[string]any{"name": "Ana", "email": "ana@acme.example", "account_id": acc})
	act := e.mustCall(tok, "POST", "/v1/activities", map[string]any{"type": "ACTIVITY_TYPE_CALL", "subject": "Hello", "account_id": acc})
	cas := e.mustCall(tok, "POST", "/v1/cases", map[string]any{"subject": "Broken", "account_id": acc})
	camp := e.mustCall(tok, "POST", "/v1/campaigns", map[string]any{"name": "Spring"})
	lead := e.mustCall(tok, "POST", "/v1/leads", map[string]any{"name": "Bo", "email": "bo@initech.example", "company": "Initech"})
	before := e.rows()

	seg := url.PathEscape
	type call struct {
		method, path string
		body         map[string]any
		field        string
	}
	cases := []struct {
		name  string
		id    string
		build func(id string) call
	}{
		{"GetAccount", acc, func(id string) call { return call{"GET", "/v1/accounts/" + seg(id), nil, "id"} }},
		{"UpdateAccount", acc, func(id string) call {
			return call{"PATCH", "/v1/accounts/" + seg(id), map[string]any{"industry": "tools"}, "account.id"}
		}},
		{"DeleteAccount", acc, func(id string) call { return call{"DELETE", "/v1/accounts/" + seg(id), nil, "id"} }},
		{"GetAccountOverview", acc, func(id string) call { return call{"GET", "/v1/accounts/" + seg(id) + ":overview", nil, "id"} }},
		{"LinkAccount", acc, func(id string) call {
			return call{"POST", "/v1/accounts/" + seg(id) + ":linkCustomer", map[string]any{"erp_customer_id": "c-1"}, "account_id"}
		}},
		{"SetAccountPaymentStatus", acc, func(id string) call {
			return call{"POST", "/v1/accounts/" + seg(id) + ":setPaymentStatus",
				map[string]any{"balances": []any{map[string]any{
					"currency_code": "EUR", "source_version": "1",
					"open_balance":    map[string]any{"currency_code": "EUR", "amount": "1.00"},
					"overdue_balance": map[string]any{"currency_code": "EUR", "amount": "0"},
				}}}, "account_id"}
		}},
		{"GetContact", con, func(id string) call { return call{"GET", "/v1/contacts/" + seg(id), nil, "id"} }},
		{"UpdateContact", con, func(id string) call {
			return call{"PATCH", "/v1/contacts/" + seg(id), map[string]any{"title": "CEO"}, "contact.id"}
		}},
		{"DeleteContact", con, func(id string) call { return call{"DELETE", "/v1/contacts/" + seg(id), nil, "id"} }},
		{"GetLead", lead, func(id string) call { return call{"GET", "/v1/leads/" + seg(id), nil, "id"} }},
		{"UpdateLead", lead, func(id string) call {
			return call{"PATCH", "/v1/leads/" + seg(id), map[string]any{"title": "CTO"}, "lead.id"}
		}},
		{"DeleteLead", lead, func(id string) call { return call{"DELETE", "/v1/leads/" + seg(id), nil, "id"} }},
		{"ConvertLead", lead, func(id string) call { return call{"POST", "/v1/leads/" + seg(id) + ":convert", map[string]any{}, "id"} }},
		{"GetActivity", act, func(id string) call { return call{"GET", "/v1/activities/" + seg(id), nil, "id"} }},
		{"UpdateActivity", act, func(id string) call {
			return call{"PATCH", "/v1/activities/" + seg(id), map[string]any{"subject": "Bye"}, "activity.id"}
		}},
		{"DeleteActivity", act, func(id string) call { return call{"DELETE", "/v1/activities/" + seg(id), nil, "id"} }},
		{"GetCase", cas, func(id string) call { return call{"GET", "/v1/cases/" + seg(id), nil, "id"} }},
		{"UpdateCase", cas, func(id string) call {
			return call{"PATCH", "/v1/cases/" + seg(id), map[string]any{"subject": "Fixed"}, "case.id"}
		}},
		{"DeleteCase", cas, func(id string) call { return call{"DELETE", "/v1/cases/" + seg(id), nil, "id"} }},
		{"GetOpportunity", opp, func(id string) call { return call{"GET", "/v1/opportunities/" + seg(id), nil, "id"} }},
		{"UpdateOpportunity", opp, func(id string) call {
			return call{"PATCH", "/v1/opportunities/" + seg(id), map[string]any{"name": "Big deal"}, "opportunity.id"}
		}},
		{"DeleteOpportunity", opp, func(id string) call { return call{"DELETE", "/v1/opportunities/" + seg(id), nil, "id"} }},
		{"WinOpportunity", opp, func(id string) call {
			return call{"POST", "/v1/opportunities/" + seg(id) + ":win", map[string]any{}, "id"}
		}},
		{"LoseOpportunity", opp, func(id string) call {
			return call{"POST", "/v1/opportunities/" + seg(id) + ":lose", map[string]any{}, "id"}
		}},
		{"ReopenOpportunity", opp, func(id string) call {
			return call{"POST", "/v1/opportunities/" + seg(id) + ":reopen", map[string]any{}, "id"}
		}},
		{"SetOpportunityOrder", opp, func(id string) call {
			return call{"POST", "/v1/opportunities/" + seg(id) + ":setOrder",
				map[string]any{"order_id": "o-1", "order_number": "SO-1", "status": "FULFILLMENT_STATUS_PENDING", "source_version": 1}, "opportunity_id"}
		}},
		{"SetOpportunityPaymentStatus", opp, func(id string) call {
			return call{"POST", "/v1/opportunities/" + seg(id) + ":setPaymentStatus",
				map[string]any{"payment_status": "PAYMENT_STATUS_OPEN", "source_version": 1}, "opportunity_id"}
		}},
		{"ListStageChanges", opp, func(id string) call {
			return call{"GET", "/v1/opportunities/" + seg(id) + "/history", nil, "opportunity_id"}
		}},
		{"GetCampaign", camp, func(id string) call { return call{"GET", "/v1/campaigns/" + seg(id), nil, "id"} }},
		{"UpdateCampaign", camp, func(id string) call {
			return call{"PATCH", "/v1/campaigns/" + seg(id), map[string]any{"channel": "email"}, "campaign.id"}
		}},
		{"DeleteCampaign", camp, func(id string) call { return call{"DELETE", "/v1/campaigns/" + seg(id), nil, "id"} }},
		{"GetCampaignStats", camp, func(id string) call { return call{"GET", "/v1/campaigns/" + seg(id) + ":stats", nil, "id"} }},
	}
	for _, tc := range cases {
		for _, form := range idstest.OddForms(tc.id) {
			c := tc.build(form)
			status, body := e.call(c.method, c.path, tok, c.body)
			if f := restViolations(body); status != 400 || fmt.Sprint(f) != "["+c.field+"]" {
				t.Errorf("%s with %q: %d %v, want 400 naming %s", tc.name, form, status, body, c.field)
			}
		}
	}
	for _, form := range idstest.OddForms(opp) {
		stream, err := e.opportunities.WatchOpportunity(e.sales(), &crmv1.WatchOpportunityRequest{Id: form})
		if err == nil {
			_, err = stream.Recv()
		}
		if f := violations(t, err); fmt.Sprint(f) != "[id]" {
			t.Errorf("WatchOpportunity with %q names %v", form, f)
		}
	}
	if after := e.rows(); after != before {
		t.Errorf("refused calls wrote: %+v -> %+v", before, after)
	}

	const none = "01900000-0000-7000-8000-000000000001"
	for _, tc := range cases {
		if tc.name == "ListStageChanges" {
			continue // a list, kept after the opportunity is deleted: empty
		}
		c := tc.build(none)
		if status, body := e.call(c.method, c.path, tok, c.body); status != 404 {
			t.Errorf("%s of nothing: %d %v, want 404", tc.name, status, body)
		}
	}
}
