package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// An account's website is empty or an http or https URL with a host: a
// bare host gets https:// before it, surrounding white space goes, and
// anything else is INVALID_ARGUMENT on account.website, on create, update
// and per import row (over gRPC and REST).
func TestAccountWebsiteForm(t *testing.T) {
	e := newEnv(t)
	for i, tc := range []struct{ sent, stored string }{
		{"", ""},
		{"   ", ""},
		{" https://www.acme.example/de?x=1 ", "https://www.acme.example/de?x=1"},
		{"HTTP://Acme.Example:8080", "HTTP://Acme.Example:8080"},
		{"acme.example/about", "https://acme.example/about"},
		{"\twww.acme.example\n", "https://www.acme.example"},
	} {
		a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{
			Account: &crmv1.Account{Name: "Acme " + string(rune('A'+i)), Website: tc.sent},
		})
		if err != nil || a.Website != tc.stored {
			t.Errorf("website %q: got %v %v, want %q", tc.sent, a.GetWebsite(), err, tc.stored)
		}
	}
	before := e.rows()
	acc := e.createAccount("Good")
	bad := []string{
		"not a url",
		"https://acme .example",
		"ftp://acme.example",
		"mailto:sales@acme.example",
		"javascript:alert(1)",
		"https://",
		"http:///path",
		"http:acme.example",
		"https://user:secret@acme.example",
		"acme.example:8080",
		"https://" + strings.Repeat("a", 2041),
	}
	for _, w := range bad {
		_, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "Bad", Website: w}})
		if v := violations(t, err); !slices.Equal(v, []string{"account.website"}) {
			t.Errorf("create with %q: violations %v", w, v)
		}
		_, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
			Account: &crmv1.Account{Id: acc.Id, Website: w}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"website"}},
		})
		if v := violations(t, err); !slices.Equal(v, []string{"account.website"}) {
			t.Errorf("update with %q: violations %v", w, v)
		}
	}
	// Every bad field at once.
	_, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Website: "not a url"}})
	if v := violations(t, err); !slices.Equal(v, []string{"account.name", "account.website"}) {
		t.Errorf("blank name and bad website: %v", v)
	}
	if after := e.rows(); after.accounts != before.accounts+1 || after.events != before.events+1 {
		t.Fatalf("refused websites wrote: %+v -> %+v", before, after)
	}

	// REST: the same violation, with a description saying what is wanted.
	st, body := e.call("POST", "/v1/accounts", token(t, auth.Sales), map[string]any{"name": "Rest", "website": "www.acme .example"})
	if st != 400 || !slices.Equal(restViolations(body), []string{"account.website"}) {
		t.Fatalf("REST create: %d %v", st, body)
	}

	// Import rows: a violation of the row's website, the others written.
	resp, err := e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts: []*crmv1.Account{
			{Name: "Initech", Website: "initech.example"},
			{Name: "Hooli", Website: "ftp://hooli.example"},
		},
		Mode: crmv1.ImportMode_IMPORT_MODE_SKIP_INVALID,
	})
	if err != nil || summary(resp) != "written=true 1/0/0/1 [1 website]" {
		t.Fatalf("import: %s %v", summary(resp), err)
	}
	if d := resp.Results[1].Violations[0].Description; !strings.Contains(d, "http or https URL") {
		t.Errorf("import row violation %q", d)
	}
	if got, _ := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: resp.Results[0].Id}); got.GetWebsite() != "https://initech.example" {
		t.Errorf("imported website %q", got.GetWebsite())
	}
}

// An account stored with a website of another form (before the rule)
// reads as it is, and keeps it through updates that do not change it: a
// mask without website, a full update sending it back, an import row
// with it. Changing it to another bad one is refused.
func TestAccountWebsiteStoredBeforeTheRule(t *testing.T) {
	e := newEnv(t)
	acc := e.createAccount("Oldco")
	const old = "see our brochure"
	if _, err := e.db.Exec(t.Context(), `UPDATE accounts SET website = $2, website_domain = $3 WHERE id = $1`, acc.Id, old, old); err != nil {
		t.Fatal(err)
	}
	got, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: acc.Id})
	if err != nil || got.Website != old {
		t.Fatalf("get: %v %v", got, err)
	}
	if st, body := e.call("GET", "/v1/accounts/"+acc.Id, token(t, auth.Sales), nil); st != 200 || body["website"] != old {
		t.Fatalf("REST get: %d %v", st, body)
	}
	// A mask without website.
	up, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: acc.Id, Industry: "tools", Website: "also bad"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}},
	})
	if err != nil || up.Website != old || up.Industry != "tools" {
		t.Fatalf("update of industry: %v %v", up, err)
	}
	// REST PATCH without a mask: the body's fields are the mask.
	if st, body := e.call("PATCH", "/v1/accounts/"+acc.Id, token(t, auth.Sales), map[string]any{"owner": "bo"}); st != 200 || body["website"] != old || body["owner"] != "bo" {
		t.Fatalf("REST patch: %d %v", st, body)
	}
	// Everything, the website sent back as it is.
	up, _ = e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: acc.Id})
	up.Owner = "carla"
	up, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: up})
	if err != nil || up.Website != old || up.Owner != "carla" {
		t.Fatalf("full update: %v %v", up, err)
	}
	// An import row updating it by id with the same website.
	resp, err := e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts:   []*crmv1.Account{{Id: acc.Id, Name: "Oldco", Website: old, Industry: "machines"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "website", "industry"}},
	})
	if err != nil || summary(resp) != "written=true 0/1/0/0" {
		t.Fatalf("import keeping the website: %s %v", summary(resp), err)
	}
	// Changed to another bad one: refused, by update and by import.
	_, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: acc.Id, Website: "see our new brochure"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"website"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"account.website"}) {
		t.Fatalf("update to another bad website: %v", v)
	}
	resp, err = e.imports.ImportAccounts(e.sales(), &crmv1.ImportAccountsRequest{
		Accounts:   []*crmv1.Account{{Id: acc.Id, Website: "see our new brochure"}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"website"}},
	})
	if err != nil || summary(resp) != "written=false 0/0/0/1 [0 website]" {
		t.Fatalf("import of another bad website: %s %v", summary(resp), err)
	}
	// Changed to a good one: taken.
	up, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: acc.Id, Website: "oldco.example"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"website"}},
	})
	if err != nil || up.Website != "https://oldco.example" {
		t.Fatalf("update to a good website: %v %v", up, err)
	}
}

// A lead's website is free text: converted into a new account it becomes
// an http or https URL, and one that cannot is FAILED_PRECONDITION (the
// lead can be corrected, or converted into a chosen account).
func TestConvertLeadWebsiteBecomesAnAccountWebsite(t *testing.T) {
	e := newEnv(t)
	l := e.createLead(&crmv1.Lead{Name: "Ana", Company: "Brochureco", Website: "see our brochure"})
	before := e.rows()
	_, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if !strings.Contains(status.Convert(err).Message(), "website") {
		t.Errorf("message %q does not name the website", status.Convert(err).Message())
	}
	if after := e.rows(); after != before {
		t.Fatalf("refused conversion wrote: %+v -> %+v", before, after)
	}
	acc := e.createAccount("Chosen")
	if conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id, AccountId: acc.Id}); err != nil || conv.ConvertedAccountId != acc.Id {
		t.Fatalf("into a chosen account: %v %v", conv, err)
	}
}
