package api_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func (e *env) createCampaign(name string) *crmv1.Campaign {
	e.t.Helper()
	c, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{
		Name: name, Channel: "email", Budget: &moneyv1.Money{CurrencyCode: "EUR", Amount: "1000"},
		StartDate: "2031-03-01", EndDate: "2031-05-31",
	}})
	if err != nil {
		e.t.Fatalf("create campaign: %v", err)
	}
	return c
}

func (e *env) campaignCount() int { return e.count(`SELECT count(*) FROM campaigns`) }

func TestCampaignLifecycle(t *testing.T) {
	e := newEnv(t)
	req := &crmv1.CreateCampaignRequest{RequestId: "c-1", Campaign: &crmv1.Campaign{
		Name: "Spring", Channel: "events", Budget: &moneyv1.Money{CurrencyCode: "EUR", Amount: "250.5"},
		StartDate: "2031-03-01", EndDate: "2031-03-31", Id: "forged", Etag: "9",
	}}
	c, err := e.campaigns.CreateCampaign(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != crmv1.CampaignStatus_CAMPAIGN_STATUS_PLANNED || c.Budget.Amount != "250.50" || c.Etag != "1" || c.Id == "forged" ||
		c.StartDate != "2031-03-01" || c.EndDate != "2031-03-31" {
		t.Fatalf("created %v", c)
	}
	before, campaigns := e.rows(), e.campaignCount()
	again, err := e.campaigns.CreateCampaign(e.sales(), req)
	if err != nil || again.Id != c.Id || again.Name != "Spring" {
		t.Fatalf("retry %v %v", again, err)
	}
	_, err = e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{RequestId: "c-1", Campaign: &crmv1.Campaign{Name: "Other"}})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Errorf("reuse with another body: %v", err)
	}
	for _, tc := range []struct {
		c    *crmv1.Campaign
		want []string
	}{
		{&crmv1.Campaign{}, []string{"campaign.name"}},
		{&crmv1.Campaign{Name: "x", Budget: &moneyv1.Money{CurrencyCode: "EURO", Amount: "1"}}, []string{"campaign.budget.currency_code"}},
		{&crmv1.Campaign{Name: "x", Budget: &moneyv1.Money{CurrencyCode: "EUR", Amount: "1.234"}}, []string{"campaign.budget.amount"}},
		{&crmv1.Campaign{Name: "x", Budget: &moneyv1.Money{CurrencyCode: "EUR", Amount: "-1"}}, []string{"campaign.budget.amount"}},
		{&crmv1.Campaign{Name: "x", StartDate: "2031-02-30"}, []string{"campaign.start_date"}},
		{&crmv1.Campaign{Name: "x", StartDate: "2031-03-02", EndDate: "2031-03-01"}, []string{"campaign.end_date"}},
	} {
		_, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: tc.c})
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("%v: violations %v, want %v", tc.c, got, tc.want)
		}
	}
	_, err = e.campaigns.CreateCampaign(e.service(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: "x"}})
	wantCode(t, err, codes.PermissionDenied)
	if e.rows() != before || e.campaignCount() != campaigns {
		t.Fatal("a retry or a refused create wrote something")
	}

	got, err := e.campaigns.GetCampaign(e.as(auth.Finance), &crmv1.GetCampaignRequest{Id: c.Id})
	if err != nil || got.Name != "Spring" {
		t.Fatalf("get %v %v", got, err)
	}
	active, err := e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{
		Campaign:   &crmv1.Campaign{Id: c.Id, Status: crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE, Budget: nil, Etag: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status", "budget", "etag"}},
	})
	if err != nil || active.Status != crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE || active.Budget != nil || active.Etag != "2" {
		t.Fatalf("update %v %v", active, err)
	}
	_, err = e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{
		Campaign: &crmv1.Campaign{Id: c.Id, Name: "Late", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	})
	wantCode(t, err, codes.Aborted)
	_, err = e.campaigns.UpdateCampaign(e.sales(), &crmv1.UpdateCampaignRequest{
		Campaign: &crmv1.Campaign{Id: c.Id, EndDate: "2031-02-01"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"end_date"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"campaign.end_date"}) {
		t.Fatalf("end before start: %v", v)
	}
	list, err := e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{Filter: `status = "CAMPAIGN_STATUS_ACTIVE"`})
	if err != nil || len(list.Campaigns) != 1 || list.Campaigns[0].Id != c.Id {
		t.Fatalf("list %v %v", list, err)
	}
	_, err = e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{Filter: `status = "LOUD"`})
	if v := violations(t, err); !slices.Equal(v, []string{"filter"}) {
		t.Fatalf("bad filter: %v", v)
	}

	// Leads and opportunities must name an existing campaign.
	missing := "0190a5d6-1c2b-7d3e-8f40-123456789abc"
	before = e.rows()
	_, err = e.leads.CreateLead(e.sales(), &crmv1.CreateLeadRequest{Lead: &crmv1.Lead{Name: "Bo", CampaignId: missing}})
	if v := violations(t, err); !slices.Equal(v, []string{"lead.campaign_id"}) {
		t.Fatalf("lead with unknown campaign: %v", v)
	}
	if e.rows() != before {
		t.Fatal("a refused lead wrote something")
	}
	a := e.createAccount("Acme")
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	before = e.rows()
	for _, id := range []string{missing, "spring"} {
		_, err = e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
			AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", CampaignId: id,
		}})
		if v := violations(t, err); !slices.Equal(v, []string{"opportunity.campaign_id"}) {
			t.Fatalf("opportunity with campaign %q: %v", id, v)
		}
	}
	if e.rows() != before {
		t.Fatal("refused writes wrote something")
	}
	l := e.createLead(&crmv1.Lead{Name: "Bo", CampaignId: c.Id})
	_, err = e.leads.UpdateLead(e.sales(), &crmv1.UpdateLeadRequest{
		Lead: &crmv1.Lead{Id: l.Id, CampaignId: missing}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"campaign_id"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"lead.campaign_id"}) {
		t.Fatalf("lead update with unknown campaign: %v", v)
	}
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	tagged, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, CampaignId: c.Id}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"campaign_id"}},
	})
	if err != nil || tagged.CampaignId != c.Id {
		t.Fatalf("tag opportunity: %v %v", tagged, err)
	}
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, CampaignId: missing}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"campaign_id"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"opportunity.campaign_id"}) {
		t.Fatalf("opportunity update with unknown campaign: %v", v)
	}

	// A campaign in use cannot be deleted; an unused one can.
	err = func() error {
		_, err := e.campaigns.DeleteCampaign(e.sales(), &crmv1.DeleteCampaignRequest{Id: c.Id})
		return err
	}()
	wantCode(t, err, codes.FailedPrecondition)
	other := e.createCampaign("Unused")
	_, err = e.campaigns.DeleteCampaign(e.sales(), &crmv1.DeleteCampaignRequest{Id: other.Id, Etag: "7"})
	wantCode(t, err, codes.Aborted)
	if _, err := e.campaigns.DeleteCampaign(e.sales(), &crmv1.DeleteCampaignRequest{Id: other.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = e.campaigns.GetCampaign(e.sales(), &crmv1.GetCampaignRequest{Id: other.Id})
	wantCode(t, err, codes.NotFound)
	if e.eventsOfType("campaign.created") != 2 || e.eventsOfType("campaign.updated") != 1 || e.eventsOfType("campaign.deleted") != 1 {
		t.Fatal("campaign events")
	}
}

func TestCampaignStats(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	c := e.createCampaign("Spring") // budget 1000 EUR
	a := e.createAccount("Acme")
	for i, name := range []string{"Ana", "Bo", "Cy"} {
		l := e.createLead(&crmv1.Lead{Name: name, Company: "Co " + name, CampaignId: c.Id})
		if i == 0 {
			if _, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: l.Id}); err != nil {
				t.Fatal(err)
			}
		}
	}
	e.createLead(&crmv1.Lead{Name: "No campaign"})

	type deal struct {
		currency, qty, price string
		win                  bool
	}
	wonSums := map[string]decimal.Decimal{}
	won := 0
	for _, d := range []deal{
		{"EUR", "3", "10.01", true}, {"EUR", "7", "0.33", true}, {"USD", "1", "99.99", true},
		{"EUR", "5", "1.00", false}, {"JPY", "2", "500", false},
	} {
		o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
			AccountId: a.Id, Name: "Deal", CurrencyCode: d.currency, CampaignId: c.Id,
			Lines: []*crmv1.OpportunityLine{{Sku: "SKU-1", Quantity: d.qty, UnitPrice: &moneyv1.Money{CurrencyCode: d.currency, Amount: d.price}}},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if !d.win {
			continue
		}
		w, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
		if err != nil {
			t.Fatal(err)
		}
		won++
		wonSums[w.Amount.CurrencyCode] = wonSums[w.Amount.CurrencyCode].Add(decimal.RequireFromString(w.Amount.Amount))
	}
	// A won deal without a campaign does not count.
	other := e.createOpportunity(a.Id, line("SKU-1", "4"))
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: other.Id}); err != nil {
		t.Fatal(err)
	}

	// Three members reached, one responded; a member of another campaign
	// does not count.
	for i, name := range []string{"Dee", "Eve", "Fay"} {
		m := &crmv1.CampaignMember{ContactId: e.createContact(&crmv1.Contact{Name: name, Email: name + "@example.com"}).Id}
		if i == 0 {
			m.Status = crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED
		}
		e.addMember(c.Id, m)
	}
	e.addMember(e.createCampaign("Other").Id, &crmv1.CampaignMember{ContactId: e.createContact(&crmv1.Contact{Name: "Gus"}).Id,
		Status: crmv1.CampaignMemberStatus_CAMPAIGN_MEMBER_STATUS_RESPONDED})

	st, err := e.campaigns.GetCampaignStats(e.as(auth.Finance), &crmv1.GetCampaignStatsRequest{Id: c.Id})
	if err != nil {
		t.Fatal(err)
	}
	if st.Members != 3 || st.RespondedMembers != 1 || st.ResponseRate != "0.3333" {
		t.Errorf("member stats %d %d %q, want 3 1 0.3333", st.Members, st.RespondedMembers, st.ResponseRate)
	}
	var currencies []string
	for cur := range wonSums {
		currencies = append(currencies, cur)
	}
	slices.Sort(currencies)
	var want []string
	for _, cur := range currencies {
		want = append(want, wonSums[cur].StringFixed(2)+" "+cur)
	}
	var gotAmounts []string
	for _, m := range st.WonAmounts {
		gotAmounts = append(gotAmounts, m.Amount+" "+m.CurrencyCode)
	}
	cost := decimal.NewFromInt(1000).DivRound(decimal.NewFromInt(int64(won)), 2)
	if st.Leads != 3 || st.ConvertedLeads != 1 || st.WonOpportunities != int64(won) || !slices.Equal(gotAmounts, want) ||
		st.CostPerWonDeal.GetAmount() != cost.StringFixed(2) || st.CostPerWonDeal.GetCurrencyCode() != "EUR" {
		t.Fatalf("stats %v, want won %d amounts %v cost %s", st, won, want, cost)
	}

	st, err = e.campaigns.GetCampaignStats(e.sales(), &crmv1.GetCampaignStatsRequest{Id: e.createCampaign("Empty").Id})
	if err != nil || st.Leads != 0 || st.WonOpportunities != 0 || len(st.WonAmounts) != 0 || st.CostPerWonDeal != nil ||
		st.Members != 0 || st.RespondedMembers != 0 || st.ResponseRate != "0.0000" {
		t.Fatalf("empty stats %v %v", st, err)
	}
	_, err = e.campaigns.GetCampaignStats(e.sales(), &crmv1.GetCampaignStatsRequest{Id: "0190a5d6-1c2b-7d3e-8f40-123456789abc"})
	wantCode(t, err, codes.NotFound)
	_, err = e.campaigns.GetCampaignStats(e.sales(), &crmv1.GetCampaignStatsRequest{Id: "x"})
	if v := violations(t, err); !slices.Equal(v, []string{"id"}) {
		t.Fatalf("bad id: %v", v)
	}
	_, err = e.campaigns.GetCampaignStats(e.bridge(), &crmv1.GetCampaignStatsRequest{Id: c.Id})
	wantCode(t, err, codes.PermissionDenied)
}

// Marketing lists the deals a campaign brought, won ones among them, by
// filtering opportunities on campaign_id (an id in either case).
func TestListOpportunitiesOfACampaign(t *testing.T) {
	e := newEnv(t)
	c, other := e.createCampaign("Expo"), e.createCampaign("Mailing")
	a := e.createAccount("Acme")
	mk := func(campaignID string) *crmv1.Opportunity {
		o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
			AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", CampaignId: campaignID,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	first, second := mk(c.Id), mk(c.Id)
	mk(other.Id)
	mk("")
	for _, filter := range []string{`campaign_id = "` + c.Id + `"`, `campaign_id = "` + strings.ToUpper(c.Id) + `"`} {
		resp, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var got []string
		for _, o := range resp.Opportunities {
			got = append(got, o.Id)
		}
		if !slices.Equal(got, []string{first.Id, second.Id}) {
			t.Fatalf("%s: %v, want %v", filter, got, []string{first.Id, second.Id})
		}
	}
	_, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: `campaign_id = "expo"`})
	if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
		t.Fatalf("campaign_id not an id: %v", err)
	}
}

// Marketing lists the leads a campaign brought by filtering leads on
// campaign_id, the campaign's id in either case.
func TestListLeadsOfACampaign(t *testing.T) {
	e := newEnv(t)
	c, other := e.createCampaign("Expo"), e.createCampaign("Mailing")
	first := e.createLead(&crmv1.Lead{Name: "Ana", Email: "ana@expo.example", CampaignId: strings.ToUpper(c.Id)})
	e.createLead(&crmv1.Lead{Name: "Bo", Email: "bo@mailing.example", CampaignId: other.Id})
	e.createLead(&crmv1.Lead{Name: "Cy", Email: "cy@none.example"})
	second := e.createLead(&crmv1.Lead{Name: "Di", Email: "di@expo.example", CampaignId: c.Id})
	for _, filter := range []string{`campaign_id = "` + c.Id + `"`, `campaign_id = "` + strings.ToUpper(c.Id) + `"`,
		`campaign_id = "` + c.Id + `" AND status = NEW`} {
		resp, err := e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var got []string
		for _, l := range resp.Leads {
			got = append(got, l.Id)
		}
		if !slices.Equal(got, []string{first.Id, second.Id}) {
			t.Fatalf("%s: %v, want %v", filter, got, []string{first.Id, second.Id})
		}
	}
}

// Marketing lists campaigns by channel (ignoring case, the channel stored
// trimmed), alone or with the status.
func TestListCampaignsByChannel(t *testing.T) {
	e := newEnv(t)
	mk := func(name, channel string, status crmv1.CampaignStatus) *crmv1.Campaign {
		t.Helper()
		c, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{Name: name, Channel: channel, Status: status}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	mail := mk("Spring mailing", " Email ", crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE)
	if mail.Channel != "Email" {
		t.Fatalf("channel stored as %q", mail.Channel)
	}
	planned := mk("Autumn mailing", "email", crmv1.CampaignStatus_CAMPAIGN_STATUS_PLANNED)
	mk("Expo", "events", crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE)
	mk("No channel", "", crmv1.CampaignStatus_CAMPAIGN_STATUS_ACTIVE)
	for filter, want := range map[string][]string{
		`channel = "email"`:                     {mail.Id, planned.Id},
		`channel = "EMAIL"`:                     {mail.Id, planned.Id},
		`channel = "email" AND status = ACTIVE`: {mail.Id},
		`channel = "radio"`:                     nil,
	} {
		resp, err := e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var got []string
		for _, c := range resp.Campaigns {
			got = append(got, c.Id)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
}

// Marketing lists the campaigns running in a period by their dates:
// `start_date < "<end>" AND end_date >= "<start>"`; campaigns without the
// date never match, and a value that is no date is INVALID_ARGUMENT.
func TestListCampaignsByDates(t *testing.T) {
	e := newEnv(t)
	mk := func(name, start, end string) *crmv1.Campaign {
		t.Helper()
		c, err := e.campaigns.CreateCampaign(e.sales(), &crmv1.CreateCampaignRequest{Campaign: &crmv1.Campaign{
			Name: name, Channel: "email", StartDate: start, EndDate: end,
		}})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	winter := mk("Winter", "2029-12-01", "2030-01-15")
	spring := mk("Spring", "2030-03-01", "2030-04-30")
	mk("Summer", "2030-06-01", "2030-08-31")
	mk("Undated", "", "")
	for filter, want := range map[string][]string{
		`start_date < "2030-04-01" AND end_date >= "2030-01-01"`:                      {winter.Id, spring.Id},
		`start_date >= "2030-03-01" AND start_date <= "2030-03-01"`:                   {spring.Id},
		`end_date > "2030-04-30" AND channel = "email" AND start_date < "2030-06-01"`: nil,
	} {
		resp, err := e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{Filter: filter})
		if err != nil {
			t.Fatalf("%s: %v", filter, err)
		}
		var got []string
		for _, c := range resp.Campaigns {
			got = append(got, c.Id)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", filter, got, want)
		}
	}
	_, err := e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{Filter: `start_date < "March"`})
	if f := violations(t, err); !slices.Equal(f, []string{"filter"}) {
		t.Fatalf("not a date: %v", err)
	}
}
