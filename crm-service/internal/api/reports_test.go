package api_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/money"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// seedReport builds a pipeline in three currencies with every stage, and
// leads from two sources and a campaign, some converted and won.
func seedReport(t *testing.T, e *env) {
	t.Helper()
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	c := e.createCampaign("Spring")
	type deal struct {
		owner, currency, qty, price, close string
		stage                              crmv1.Stage
		prob                               int32
		end                                string // "", "won", "lost"
	}
	for i, d := range []deal{
		{"ana", "EUR", "3", "10.01", "2031-01-15", crmv1.Stage_STAGE_PROSPECTING, 0, ""},
		{"ana", "EUR", "1", "0.05", "2031-01-31", crmv1.Stage_STAGE_PROSPECTING, 33, ""},
		{"bo", "USD", "7", "3.33", "2031-02-01", crmv1.Stage_STAGE_PROPOSAL, 45, ""},
		{"bo", "EUR", "2", "99.99", "", crmv1.Stage_STAGE_NEGOTIATION, 0, ""},
		{"bo", "JPY", "3", "333", "2031-01-02", crmv1.Stage_STAGE_QUALIFICATION, 17, ""},
		{"ana", "EUR", "4", "12.50", "2031-03-01", crmv1.Stage_STAGE_PROPOSAL, 0, "won"},
		{"ana", "USD", "1", "1000", "2031-03-01", crmv1.Stage_STAGE_PROPOSAL, 0, "won"},
		{"ana", "EUR", "1", "5", "2031-03-01", crmv1.Stage_STAGE_PROPOSAL, 0, "lost"},
		{"bo", "EUR", "9", "1.11", "2031-04-01", crmv1.Stage_STAGE_NEGOTIATION, 0, "lost"},
		{"bo", "EUR", "6", "7.77", "2031-04-01", crmv1.Stage_STAGE_NEGOTIATION, 0, "won"},
	} {
		campaign := ""
		if i%3 == 0 {
			campaign = c.Id
		}
		o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
			AccountId: a.Id, Name: fmt.Sprint("Deal ", i), CurrencyCode: d.currency, Owner: d.owner, Stage: d.stage, CampaignId: campaign,
			Probability: d.prob, ExpectedCloseDate: d.close,
			Lines: []*crmv1.OpportunityLine{{Sku: "SKU-1", Quantity: d.qty, UnitPrice: &moneyv1.Money{CurrencyCode: d.currency, Amount: d.price}}},
		}})
		if err != nil {
			t.Fatalf("deal %d: %v", i, err)
		}
		switch d.end {
		case "won":
			_, err = e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
		case "lost":
			_, err = e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: o.Id, LostReason: "price"})
		}
		if err != nil {
			t.Fatal(err)
		}
		// Spread creation and closing over months and cycle lengths.
		if _, err := e.db.Exec(t.Context(), `UPDATE opportunities SET create_time = create_time - make_interval(days => $2, secs => $3),
close_time = close_time - make_interval(days => $4) WHERE id = $1`, o.Id, 40*i+100, 1234.567891*float64(i), 31*(i%3)); err != nil {
			t.Fatal(err)
		}
	}
	for i, l := range []struct {
		source, campaign string
		convert, win     bool
	}{
		{"web", c.Id, true, true}, {"web", c.Id, true, false}, {"web", c.Id, false, false},
		{"web", "", false, false}, {"event", "", true, true}, {"event", c.Id, false, false},
	} {
		ld := e.createLead(&crmv1.Lead{Name: fmt.Sprint("Lead ", i), Company: fmt.Sprint("Co ", i), Source: l.source, CampaignId: l.campaign,
			Owner: []string{"ana", "bo"}[i%2]})
		if !l.convert {
			continue
		}
		conv, err := e.leads.ConvertLead(e.sales(), &crmv1.ConvertLeadRequest{Id: ld.Id,
			Opportunity: &crmv1.LeadOpportunity{Name: "From lead", CurrencyCode: "EUR"}})
		if err != nil {
			t.Fatal(err)
		}
		if !l.win {
			continue
		}
		if _, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
			Opportunity: &crmv1.Opportunity{Id: conv.ConvertedOpportunityId, Lines: []*crmv1.OpportunityLine{line("SKU-1", "2")}},
			UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"lines"}},
		}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: conv.ConvertedOpportunityId}); err != nil {
			t.Fatal(err)
		}
	}
}

var stageOrder = []crmv1.Stage{crmv1.Stage_STAGE_PROSPECTING, crmv1.Stage_STAGE_QUALIFICATION, crmv1.Stage_STAGE_PROPOSAL,
	crmv1.Stage_STAGE_NEGOTIATION, crmv1.Stage_STAGE_CLOSED_WON, crmv1.Stage_STAGE_CLOSED_LOST}

type acc struct {
	n             int64
	sum, weighted decimal.Decimal
}

func (a acc) add(o *crmv1.Opportunity) acc {
	amt := decimal.RequireFromString(o.Amount.Amount)
	return acc{a.n + 1, a.sum.Add(amt), a.weighted.Add(amt.Mul(decimal.NewFromInt32(o.Probability)))}
}

func (a acc) String(currency string) string {
	w := money.Round(a.weighted.Div(decimal.NewFromInt(100)), currency)
	return fmt.Sprintf("%d %s %s", a.n, money.Money{Currency: currency, Amount: a.sum}, money.Money{Currency: currency, Amount: w})
}

func rate(part, whole int) string {
	if whole == 0 {
		return "0.0000"
	}
	return decimal.NewFromInt(int64(part)).DivRound(decimal.NewFromInt(int64(whole)), 4).StringFixed(4)
}

// reportLines is a report as text lines per section: stages, forecast,
// owners, funnel.
type reportLines [4][]string

// inRange reports whether date (YYYY-MM-DD, "" for none) is within
// [start, end]; with neither end set every date is.
func inRange(date, start, end string) bool {
	if start == "" && end == "" {
		return true
	}
	return date != "" && (start == "" || date >= start) && (end == "" || date <= end)
}

// expectedReport computes the report of f from what the API lists,
// independently of the service's SQL.
func expectedReport(e *env, f *crmv1.GetPipelineReportRequest) reportLines {
	t := e.t
	opps, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	leads, err := e.leads.ListLeads(e.sales(), &crmv1.ListLeadsRequest{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	byStage := map[string]acc{}
	byMonth := map[string]acc{}
	type ownerAcc struct {
		won, lost int
		cycle     decimal.Decimal
		// Per currency: amounts of the won and the lost deals, and
		// whether there are any.
		wonSum, lostSum map[string]decimal.Decimal
	}
	byOwner := map[string]ownerAcc{}
	stageOf := map[string]crmv1.Stage{}
	zone := time.UTC
	if f.TimeZone != "" {
		if zone, err = time.LoadLocation(f.TimeZone); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range opps.Opportunities {
		stageOf[o.Id] = o.Stage
		if f.CurrencyCode != "" && o.CurrencyCode != f.CurrencyCode || f.CampaignId != "" && o.CampaignId != f.CampaignId {
			continue
		}
		// Closed deals count for the owner who closed them in owners, for
		// their current owner in the stages.
		owner := o.Owner
		if o.Stage == crmv1.Stage_STAGE_CLOSED_WON || o.Stage == crmv1.Stage_STAGE_CLOSED_LOST {
			owner = o.CloseOwner
		}
		expected := inRange(o.ExpectedCloseDate, f.ExpectedCloseStartDate, f.ExpectedCloseEndDate) && (f.Owner == "" || o.Owner == f.Owner)
		if expected {
			k := fmt.Sprintf("%d\x00%s", slices.Index(stageOrder, o.Stage), o.CurrencyCode)
			byStage[k] = byStage[k].add(o)
		}
		switch o.Stage {
		case crmv1.Stage_STAGE_CLOSED_WON, crmv1.Stage_STAGE_CLOSED_LOST:
			if !inRange(o.CloseTime.AsTime().In(zone).Format(time.DateOnly), f.CloseStartDate, f.CloseEndDate) ||
				f.Owner != "" && owner != f.Owner {
				continue
			}
			ok := owner + "\x00" + o.CloseTime.AsTime().In(zone).Format("2006-01")
			a := byOwner[ok]
			if a.wonSum == nil {
				a.wonSum, a.lostSum = map[string]decimal.Decimal{}, map[string]decimal.Decimal{}
			}
			amt := decimal.RequireFromString(o.Amount.Amount)
			if o.Stage == crmv1.Stage_STAGE_CLOSED_WON {
				a.won++
				us := o.CloseTime.AsTime().Sub(o.CreateTime.AsTime()).Microseconds()
				a.cycle = a.cycle.Add(decimal.New(us, -6))
				a.wonSum[o.CurrencyCode] = a.wonSum[o.CurrencyCode].Add(amt)
			} else {
				a.lost++
				a.lostSum[o.CurrencyCode] = a.lostSum[o.CurrencyCode].Add(amt)
			}
			byOwner[ok] = a
		default:
			if !expected {
				continue
			}
			month := ""
			if o.ExpectedCloseDate != "" {
				month = o.ExpectedCloseDate[:7]
			}
			k := month + "\x00" + o.CurrencyCode
			byMonth[k] = byMonth[k].add(o)
		}
	}
	var want reportLines
	for _, k := range slices.Sorted(mapsKeys(byStage)) {
		i, cur, _ := strings.Cut(k, "\x00")
		var idx int
		fmt.Sscan(i, &idx)
		want[0] = append(want[0], stageOrder[idx].String()+" "+byStage[k].String(cur))
	}
	for _, k := range slices.Sorted(mapsKeys(byMonth)) {
		month, cur, _ := strings.Cut(k, "\x00")
		want[1] = append(want[1], month+" "+byMonth[k].String(cur))
	}
	for _, k := range slices.Sorted(mapsKeys(byOwner)) {
		a := byOwner[k]
		avg := ""
		if a.won > 0 {
			avg = a.cycle.DivRound(decimal.NewFromInt(int64(86400*a.won)), 2).StringFixed(2)
		}
		sums := func(m map[string]decimal.Decimal) string {
			var out []string
			for _, cur := range slices.Sorted(mapsKeys(m)) {
				out = append(out, money.Money{Currency: cur, Amount: m[cur]}.String())
			}
			return strings.Join(out, ", ")
		}
		want[2] = append(want[2], fmt.Sprintf("%s %d %d %s %s won[%s] lost[%s]", strings.Replace(k, "\x00", " ", 1), a.won, a.lost,
			rate(a.won, a.won+a.lost), avg, sums(a.wonSum), sums(a.lostSum)))
	}
	type funnelAcc struct{ leads, converted, won int }
	byFunnel := map[string]funnelAcc{}
	for _, l := range leads.Leads {
		if f.Owner != "" && l.Owner != f.Owner || f.CampaignId != "" && l.CampaignId != f.CampaignId ||
			f.Source != "" && l.Source != f.Source ||
			!inRange(l.CreateTime.AsTime().In(zone).Format(time.DateOnly), f.LeadCreateStartDate, f.LeadCreateEndDate) {
			continue
		}
		k := l.Source + "\x00" + l.CampaignId
		fa := byFunnel[k]
		fa.leads++
		if l.Status == crmv1.LeadStatus_LEAD_STATUS_CONVERTED {
			fa.converted++
		}
		if l.ConvertedOpportunityId != "" && stageOf[l.ConvertedOpportunityId] == crmv1.Stage_STAGE_CLOSED_WON {
			fa.won++
		}
		byFunnel[k] = fa
	}
	for _, k := range slices.Sorted(mapsKeys(byFunnel)) {
		fa := byFunnel[k]
		want[3] = append(want[3], fmt.Sprintf("%s %d %d %s %d", strings.Replace(k, "\x00", " ", 1), fa.leads, fa.converted, rate(fa.converted, fa.leads), fa.won))
	}
	return want
}

// gotReport asks the service for the report of f.
func gotReport(e *env, f *crmv1.GetPipelineReportRequest) reportLines {
	rep, err := e.reports.GetPipelineReport(e.as(auth.Finance), f)
	if err != nil {
		e.t.Fatal(err)
	}
	m := func(x *moneyv1.Money) string { return x.GetAmount() + " " + x.GetCurrencyCode() }
	var got reportLines
	for _, s := range rep.Stages {
		got[0] = append(got[0], fmt.Sprintf("%s %d %s %s", s.Stage, s.Count, m(s.Amount), m(s.WeightedAmount)))
	}
	for _, f := range rep.Forecast {
		got[1] = append(got[1], fmt.Sprintf("%s %d %s %s", f.Month, f.Count, m(f.Amount), m(f.WeightedAmount)))
	}
	sums := func(ms []*moneyv1.Money) string {
		var out []string
		for _, x := range ms {
			out = append(out, m(x))
		}
		return strings.Join(out, ", ")
	}
	for _, o := range rep.Owners {
		got[2] = append(got[2], fmt.Sprintf("%s %s %d %d %s %s won[%s] lost[%s]", o.Owner, o.Month, o.Won, o.Lost, o.WinRate,
			o.AverageSalesCycleDays, sums(o.WonAmounts), sums(o.LostAmounts)))
	}
	for _, f := range rep.Funnel {
		got[3] = append(got[3], fmt.Sprintf("%s %s %d %d %s %d", f.Source, f.CampaignId, f.Leads, f.ConvertedLeads, f.ConversionRate, f.WonOpportunities))
	}
	return got
}

// monthEnd returns the last day of month (YYYY-MM).
func monthEnd(t *testing.T, month string) string {
	t.Helper()
	first, err := time.Parse(time.DateOnly, month+"-01")
	if err != nil {
		t.Fatal(err)
	}
	return first.AddDate(0, 1, -1).Format(time.DateOnly)
}

var sections = [4]string{"stages", "forecast", "owners", "funnel"}

func TestPipelineReport(t *testing.T) {
	e := newEnv(t)
	seedReport(t, e)
	want, got := expectedReport(e, &crmv1.GetPipelineReportRequest{}), gotReport(e, &crmv1.GetPipelineReportRequest{})
	for i := range sections {
		if len(want[i]) < 3 || !slices.Equal(got[i], want[i]) {
			t.Errorf("%s:\n got %q\nwant %q", sections[i], got[i], want[i])
		}
	}

	_, err := e.reports.GetPipelineReport(e.bridge(), &crmv1.GetPipelineReportRequest{})
	wantCode(t, err, codes.PermissionDenied)
}

func TestPipelineReportFilters(t *testing.T) {
	e := newEnv(t)
	seedReport(t, e)
	if _, err := e.db.Exec(t.Context(), `UPDATE leads SET create_time = create_time - interval '40 days' WHERE name IN ('Lead 0', 'Lead 3')`); err != nil {
		t.Fatal(err)
	}
	all := gotReport(e, &crmv1.GetPipelineReportRequest{})
	camp, err := e.campaigns.ListCampaigns(e.sales(), &crmv1.ListCampaignsRequest{})
	if err != nil || len(camp.Campaigns) != 1 {
		t.Fatalf("campaigns: %v %v", camp, err)
	}
	today := time.Now().UTC().Format(time.DateOnly)
	var firstClose string
	for _, line := range all[2] {
		if month := strings.Fields(line)[1]; firstClose == "" || month < firstClose {
			firstClose = month
		}
	}
	for _, f := range []*crmv1.GetPipelineReportRequest{
		{Owner: "ana"},
		{Owner: "bo", CurrencyCode: "EUR"},
		{CurrencyCode: "USD"},
		{CampaignId: camp.Campaigns[0].Id},
		{Source: "web"},
		{ExpectedCloseStartDate: "2031-01-15", ExpectedCloseEndDate: "2031-01-31"},
		{ExpectedCloseEndDate: "2031-02-01"},
		{ExpectedCloseStartDate: "2031-03-01"},
		{CloseStartDate: firstClose + "-01", CloseEndDate: monthEnd(t, firstClose)},
		{CloseStartDate: today},
		{LeadCreateStartDate: today, LeadCreateEndDate: today},
		{LeadCreateEndDate: "2000-01-01"},
		{Owner: "ana", CampaignId: camp.Campaigns[0].Id, Source: "event"},
	} {
		want, got := expectedReport(e, f), gotReport(e, f)
		narrowed := false
		for i := range sections {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%v: %s:\n got %q\nwant %q", f, sections[i], got[i], want[i])
			}
			narrowed = narrowed || !slices.Equal(got[i], all[i])
		}
		if !narrowed {
			t.Errorf("%v: the filter changed nothing; the case tests nothing", f)
		}
	}

	for _, tc := range []struct {
		req  *crmv1.GetPipelineReportRequest
		want []string
	}{
		{&crmv1.GetPipelineReportRequest{CurrencyCode: "EURO"}, []string{"currency_code"}},
		{&crmv1.GetPipelineReportRequest{CampaignId: "spring"}, []string{"campaign_id"}},
		{&crmv1.GetPipelineReportRequest{ExpectedCloseStartDate: "2031-02-30", CloseEndDate: "yesterday"}, []string{"expected_close_start_date", "close_end_date"}},
		{&crmv1.GetPipelineReportRequest{LeadCreateStartDate: "2031-02-02", LeadCreateEndDate: "2031-02-01"}, []string{"lead_create_end_date"}},
		{&crmv1.GetPipelineReportRequest{Owner: strings.Repeat("x", 201)}, []string{"owner"}},
	} {
		_, err := e.reports.GetPipelineReport(e.as(auth.Finance), tc.req)
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("%v: violations %v, want %v", tc.req, got, tc.want)
		}
	}
	st, body := e.call("GET", "/v1/reports/pipeline?owner=ana&expected_close_end_date=2031-13-01", token(t, auth.Finance), nil)
	if st != 400 || !slices.Equal(restViolations(body), []string{"expected_close_end_date"}) {
		t.Errorf("REST: %d %v", st, body)
	}
}

func mapsKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, cmp.Compare)
		for _, k := range keys {
			if !yield(k) {
				return
			}
		}
	}
}

// A deal won at 23:30 on New Year's Eve in New York is 04:30 UTC on New
// Year's Day: a manager there counts it in December, in the quarter and
// year that ended, which the report's time_zone does; UTC stays the
// default.
func TestPipelineReportTimeZone(t *testing.T) {
	e := newEnv(t)
	seedReport(t, e)
	eve, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: `stage = "CLOSED_WON" AND owner = "bo"`})
	if err != nil || len(eve.Opportunities) != 1 {
		t.Fatalf("bo's won deal: %v %v", eve, err)
	}
	if _, err := e.db.Exec(t.Context(), `UPDATE opportunities SET close_time = '2030-12-31 23:30:00-05' WHERE id = $1`, eve.Opportunities[0].Id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec(t.Context(), `UPDATE leads SET create_time = '2030-12-31 23:30:00-05' WHERE name = 'Lead 0'`); err != nil {
		t.Fatal(err)
	}
	ny := "America/New_York"
	for _, f := range []*crmv1.GetPipelineReportRequest{
		{},
		{TimeZone: "UTC"},
		{TimeZone: ny},
		{TimeZone: "Asia/Tokyo"},
		{TimeZone: ny, CloseStartDate: "2030-10-01", CloseEndDate: "2030-12-31"},
		{TimeZone: ny, LeadCreateStartDate: "2030-10-01", LeadCreateEndDate: "2030-12-31"},
		{TimeZone: ny, Owner: "bo"},
	} {
		want, got := expectedReport(e, f), gotReport(e, f)
		for i := range sections {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%v: %s:\n got %q\nwant %q", f, sections[i], got[i], want[i])
			}
		}
	}
	owners := func(f *crmv1.GetPipelineReportRequest) []string {
		var out []string
		for _, line := range gotReport(e, f)[2] {
			if strings.HasPrefix(line, "bo 2030-") || strings.HasPrefix(line, "bo 2031-") {
				out = append(out, strings.Fields(line)[1])
			}
		}
		return out
	}
	if got := owners(&crmv1.GetPipelineReportRequest{TimeZone: ny}); !slices.Equal(got, []string{"2030-12"}) {
		t.Errorf("New York: bo's won deal closes in %v, want 2030-12", got)
	}
	if got := owners(&crmv1.GetPipelineReportRequest{}); !slices.Equal(got, []string{"2031-01"}) {
		t.Errorf("UTC: bo's won deal closes in %v, want 2031-01", got)
	}
	q4 := &crmv1.GetPipelineReportRequest{TimeZone: ny, CloseStartDate: "2030-10-01", CloseEndDate: "2030-12-31"}
	if got := owners(q4); !slices.Equal(got, []string{"2030-12"}) {
		t.Errorf("New York's fourth quarter: bo's deals close in %v, want 2030-12", got)
	}
	q4.TimeZone = ""
	if got := owners(q4); len(got) != 0 {
		t.Errorf("UTC's fourth quarter: bo's deals close in %v, want none", got)
	}
	// What bo won in New York's fourth quarter, in EUR: the amount of the
	// deal won on New Year's Eve there, in no other quarter or zone.
	wonQ4 := &crmv1.GetPipelineReportRequest{TimeZone: ny, CloseStartDate: "2030-10-01", CloseEndDate: "2030-12-31", CurrencyCode: "EUR", Owner: "bo"}
	if got, want := gotReport(e, wonQ4)[2], []string{"bo 2030-12 1 0 1.0000 " + strings.Fields(expectedReport(e, wonQ4)[2][0])[5] + " won[46.62 EUR] lost[]"}; !slices.Equal(got, want) {
		t.Errorf("bo's fourth quarter in New York, EUR: %q, want %q", got, want)
	}
	wonQ4.TimeZone = ""
	if got := gotReport(e, wonQ4)[2]; len(got) != 0 {
		t.Errorf("bo's fourth quarter in UTC, EUR: %q, want none", got)
	}
	leads := gotReport(e, &crmv1.GetPipelineReportRequest{TimeZone: ny, LeadCreateStartDate: "2030-12-31", LeadCreateEndDate: "2030-12-31"})[3]
	if len(leads) != 1 || !strings.HasPrefix(leads[0], "web ") || strings.Fields(leads[0])[2] != "1" {
		t.Errorf("leads created on 2030-12-31 in New York: %q, want Lead 0", leads)
	}

	for _, zone := range []string{"Mars/Olympus", "Local", "america/new york", "../etc/passwd", strings.Repeat("x", 201)} {
		_, err := e.reports.GetPipelineReport(e.as(auth.Finance), &crmv1.GetPipelineReportRequest{TimeZone: zone})
		if got := violations(t, err); !slices.Equal(got, []string{"time_zone"}) {
			t.Errorf("time_zone %q: violations %v, want [time_zone]", zone, got)
		}
	}
	st, body := e.call("GET", "/v1/reports/pipeline?time_zone=America%2FNew_York&owner=bo&close_end_date=2030-12-31", token(t, auth.Sales), nil)
	if st != 200 || !strings.Contains(fmt.Sprint(body), "2030-12") {
		t.Errorf("REST: %d %v", st, body)
	}
	st, body = e.call("GET", "/v1/reports/pipeline?time_zone=CET%2B1", token(t, auth.Finance), nil)
	if st != 400 || !slices.Equal(restViolations(body), []string{"time_zone"}) {
		t.Errorf("REST, bad zone: %d %v", st, body)
	}
}

// An owner typed with surrounding white space is the same owner: stored
// trimmed on opportunities and leads (create, update, REST), so the
// report neither splits a rep's win rate into two rows nor leaves the
// padded deals out of the rep's filter.
func TestReportOwnersTrimmed(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	var deals []string
	for _, owner := range []string{"ana", " ana ", "bo"} {
		o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
			AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Owner: owner, Lines: []*crmv1.OpportunityLine{line("SKU-1", "1")},
		}})
		if err != nil {
			t.Fatal(err)
		}
		if o.Owner != strings.TrimSpace(owner) {
			t.Errorf("created with owner %q: stored %q", owner, o.Owner)
		}
		deals = append(deals, o.Id)
	}
	o, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: deals[2], Owner: "\tana\n"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
	})
	if err != nil || o.Owner != "ana" {
		t.Fatalf("owner updated to \"\\tana\\n\": %q %v", o.GetOwner(), err)
	}
	st, body := e.call("PATCH", "/v1/opportunities/"+deals[0]+"?update_mask=owner", token(t, auth.Sales), map[string]any{"owner": " ana"})
	if st != 200 || body["owner"] != "ana" || body["etag"] != "1" {
		t.Errorf("REST: owner \" ana\" of an \"ana\" deal: %d %v, want it unchanged", st, body)
	}
	for i, id := range deals {
		if i%2 == 0 {
			_, err = e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: id})
		} else {
			_, err = e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: id})
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	ld := e.createLead(&crmv1.Lead{Name: "Lea", Company: "Co", Source: "web", Owner: "  ana"})
	if ld.Owner != "ana" {
		t.Errorf("lead created with owner \"  ana\": stored %q", ld.Owner)
	}
	month := time.Now().UTC().Format("2006-01")
	for _, f := range []*crmv1.GetPipelineReportRequest{{}, {Owner: "ana"}, {Owner: " ana "}} {
		got := gotReport(e, f)
		if want := []string{"ana " + month + " 2 1 0.6667 0.00 won[20.00 EUR] lost[10.00 EUR]"}; !slices.Equal(got[2], want) {
			t.Errorf("%v: owners %q, want %q", f, got[2], want)
		}
		if want := []string{"web  1 0 0.0000 0"}; !slices.Equal(got[3], want) {
			t.Errorf("%v: funnel %q, want %q", f, got[3], want)
		}
	}
}

// A closed deal counts for the owner who won or lost it, whoever owns it
// now: reassigning ana's closed deals to zed moves none of her wins,
// losses or amounts, in the maintained totals or the filtered report,
// while the stages follow the current owner. A deal reopened and closed
// again counts for the owner who closed it then.
func TestReportOwnerAtClose(t *testing.T) {
	e := newEnv(t)
	seedReport(t, e)
	closed, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: `owner = "ana"`, PageSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	// ana's closed deals (three of the deals, two from converted leads)
	// in one month: amounts per currency in one row.
	if _, err := e.db.Exec(t.Context(), `UPDATE opportunities SET close_time = '2030-11-15 12:00:00Z'
WHERE owner = 'ana' AND stage IN ('closed_won', 'closed_lost')`); err != nil {
		t.Fatal(err)
	}
	anaRow := "ana 2030-11 4 1 0.8000 "
	owners := func(f *crmv1.GetPipelineReportRequest) []string { return gotReport(e, f)[2] }
	before := owners(&crmv1.GetPipelineReportRequest{})
	i := slices.IndexFunc(before, func(l string) bool { return strings.HasPrefix(l, anaRow) })
	if i < 0 || !strings.HasSuffix(before[i], " won[90.00 EUR, 1000.00 USD] lost[5.00 EUR]") {
		t.Fatalf("ana's deals before the reassignment: %q, want %q... won[90.00 EUR, 1000.00 USD] lost[5.00 EUR]", before, anaRow)
	}
	var moved []string
	for _, o := range closed.Opportunities {
		if o.Stage != crmv1.Stage_STAGE_CLOSED_WON && o.Stage != crmv1.Stage_STAGE_CLOSED_LOST {
			continue
		}
		if o.CloseOwner != "ana" {
			t.Errorf("deal %s closed by ana: close_owner %q", o.Id, o.CloseOwner)
		}
		got, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
			Opportunity: &crmv1.Opportunity{Id: o.Id, Owner: "zed"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"owner"}},
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Owner != "zed" || got.CloseOwner != "ana" {
			t.Errorf("reassigned closed deal: owner %q, close_owner %q, want zed and ana", got.Owner, got.CloseOwner)
		}
		moved = append(moved, o.Id)
	}
	if len(moved) != 5 {
		t.Fatalf("ana closed %d deals, want 5", len(moved))
	}
	if after := owners(&crmv1.GetPipelineReportRequest{}); !slices.Equal(after, before) {
		t.Errorf("owners after reassigning closed deals:\n got %q\nwant %q", after, before)
	}
	for _, f := range []*crmv1.GetPipelineReportRequest{
		{}, {Owner: "ana"}, {Owner: "zed"}, {Owner: "ana", CloseStartDate: "2030-11-01", CloseEndDate: "2030-11-30"},
		{CurrencyCode: "EUR", TimeZone: "Europe/Berlin"},
	} {
		want, got := expectedReport(e, f), gotReport(e, f)
		for i := range sections {
			if !slices.Equal(got[i], want[i]) {
				t.Errorf("%v: %s:\n got %q\nwant %q", f, sections[i], got[i], want[i])
			}
		}
	}
	if got := owners(&crmv1.GetPipelineReportRequest{Owner: "zed"}); len(got) != 0 {
		t.Errorf("zed closed no deal, owners %q", got)
	}
	if got := gotReport(e, &crmv1.GetPipelineReportRequest{Owner: "zed"})[0]; len(got) != 3 {
		t.Errorf("zed's stages (won and lost deals now his): %q", got)
	}

	// Reopened and lost again, now by zed.
	ro, err := e.opportunities.ReopenOpportunity(e.sales(), &crmv1.ReopenOpportunityRequest{Id: moved[0]})
	if err != nil || ro.CloseOwner != "" {
		t.Fatalf("reopened: close_owner %q, %v", ro.GetCloseOwner(), err)
	}
	lo, err := e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: moved[0]})
	if err != nil || lo.CloseOwner != "zed" {
		t.Fatalf("lost again: close_owner %q, %v", lo.GetCloseOwner(), err)
	}
	stored, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: moved[0]})
	if err != nil || stored.CloseOwner != "zed" {
		t.Fatalf("stored close_owner %q, %v", stored.GetCloseOwner(), err)
	}
	want, got := expectedReport(e, &crmv1.GetPipelineReportRequest{}), gotReport(e, &crmv1.GetPipelineReportRequest{})
	if !slices.Equal(got[2], want[2]) || !slices.ContainsFunc(got[2], func(l string) bool { return strings.HasPrefix(l, "zed ") }) {
		t.Errorf("owners after zed lost a deal:\n got %q\nwant %q", got[2], want[2])
	}
}
