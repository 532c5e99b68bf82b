package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func (e *env) createLead(l *crmv1.Lead) *crmv1.Lead {
	e.t.Helper()
	got, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: l})
	if err != nil {
		e.t.Fatalf("create lead: %v", err)
	}
	return got
}

// createLeadAgain creates a lead with force: for a person who comes in
// again, with the email of a lead that exists.
func (e *env) createLeadAgain(l *crmv1.Lead) *crmv1.Lead {
	e.t.Helper()
	got, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: l, Force: true})
	if err != nil {
		e.t.Fatalf("create lead: %v", err)
	}
	return got
}

func TestLeadLifecycle(t *testing.T) {
	e := newEnv(t)
	spring := e.createCampaign("Spring").Id // campaign_id must name a campaign
	req := &crmv1.CreateLeadRequest{RequestId: "l-1", Lead: &crmv1.Lead{
		Name: "Ana Lima", Company: "Acme", Email: "ana@acme.example", Source: "web", CampaignId: spring,
		Owner: "alice", ConvertedAccountId: "forged", Etag: "7",
	}}
	l, err := e.leads.CreateLead(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	if l.Status != crmv1.LeadStatus_LEAD_STATUS_NEW || l.ConvertedAccountId != "" || l.Etag != "1" {
		t.Fatalf("created %v", l)
	}
	before := e.rows()
	again, err := e.leads.CreateLead(e.sales(), req)
	if err != nil || !proto.Equal(again, l) {
		t.Fatalf("retry %v %v", again, err)
	}
	// The same request_id with another body, or from another caller, is
	// not a retry.
	_, err = e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{RequestId: "l-1", Lead: &crmv1.Lead{Name: "Other"}})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Errorf("reuse with another body: %v", err)
	}
	_, err = e.leads.CreateLead(e.asSubject("another-partner", auth.Sales), req)
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Errorf("reuse by another caller: %v", err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("retry wrote: %+v -> %+v", before, after)
	}
	got, err := e.leads.GetLead(e.as(auth.Finance), &crmv1.GetLeadRequest{Id: l.Id})
	if err != nil || !proto.Equal(got, l) {
		t.Fatalf("get %v %v", got, err)
	}

	statusMask := &fieldmaskpb.FieldMask{Paths: []string{"status"}}
	setStatus := func(s crmv1.LeadStatus, etag string) (*crmv1.Lead, error) {
		return e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: l.Id, Status: s, Etag: etag}, UpdateMask: statusMask})
	}
	w, err := setStatus(crmv1.LeadStatus_LEAD_STATUS_WORKING, "1")
	if err != nil || w.Status != crmv1.LeadStatus_LEAD_STATUS_WORKING || w.Etag != "2" {
		t.Fatalf("working %v %v", w, err)
	}
	_, err = setStatus(crmv1.LeadStatus_LEAD_STATUS_QUALIFIED, "1")
	wantCode(t, err, codes.Aborted)
	_, err = setStatus(crmv1.LeadStatus_LEAD_STATUS_NEW, "")
	wantCode(t, err, codes.FailedPrecondition)
	_, err = setStatus(crmv1.LeadStatus_LEAD_STATUS_CONVERTED, "")
	if f := violations(t, err); !slices.Equal(f, []string{"lead.status"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = setStatus(crmv1.LeadStatus(99), "")
	if f := violations(t, err); !slices.Equal(f, []string{"lead.status"}) {
		t.Fatalf("violations %v", f)
	}
	d, err := setStatus(crmv1.LeadStatus_LEAD_STATUS_DISQUALIFIED, "")
	if err != nil || d.Status != crmv1.LeadStatus_LEAD_STATUS_DISQUALIFIED {
		t.Fatalf("disqualified %v %v", d, err)
	}
	// PATCH of other fields without a status keeps it.
	up, err := e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: l.Id, Name: "Ana L.", Company: "Acme", Email: "ana@acme.example", Owner: "alice"}})
	if err != nil || up.Status != crmv1.LeadStatus_LEAD_STATUS_DISQUALIFIED || up.Name != "Ana L." || up.Source != "" {
		t.Fatalf("update without status %v %v", up, err)
	}
	if after := e.rows(); after.leads != 1 || after.events != before.events+3 {
		t.Fatalf("rows %+v, before %+v", after, before)
	}

	resp, err := e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: `status = "disqualified" AND email = "ANA@acme.example"`})
	if err != nil || len(resp.Leads) != 1 {
		t.Fatalf("list %v %v", resp, err)
	}
	resp, err = e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: `status = "LEAD_STATUS_NEW"`})
	if err != nil || len(resp.Leads) != 0 {
		t.Fatalf("list new %v %v", resp, err)
	}
	resp, err = e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: `company = "Acme"`, OrderBy: "name"})
	if err != nil || len(resp.Leads) != 1 {
		t.Fatalf("list by company %v %v", resp, err)
	}
	resp, err = e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: `company = "Acme Ltd"`})
	if err != nil || len(resp.Leads) != 0 {
		t.Fatalf("list by another company %v %v", resp, err)
	}
	for _, bad := range []string{`status = "lost"`, `phone = "1"`} {
		_, err := e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: bad})
		if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
			t.Fatalf("%s: %v", bad, f)
		}
	}

	_, err = e.leads.DeleteLead(e.sales(), &crmv1.DeleteLeadRequest{Id: l.Id, Etag: "1"})
	wantCode(t, err, codes.Aborted)
	if _, err := e.leads.DeleteLead(e.sales(), &crmv1.DeleteLeadRequest{Id: l.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.leads.GetLead(e.sales(), &crmv1.GetLeadRequest{Id: l.Id})
	wantCode(t, err, codes.NotFound)
	for typ, want := range map[string]int{"lead.created": 1, "lead.updated": 3, "lead.deleted": 1} {
		if n := e.eventsOfType(typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
}

func TestCreateLeadBadInput(t *testing.T) {
	e := newEnv(t)
	before := e.rows()
	tests := []struct {
		l    *crmv1.Lead
		want []string
	}{
		{&crmv1.Lead{}, []string{"lead.name"}},
		{&crmv1.Lead{Name: "A", Email: "x@", Phone: "abc", Company: strings.Repeat("c", 201), Status: crmv1.LeadStatus_LEAD_STATUS_CONVERTED},
			[]string{"lead.company", "lead.email", "lead.phone", "lead.status"}},
	}
	for i, tc := range tests {
		_, err := e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: tc.l})
		if f := violations(t, err); !slices.Equal(f, tc.want) {
			t.Errorf("case %d: %v, want %v", i, f, tc.want)
		}
	}
	_, err := e.leads.CreateLead(e.as(auth.Service), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "A"}})
	wantCode(t, err, codes.PermissionDenied)
	if after := e.rows(); after != before {
		t.Fatalf("rejected creates wrote: %+v -> %+v", before, after)
	}
}

func TestConvertLeadCreatesRecords(t *testing.T) {
	e := newEnv(t)
	l := e.createLead(&crmv1.Lead{Name: "Ana Lima", Company: "Acme", Website: "acme.example", Email: "ana@acme.example",
		Phone: "+49 30 1", Title: "CFO", Owner: "alice"})
	before := e.rows()
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id, Etag: l.Etag, RequestId: "cv-1",
		Opportunity: &crmv1.LeadOpportunity{Name: "Acme first order", CurrencyCode: "EUR", ExpectedCloseDate: "2031-01-31"}})
	if err != nil {
		t.Fatal(err)
	}
	if conv.Status != crmv1.LeadStatus_LEAD_STATUS_CONVERTED || conv.ConvertedAccountId == "" || conv.ConvertedContactId == "" ||
		conv.ConvertedOpportunityId == "" || conv.ConvertTime == nil || conv.Etag != "2" {
		t.Fatalf("converted %v", conv)
	}
	acc, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: conv.ConvertedAccountId})
	if err != nil || acc.Name != "Acme" || acc.Website != "https://acme.example" || acc.Owner != "alice" {
		t.Fatalf("account %v %v", acc, err)
	}
	c, err := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: conv.ConvertedContactId})
	if err != nil || c.AccountId != acc.Id || c.Name != "Ana Lima" || c.Email != "ana@acme.example" || c.Title != "CFO" {
		t.Fatalf("contact %v %v", c, err)
	}
	o, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: conv.ConvertedOpportunityId})
	if err != nil || o.AccountId != acc.Id || o.Owner != "alice" || o.Stage != crmv1.Stage_STAGE_PROSPECTING || o.ExpectedCloseDate != "2031-01-31" {
		t.Fatalf("opportunity %v %v", o, err)
	}
	after := e.rows()
	if after.accounts != before.accounts+1 || after.contacts != before.contacts+1 || after.opportunities != before.opportunities+1 ||
		after.events != before.events+4 || after.keys != before.keys+1 {
		t.Fatalf("rows %+v -> %+v", before, after)
	}
	evs := e.feed(5)
	var types []string
	for _, ev := range evs {
		types = append(types, ev.Type)
	}
	if want := []string{"lead.created", "account.created", "contact.created", "opportunity.created", "lead.converted"}; !slices.Equal(types, want) {
		t.Fatalf("events %v, want %v", types, want)
	}
	if last := evs[4]; last.GetLead().GetConvertedContactId() != c.Id || last.Version != 2 {
		t.Fatalf("converted event %v", last)
	}

	// A retry returns the converted lead; a second conversion is refused;
	// neither writes anything.
	again, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id, Etag: l.Etag, RequestId: "cv-1",
		Opportunity: &crmv1.LeadOpportunity{Name: "Acme first order", CurrencyCode: "EUR", ExpectedCloseDate: "2031-01-31"}})
	if err != nil || !proto.Equal(again, conv) {
		t.Fatalf("retry %v %v", again, err)
	}
	_, err = e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id, RequestId: "cv-1"})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Errorf("reuse with another body: %v", err)
	}
	_, err = e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id, RequestId: "cv-2"})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{Lead: &crmv1.Lead{Id: l.Id, Name: "x"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}}})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.leads.DeleteLead(e.sales(), &crmv1.DeleteLeadRequest{Id: l.Id})
	wantCode(t, err, codes.FailedPrecondition)
	if now := e.rows(); now != after {
		t.Fatalf("refused conversions wrote: %+v -> %+v", after, now)
	}
}

func TestConvertLeadReusesRecords(t *testing.T) {
	e := newEnv(t)
	acc, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: "ACME", Website: "https://www.acme.example"}})
	if err != nil {
		t.Fatal(err)
	}
	c := e.createContact(&crmv1.Contact{AccountId: acc.Id, Name: "Ana", Email: "Ana@Acme.example"})
	l := e.createLead(&crmv1.Lead{Name: "Ana Lima", Company: "acme", Website: "acme.example/about", Email: "ana@acme.example"})
	before := e.rows()
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id})
	if err != nil {
		t.Fatal(err)
	}
	if conv.ConvertedAccountId != acc.Id || conv.ConvertedContactId != c.Id || conv.ConvertedOpportunityId != "" {
		t.Fatalf("converted %v, want account %s contact %s", conv, acc.Id, c.Id)
	}
	if after := e.rows(); after.accounts != before.accounts || after.contacts != before.contacts || after.events != before.events+1 {
		t.Fatalf("reuse wrote records: %+v -> %+v", before, after)
	}

	// An explicit account wins over the lookup; a new contact goes there.
	other := e.createAccount("Other")
	l2 := e.createLead(&crmv1.Lead{Name: "Bo", Company: "Acme", Website: "acme.example", Email: "bo@acme.example"})
	conv2, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l2.Id, AccountId: other.Id})
	if err != nil || conv2.ConvertedAccountId != other.Id {
		t.Fatalf("explicit account %v %v", conv2, err)
	}
	if c2, _ := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: conv2.ConvertedContactId}); c2.GetAccountId() != other.Id {
		t.Fatalf("new contact %v not at the chosen account", c2)
	}
}

// Converted into a chosen account, a lead ends with a contact at that
// account: a contact with its email at another account is not linked, a
// new one is created at the chosen account, and that one is reused by the
// next conversion into it. Without a chosen account the oldest contact
// with the email is reused, wherever it is.
func TestConvertLeadIntoChosenAccountKeepsContactThere(t *testing.T) {
	e := newEnv(t)
	alpha, beta := e.createAccount("Alpha"), e.createAccount("Beta")
	atAlpha := e.createContact(&crmv1.Contact{AccountId: alpha.Id, Name: "Ana", Email: "ana@shared.example"})
	contactAt := func(l *crmv1.Lead) *crmv1.Contact {
		t.Helper()
		c, err := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: l.ConvertedContactId})
		if err != nil {
			t.Fatalf("contact of %v: %v", l, err)
		}
		return c
	}

	l1 := e.createLead(&crmv1.Lead{Name: "Ana Lima", Company: "Alpha", Email: "ANA@shared.example", Title: "CFO"})
	before := e.rows()
	conv1, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l1.Id, AccountId: beta.Id})
	if err != nil || conv1.ConvertedAccountId != beta.Id {
		t.Fatalf("convert into beta: %v %v", conv1, err)
	}
	c1 := contactAt(conv1)
	if c1.Id == atAlpha.Id || c1.AccountId != beta.Id || c1.Email != "ANA@shared.example" || c1.Title != "CFO" {
		t.Fatalf("contact %v, want a new one at %s", c1, beta.Id)
	}
	if after := e.rows(); after.contacts != before.contacts+1 {
		t.Fatalf("contacts %d -> %d, want one new", before.contacts, after.contacts)
	}
	if c, _ := e.contacts.GetContact(e.sales(), &crmv1.GetContactRequest{Id: atAlpha.Id}); c.GetAccountId() != alpha.Id || c.GetEtag() != atAlpha.Etag {
		t.Fatalf("contact at alpha changed: %v", c)
	}

	// The chosen account's own contact is reused, though Alpha's is older.
	l2 := e.createLeadAgain(&crmv1.Lead{Name: "Ana L.", Email: "ana@shared.example"})
	conv2, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l2.Id, AccountId: beta.Id})
	if err != nil || conv2.ConvertedContactId != c1.Id {
		t.Fatalf("second conversion into beta: %v %v, want contact %s", conv2, err, c1.Id)
	}

	// Without a chosen account: the account by company, the oldest contact
	// by email.
	l3 := e.createLeadAgain(&crmv1.Lead{Name: "Ana", Company: "Beta", Email: "ana@shared.example"})
	conv3, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l3.Id})
	if err != nil || conv3.ConvertedAccountId != beta.Id || conv3.ConvertedContactId != atAlpha.Id {
		t.Fatalf("conversion by lookup: %v %v, want account %s contact %s", conv3, err, beta.Id, atAlpha.Id)
	}
}

func TestConvertLeadRefusals(t *testing.T) {
	e := newEnv(t)
	noCompany := e.createLead(&crmv1.Lead{Name: "Ana"})
	disq := e.createLead(&crmv1.Lead{Name: "Bo", Company: "B", Status: crmv1.LeadStatus_LEAD_STATUS_DISQUALIFIED})
	ok := e.createLead(&crmv1.Lead{Name: "Cy", Company: "C"})
	before := e.rows()
	tests := []struct {
		req  *crmv1.ConvertLeadRequest
		code codes.Code
		want []string
	}{
		{&crmv1.ConvertLeadRequest{Id: noCompany.Id}, codes.FailedPrecondition, nil},
		{&crmv1.ConvertLeadRequest{Id: disq.Id}, codes.FailedPrecondition, nil},
		{&crmv1.ConvertLeadRequest{Id: ok.Id, Etag: "9"}, codes.Aborted, nil},
		{&crmv1.ConvertLeadRequest{Id: "01900000-0000-7000-8000-000000000001"}, codes.NotFound, nil},
		{&crmv1.ConvertLeadRequest{Id: ok.Id, AccountId: "01900000-0000-7000-8000-000000000001"}, codes.InvalidArgument, []string{"account_id"}},
		{&crmv1.ConvertLeadRequest{Id: "x", AccountId: "y", Opportunity: &crmv1.LeadOpportunity{CurrencyCode: "XXX", ExpectedCloseDate: "31.1.2031"}},
			codes.InvalidArgument, []string{"id", "account_id", "opportunity.name", "opportunity.expected_close_date", "opportunity.currency_code"}},
	}
	for i, tc := range tests {
		_, err := e.leads.ConvertLead(e.sales(), tc.req)
		if tc.want != nil {
			if f := violations(t, err); !slices.Equal(f, tc.want) {
				t.Errorf("case %d: violations %v, want %v", i, f, tc.want)
			}
			continue
		}
		wantCode(t, err, tc.code)
	}
	_, err := e.leads.ConvertLead(e.as(auth.Service), &crmv1.ConvertLeadRequest{Id: ok.Id})
	wantCode(t, err, codes.PermissionDenied)
	if after := e.rows(); after != before {
		t.Fatalf("refused conversions wrote: %+v -> %+v", before, after)
	}
	// Requalified, it converts (without company: to a given account).
	acc := e.createAccount("Named")
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: noCompany.Id, AccountId: acc.Id})
	if err != nil || conv.ConvertedAccountId != acc.Id {
		t.Fatalf("convert with account: %v %v", conv, err)
	}
}

// Concurrent conversions: one lead converts once; two leads of one new
// company end at one account.
func TestConvertLeadConcurrently(t *testing.T) {
	e := newEnv(t)
	l1 := e.createLead(&crmv1.Lead{Name: "Ana", Company: "Newco", Email: "ana@newco.example"})
	l2 := e.createLead(&crmv1.Lead{Name: "Bo", Company: "NEWCO", Email: "bo@newco.example"})
	ids := []string{l1.Id, l1.Id, l1.Id, l2.Id, l2.Id}
	errs := make([]error, len(ids))
	done := make(chan int)
	for i, id := range ids {
		go func() {
			_, errs[i] = e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: id})
			done <- i
		}()
	}
	for range ids {
		<-done
	}
	okCount := 0
	for _, err := range errs {
		switch {
		case err == nil:
			okCount++
		default:
			wantCode(t, err, codes.FailedPrecondition)
		}
	}
	if okCount != 2 {
		t.Fatalf("%d conversions succeeded, want 2: %v", okCount, errs)
	}
	if n := e.count(`SELECT count(*) FROM accounts`); n != 1 {
		t.Fatalf("%d accounts, want 1", n)
	}
	if n := e.count(`SELECT count(*) FROM contacts`); n != 2 {
		t.Fatalf("%d contacts, want 2", n)
	}
	if n := e.eventsOfType("lead.converted"); n != 2 {
		t.Fatalf("%d lead.converted events", n)
	}
}

// A lead from a campaign converts into an opportunity of that campaign, so
// the campaign's stats, the funnel and the pipeline report's campaign
// filter count the won deal alike. Free text an older lead holds instead
// of a campaign's id is not copied.
func TestConvertLeadKeepsCampaign(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	c := e.createCampaign("Spring")
	l := e.createLead(&crmv1.Lead{Name: "Ana", Company: "Acme", Email: "ana@acme.example", Source: "web", CampaignId: c.Id})
	conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id,
		Opportunity: &crmv1.LeadOpportunity{Name: "Acme first order", CurrencyCode: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	o, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: conv.ConvertedOpportunityId})
	if err != nil || o.CampaignId != c.Id {
		t.Fatalf("opportunity %v %v, want campaign %s", o, err, c.Id)
	}
	evs := e.feed(6)
	if created := evs[len(evs)-2]; created.Type != "opportunity.created" || created.GetOpportunity().GetCampaignId() != c.Id {
		t.Fatalf("created event %v", created)
	}
	o, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("SKU-1", "2")}},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"lines"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id}); err != nil {
		t.Fatal(err)
	}
	st, err := e.campaigns.GetCampaignStats(e.sales(), &crmv1.GetCampaignStatsRequest{Id: c.Id})
	if err != nil || st.Leads != 1 || st.ConvertedLeads != 1 || st.WonOpportunities != 1 {
		t.Fatalf("stats %v %v", st, err)
	}
	r, err := e.reports.GetPipelineReport(e.sales(), &crmv1.GetPipelineReportRequest{CampaignId: c.Id})
	if err != nil || len(r.Stages) != 1 || r.Stages[0].Stage != crmv1.Stage_STAGE_CLOSED_WON || r.Stages[0].Count != 1 ||
		len(r.Funnel) != 1 || r.Funnel[0].WonOpportunities != 1 {
		t.Fatalf("report for the campaign: %v %v", r, err)
	}

	// An older lead's free text is not a campaign: the deal has none.
	old := e.createLead(&crmv1.Lead{Name: "Bo", Company: "Bo Ltd", Email: "bo@bo.example"})
	if _, err := e.db.Exec(e.sales(), `ALTER TABLE leads DISABLE TRIGGER USER;
		UPDATE leads SET campaign_id = 'fair 2019' WHERE id = '`+old.Id+`';
		ALTER TABLE leads ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	conv, err = e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: old.Id,
		Opportunity: &crmv1.LeadOpportunity{Name: "Bo deal", CurrencyCode: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	if o, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: conv.ConvertedOpportunityId}); err != nil || o.CampaignId != "" {
		t.Fatalf("opportunity of a free-text campaign: %v %v", o, err)
	}
}
