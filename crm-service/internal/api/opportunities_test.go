package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func TestCreateOpportunityComputesAmounts(t *testing.T) {
	e := newEnv(t)
	// SKU-2 is weighed (kg), so it takes fractional quantities.
	gadget := product("SKU-2", "Gadget", "3.33")
	gadget.UnitOfMeasure, gadget.WholeQuantities = "kg", proto.Bool(false)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), gadget,
		&crmv1.ProductUpsert{Sku: "SKU-USD", Name: "Import", ListPrice: &moneyv1.Money{CurrencyCode: "USD", Amount: "5.00"}, SourceVersion: 1})
	a := e.createAccount("Acme")
	o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: "Big deal", CurrencyCode: "EUR", Stage: crmv1.Stage_STAGE_PROPOSAL, ExpectedCloseDate: "2030-01-31",
		Lines: []*crmv1.OpportunityLine{
			{Sku: "SKU-1", Quantity: "3"},                                                // list price: 30.00
			{Sku: "SKU-2", Quantity: "2.5", DiscountPercent: "10"},                       // 3.33*2.5*0.9 = 7.4925 -> 7.49
			{Sku: "SKU-USD", Quantity: "1", UnitPrice: eur("4.50")},                      // explicit EUR price
			{Sku: "SKU-2", Quantity: "1", UnitPrice: eur("0.01"), DiscountPercent: "50"}, // 0.005 -> 0.01 (half away from zero)
		},
		Amount: eur("999.99"), Order: &crmv1.OrderRef{Number: "forged"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if o.Stage != crmv1.Stage_STAGE_PROPOSAL || o.Probability != 50 || o.ExpectedCloseDate != "2030-01-31" || o.Order != nil {
		t.Fatalf("header: %v", o)
	}
	var amounts []string
	for _, l := range o.Lines {
		amounts = append(amounts, l.Amount.Amount)
	}
	if want := []string{"30.00", "7.49", "4.50", "0.01"}; !slices.Equal(amounts, want) {
		t.Fatalf("line amounts %v, want %v", amounts, want)
	}
	if o.Amount.Amount != "42.00" || o.Amount.CurrencyCode != "EUR" {
		t.Fatalf("amount %v", o.Amount)
	}
	if o.Lines[0].UnitPrice.Amount != "10.00" || o.Lines[0].ProductName != "Widget" {
		t.Fatalf("line 0: %v", o.Lines[0])
	}
	got, err := e.opportunities.GetOpportunity(e.as(auth.Service), &crmv1.GetOpportunityRequest{Id: o.Id})
	if err != nil || got.Amount.Amount != "42.00" || len(got.Lines) != 4 || got.Lines[1].Quantity != "2.5" || got.Etag != "1" {
		t.Fatalf("get: %v %v", got, err)
	}
	// An explicit probability wins over the stage's default.
	p, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: "Small", CurrencyCode: "EUR", Probability: 33,
	}})
	if err != nil || p.Probability != 33 || p.Stage != crmv1.Stage_STAGE_PROSPECTING || p.Amount.Amount != "0.00" {
		t.Fatalf("small: %v %v", p, err)
	}
}

func TestCreateOpportunityBadInput(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"),
		&crmv1.ProductUpsert{Sku: "SKU-USD", Name: "Import", ListPrice: &moneyv1.Money{CurrencyCode: "USD", Amount: "5.00"}, SourceVersion: 1})
	a := e.createAccount("Acme")
	valid := func() *crmv1.Opportunity {
		return &crmv1.Opportunity{AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Lines: []*crmv1.OpportunityLine{line("SKU-1", "1")}}
	}
	tests := []struct {
		name   string
		modify func(*crmv1.Opportunity)
		want   []string
	}{
		{"comma decimal", func(o *crmv1.Opportunity) { o.Lines[0].UnitPrice = eur("12,5") }, []string{"opportunity.lines[0].unit_price.amount"}},
		{"exponent", func(o *crmv1.Opportunity) { o.Lines[0].UnitPrice = eur("1e3") }, []string{"opportunity.lines[0].unit_price.amount"}},
		{"too many decimals for EUR", func(o *crmv1.Opportunity) { o.Lines[0].UnitPrice = eur("1.999") }, []string{"opportunity.lines[0].unit_price.amount"}},
		{"unknown SKU", func(o *crmv1.Opportunity) { o.Lines[0].Sku = "NOPE" }, []string{"opportunity.lines[0].sku"}},
		{"negative quantity", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "-1" }, []string{"opportunity.lines[0].quantity"}},
		{"zero quantity", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "0" }, []string{"opportunity.lines[0].quantity"}},
		{"quantity with exponent", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "1e2" }, []string{"opportunity.lines[0].quantity"}},
		{"quantity with 7 decimal places", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "1.0000001" }, []string{"opportunity.lines[0].quantity"}},
		{"quantity rounding to nothing", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "0.0000000000001" }, []string{"opportunity.lines[0].quantity"}},
		{"quantity above 10^12", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "1000000000000.000001" }, []string{"opportunity.lines[0].quantity"}},
		{"absurd quantity", func(o *crmv1.Opportunity) { o.Lines[0].Quantity = "99999999999999999999999" }, []string{"opportunity.lines[0].quantity"}},
		{"price in another currency", func(o *crmv1.Opportunity) {
			o.Lines[0].UnitPrice = &moneyv1.Money{CurrencyCode: "USD", Amount: "1.00"}
		}, []string{"opportunity.lines[0].unit_price.currency_code"}},
		{"list price in another currency", func(o *crmv1.Opportunity) { o.Lines[0].Sku = "SKU-USD" }, []string{"opportunity.lines[0].unit_price"}},
		{"discount over 100", func(o *crmv1.Opportunity) { o.Lines[0].DiscountPercent = "100.5" }, []string{"opportunity.lines[0].discount_percent"}},
		{"unknown currency", func(o *crmv1.Opportunity) { o.CurrencyCode = "XXX"; o.Lines = nil }, []string{"opportunity.currency_code"}},
		{"unknown account", func(o *crmv1.Opportunity) { o.AccountId = "01900000-0000-7000-8000-000000000000" }, []string{"opportunity.account_id"}},
		{"malformed account", func(o *crmv1.Opportunity) { o.AccountId = "acme" }, []string{"opportunity.account_id"}},
		{"closed stage", func(o *crmv1.Opportunity) { o.Stage = crmv1.Stage_STAGE_CLOSED_WON }, []string{"opportunity.stage"}},
		{"probability", func(o *crmv1.Opportunity) { o.Probability = 101 }, []string{"opportunity.probability"}},
		{"close date", func(o *crmv1.Opportunity) { o.ExpectedCloseDate = "31.01.2030" }, []string{"opportunity.expected_close_date"}},
		// Each line is within 30 digits, the amount is not: no order could carry it.
		{"amount past 30 digits", func(o *crmv1.Opportunity) {
			big := &crmv1.OpportunityLine{Sku: "SKU-1", Quantity: "1", UnitPrice: eur(strings.Repeat("9", 28) + ".99")}
			o.Lines = []*crmv1.OpportunityLine{big, big}
		}, []string{"opportunity.lines"}},
		{"every bad field at once", func(o *crmv1.Opportunity) {
			o.Name = ""
			o.Lines = []*crmv1.OpportunityLine{
				{Sku: "SKU-1", Quantity: "1", UnitPrice: eur("12,5")},
				{Sku: "NOPE", Quantity: "-2"},
				{Sku: "SKU-1", Quantity: "1", UnitPrice: eur("1.999"), DiscountPercent: "-1"},
			}
		}, []string{"opportunity.name", "opportunity.lines[0].unit_price.amount", "opportunity.lines[1].sku",
			"opportunity.lines[1].quantity", "opportunity.lines[2].unit_price.amount", "opportunity.lines[2].discount_percent"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := valid()
			tc.modify(o)
			before := e.rows()
			_, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: o, RequestId: "r-" + tc.name})
			if got := violations(t, err); !slices.Equal(got, tc.want) {
				t.Fatalf("violations %v, want %v (%v)", got, tc.want, err)
			}
			if after := e.rows(); after != before {
				t.Fatalf("bad input wrote: %+v -> %+v", before, after)
			}
		})
	}
	// The same over REST: 400 naming the field, nothing written.
	before := e.rows()
	st, body := e.call("POST", "/v1/opportunities", token(t, auth.Sales), map[string]any{
		"account_id": a.Id, "name": "Deal", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "SKU-1", "quantity": "1", "unit_price": map[string]any{"currency_code": "EUR", "amount": "1.999"}}},
	})
	if st != 400 || !slices.Equal(restViolations(body), []string{"opportunity.lines[0].unit_price.amount"}) {
		t.Fatalf("REST: %d %v", st, body)
	}
	if after := e.rows(); after != before {
		t.Fatalf("bad REST input wrote: %+v -> %+v", before, after)
	}
}

func TestCreateOpportunityRetry(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	req := &crmv1.CreateOpportunityRequest{RequestId: "create-opp-1", Opportunity: &crmv1.Opportunity{
		AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Lines: []*crmv1.OpportunityLine{line("SKU-1", "2")},
	}}
	first, err := e.opportunities.CreateOpportunity(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	again, err := e.opportunities.CreateOpportunity(e.sales(), req)
	if err != nil {
		t.Fatal(err)
	}
	if again.Id != first.Id || again.Etag != first.Etag || again.Amount.Amount != first.Amount.Amount || len(again.Lines) != 1 {
		t.Fatalf("retry returned %v, first %v", again, first)
	}
	if after := e.rows(); after != before || after.opportunities != 1 {
		t.Fatalf("retry wrote: %+v -> %+v", before, after)
	}
}

// Concurrent creates with one request_id make one opportunity, which all
// of them return: the loser's key insertion fails and so does its commit,
// which the write goes out with.
func TestCreateOpportunityConcurrentRetries(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	const n = 8
	ids := make(chan string, n)
	errc := make(chan error, n)
	for range n {
		go func() {
			o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{RequestId: "create-once",
				Opportunity: &crmv1.Opportunity{AccountId: a.Id, Name: "Deal", CurrencyCode: "EUR", Lines: []*crmv1.OpportunityLine{line("SKU-1", "2")}}})
			errc <- err
			ids <- o.GetId()
		}()
	}
	seen := map[string]bool{}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		seen[<-ids] = true
	}
	if len(seen) != 1 {
		t.Errorf("calls returned %d different opportunities, want 1", len(seen))
	}
	if got := e.rows().opportunities; got != 1 {
		t.Fatalf("%d opportunities, want 1", got)
	}
	if c := e.eventsOfType("opportunity.created"); c != 1 {
		t.Fatalf("%d opportunity.created events, want 1", c)
	}
}

func TestWinLoseReopen(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	empty := e.createOpportunity(a.Id)
	_, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: empty.Id})
	wantCode(t, err, codes.FailedPrecondition)

	o := e.createOpportunity(a.Id, line("SKU-1", "2"))
	_, err = e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id, Etag: "7"})
	wantCode(t, err, codes.Aborted)

	win := &crmv1.WinOpportunityRequest{Id: o.Id, RequestId: "win-1", Etag: o.Etag}
	won, err := e.opportunities.WinOpportunity(e.sales(), win)
	if err != nil {
		t.Fatal(err)
	}
	if won.Stage != crmv1.Stage_STAGE_CLOSED_WON || won.Probability != 100 || won.CloseTime == nil ||
		won.Order.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PENDING || won.Etag != "2" {
		t.Fatalf("won: %v", won)
	}
	// A retry with the same request id, and a second win, change nothing.
	before := e.rows()
	again, err := e.opportunities.WinOpportunity(e.sales(), win)
	if err != nil || again.Etag != won.Etag || !again.CloseTime.AsTime().Equal(won.CloseTime.AsTime()) {
		t.Fatalf("retry: %v %v", again, err)
	}
	twice, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id, RequestId: "win-2"})
	if err != nil || twice.Etag != won.Etag {
		t.Fatalf("second win: %v %v", twice, err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("winning again wrote: %+v -> %+v", before, after)
	}
	if n := e.eventsOfType("opportunity.won"); n != 1 {
		t.Fatalf("%d opportunity.won events, want 1", n)
	}
	// The won event carries the full opportunity with its lines.
	var wonEvent *crmv1.Event
	for _, ev := range e.feed(before.events) {
		if ev.Type == "opportunity.won" {
			wonEvent = ev
		}
	}
	if wonEvent == nil || wonEvent.Key != o.Id || wonEvent.Version != 2 || len(wonEvent.GetOpportunity().GetLines()) != 1 ||
		wonEvent.GetOpportunity().GetLines()[0].GetSku() != "SKU-1" || wonEvent.GetOpportunity().GetAmount().GetAmount() != "20.00" ||
		wonEvent.GetOpportunity().GetOrder().GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PENDING {
		t.Fatalf("won event: %v", wonEvent)
	}

	// Lines are locked once won; other fields are not.
	before = e.rows()
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("SKU-1", "5")}},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"lines"}},
	})
	wantCode(t, err, codes.FailedPrecondition)
	if after := e.rows(); after != before {
		t.Fatalf("locked lines update wrote: %+v -> %+v", before, after)
	}
	renamed, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Renamed"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	})
	if err != nil || renamed.Name != "Renamed" || renamed.Stage != crmv1.Stage_STAGE_CLOSED_WON {
		t.Fatalf("rename won: %v %v", renamed, err)
	}
	// A won deal cannot be deleted, nor moved out by update.
	_, err = e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: o.Id})
	wantCode(t, err, codes.FailedPrecondition)
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Stage: crmv1.Stage_STAGE_PROPOSAL},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"stage"}},
	})
	wantCode(t, err, codes.FailedPrecondition)

	// Lose from won, then win needs a reopen first.
	lost, err := e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: o.Id, LostReason: "budget cut", RequestId: "lose-1"})
	if err != nil || lost.Stage != crmv1.Stage_STAGE_CLOSED_LOST || lost.Probability != 0 || lost.LostReason != "budget cut" {
		t.Fatalf("lost: %v %v", lost, err)
	}
	_, err = e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
	wantCode(t, err, codes.FailedPrecondition)
	// A request id of another method is refused.
	_, err = e.opportunities.ReopenOpportunity(e.sales(), &crmv1.ReopenOpportunityRequest{Id: o.Id, RequestId: "lose-1"})
	if f := violations(t, err); !slices.Equal(f, []string{"request_id"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.opportunities.ReopenOpportunity(e.sales(), &crmv1.ReopenOpportunityRequest{Id: o.Id, Stage: crmv1.Stage_STAGE_CLOSED_WON})
	if f := violations(t, err); !slices.Equal(f, []string{"stage"}) {
		t.Fatalf("violations %v", f)
	}
	reopened, err := e.opportunities.ReopenOpportunity(e.sales(), &crmv1.ReopenOpportunityRequest{Id: o.Id, RequestId: "reopen-1", Etag: lost.Etag})
	if err != nil || reopened.Stage != crmv1.Stage_STAGE_NEGOTIATION || reopened.Probability != 75 || reopened.CloseTime != nil || reopened.LostReason != "" {
		t.Fatalf("reopened: %v %v", reopened, err)
	}
	_, err = e.opportunities.ReopenOpportunity(e.sales(), &crmv1.ReopenOpportunityRequest{Id: o.Id})
	wantCode(t, err, codes.FailedPrecondition)
	// Open again: the lines can change.
	changed, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("SKU-1", "5")}},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"lines"}},
	})
	if err != nil || changed.Amount.Amount != "50.00" {
		t.Fatalf("after reopen: %v %v", changed, err)
	}
	for typ, want := range map[string]int{"opportunity.won": 1, "opportunity.lost": 1, "opportunity.reopened": 1, "opportunity.updated": 2, "opportunity.created": 2} {
		if n := e.eventsOfType(typ); n != want {
			t.Errorf("%d %s events, want %d", n, typ, want)
		}
	}
}

func TestUpdateOpportunityRules(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }

	// Stage moves set the stage's default probability unless one is given.
	up, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Stage: crmv1.Stage_STAGE_QUALIFICATION}, UpdateMask: mask("stage"),
	})
	if err != nil || up.Probability != 20 || up.Etag != "2" {
		t.Fatalf("stage: %v %v", up, err)
	}
	up, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Stage: crmv1.Stage_STAGE_PROPOSAL, Probability: 0}, UpdateMask: mask("stage", "probability"),
	})
	if err != nil || up.Stage != crmv1.Stage_STAGE_PROPOSAL || up.Probability != 0 {
		t.Fatalf("stage+probability: %v %v", up, err)
	}
	// Closed stages only through :win / :lose.
	for _, st := range []crmv1.Stage{crmv1.Stage_STAGE_CLOSED_WON, crmv1.Stage_STAGE_CLOSED_LOST} {
		_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
			Opportunity: &crmv1.Opportunity{Id: o.Id, Stage: st}, UpdateMask: mask("stage"),
		})
		if f := violations(t, err); !slices.Equal(f, []string{"opportunity.stage"}) {
			t.Fatalf("violations %v", f)
		}
	}
	// Changing the currency needs lines priced in it.
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, CurrencyCode: "USD"}, UpdateMask: mask("currency_code"),
	})
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.currency_code"}) {
		t.Fatalf("violations %v", f)
	}
	up, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, CurrencyCode: "USD", Lines: []*crmv1.OpportunityLine{
			{Sku: "SKU-1", Quantity: "2", UnitPrice: &moneyv1.Money{CurrencyCode: "USD", Amount: "11.50"}},
		}}, UpdateMask: mask("currency_code", "lines"),
	})
	if err != nil || up.Amount.GetCurrencyCode() != "USD" || up.Amount.GetAmount() != "23.00" {
		t.Fatalf("currency change: %v %v", up, err)
	}
	// Bad lines on update name the field and write nothing.
	before := e.rows()
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Lines: []*crmv1.OpportunityLine{line("SKU-1", "1"), line("GHOST", "-1")}}, UpdateMask: mask("lines"),
	})
	// Line 0 has no price and SKU-1 lists in EUR, not the opportunity's USD.
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.lines[0].unit_price", "opportunity.lines[1].sku", "opportunity.lines[1].quantity"}) {
		t.Fatalf("violations %v", f)
	}
	// A stale etag is ABORTED.
	_, err = e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "x", Etag: "1"}, UpdateMask: mask("name"),
	})
	wantCode(t, err, codes.Aborted)
	if after := e.rows(); after != before {
		t.Fatalf("failed updates wrote: %+v -> %+v", before, after)
	}
	// An update that changes nothing writes nothing.
	same, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Deal"}, UpdateMask: mask("name", "etag", "amount"),
	})
	if err != nil || same.Etag != up.Etag {
		t.Fatalf("no-op update: %v %v", same, err)
	}
	if after := e.rows(); after != before {
		t.Fatalf("no-op update wrote: %+v -> %+v", before, after)
	}
	_, err = e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: o.Id, Etag: "1"})
	wantCode(t, err, codes.Aborted)
	if _, err := e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: o.Id, Etag: up.Etag}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM opportunity_lines`); n != 0 {
		t.Fatalf("%d lines left after delete", n)
	}
	all := e.feed(e.rows().events)
	last := all[len(all)-1]
	if last.Type != "opportunity.deleted" || last.Key != o.Id || last.Version != 5 {
		t.Fatalf("last event %v", last)
	}
}

// A closed deal's probability is its stage's: won 100, lost 0. Changing
// it is refused like a stage change; leaving it as it is is not.
func TestClosedDealProbabilityIsFixed(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	mask := func(paths ...string) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: paths} }
	setProbability := func(id string, p int32) (*crmv1.Opportunity, error) {
		return e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
			Opportunity: &crmv1.Opportunity{Id: id, Probability: p}, UpdateMask: mask("probability"),
		})
	}

	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: e.createOpportunity(a.Id, line("SKU-1", "2")).Id})
	if err != nil {
		t.Fatal(err)
	}
	lost, err := e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: e.createOpportunity(a.Id, line("SKU-1", "3")).Id})
	if err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	for _, tc := range []struct {
		o *crmv1.Opportunity
		p int32
	}{{won, 5}, {won, 0}, {won, 99}, {lost, 80}, {lost, 100}} {
		_, err := setProbability(tc.o.Id, tc.p)
		wantCode(t, err, codes.FailedPrecondition)
	}
	// Over REST, as a frontend sends it: the gateway masks the body's fields.
	st, body := e.call("PATCH", "/v1/opportunities/"+won.Id, token(t, auth.Sales), map[string]any{"probability": 5})
	if st != 400 || body["code"] != float64(codes.FailedPrecondition) {
		t.Fatalf("REST PATCH probability of a won deal: %d %v", st, body)
	}
	if after := e.rows(); after != before {
		t.Fatalf("refused probability changes wrote: %+v -> %+v", before, after)
	}
	// An out-of-range value is still bad input first.
	_, err = setProbability(won.Id, 101)
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity.probability"}) {
		t.Fatalf("violations %v", f)
	}

	// The current value, and a mask without probability, still go through.
	same, err := setProbability(won.Id, 100)
	if err != nil || same.Etag != won.Etag || same.Probability != 100 {
		t.Fatalf("won deal, same probability: %v %v", same, err)
	}
	same, err = setProbability(lost.Id, 0)
	if err != nil || same.Etag != lost.Etag || same.Probability != 0 {
		t.Fatalf("lost deal, same probability: %v %v", same, err)
	}
	renamed, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: won.Id, Name: "Renamed", Probability: 5}, UpdateMask: mask("name"),
	})
	if err != nil || renamed.Name != "Renamed" || renamed.Probability != 100 {
		t.Fatalf("rename won deal: %v %v", renamed, err)
	}
	st, body = e.call("PATCH", "/v1/opportunities/"+lost.Id, token(t, auth.Sales), map[string]any{"name": "Gone", "probability": 0})
	if st != 200 || body["name"] != "Gone" || body["probability"] != nil && body["probability"] != float64(0) {
		t.Fatalf("REST PATCH of a lost deal keeping its probability: %d %v", st, body)
	}

	// The pipeline report weighs won deals at 100 %.
	rep, err := e.reports.GetPipelineReport(e.sales(), &crmv1.GetPipelineReportRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var weighted []string
	for _, s := range rep.GetStages() {
		if s.GetStage() == crmv1.Stage_STAGE_CLOSED_WON {
			weighted = append(weighted, s.GetWeightedAmount().GetAmount())
		}
	}
	if !slices.Equal(weighted, []string{"20.00"}) {
		t.Fatalf("won weighted amounts %v, want [20.00]", weighted)
	}
}

func TestLinesJoinTheCatalog(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "1.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "5"), line("SKU-2", "1"))
	if o.Lines[0].AvailableQuantity != "" || o.Lines[0].PromiseDate != "" {
		t.Fatalf("availability before any report: %v", o.Lines[0])
	}
	_, err := e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{
		{Sku: "SKU-1", OnHand: "4", Reserved: "1", Available: "3", PromiseDate: "2031-03-01", SourceVersion: 1, AsOf: timestamppb.Now()},
		{Sku: "SKU-2", OnHand: "9", Available: "9", SourceVersion: 1},
	}})
	if err != nil {
		t.Fatal(err)
	}
	// Renaming the product shows on the line too: it is read, not copied.
	e.seedProducts(&crmv1.ProductUpsert{Sku: "SKU-1", Name: "Widget Pro", ListPrice: eur("12.00"), SourceVersion: 2})
	got, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	today := time.Now().UTC().Format("2006-01-02")
	l0, l1 := got.Lines[0], got.Lines[1]
	if l0.ProductName != "Widget Pro" || l0.AvailableQuantity != "3" || l0.PromiseDate != "2031-03-01" || l0.UnitPrice.Amount != "10.00" {
		t.Fatalf("short line: %v", l0)
	}
	if l1.AvailableQuantity != "9" || l1.PromiseDate != today {
		t.Fatalf("covered line: %v (today %s)", l1, today)
	}
	list, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{})
	if err != nil || len(list.Opportunities) != 1 || list.Opportunities[0].Lines[0].AvailableQuantity != "3" {
		t.Fatalf("list: %v %v", list, err)
	}
}

func TestListOpportunitiesPages(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"), product("SKU-2", "Gadget", "1.00"))
	a, b := e.createAccount("A"), e.createAccount("B")
	want := map[string]int{}
	for i := range 17 {
		acc := b
		if i%2 == 0 {
			acc = a
		}
		o := e.createOpportunity(acc.Id, line("SKU-1", fmt.Sprint(i+1)), line("SKU-2", "1"))
		if acc == a {
			want[o.Id] = i + 1
		}
	}
	seen := map[string]bool{}
	tok, pages := "", 0
	for {
		resp, err := e.opportunities.ListOpportunities(e.as(auth.Integration), &crmv1.ListOpportunitiesRequest{
			PageSize: 4, PageToken: tok, Filter: fmt.Sprintf(`account_id = "%s" AND stage = STAGE_PROSPECTING`, a.Id),
		})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, o := range resp.Opportunities {
			qty, ok := want[o.Id]
			if !ok || seen[o.Id] {
				t.Fatalf("opportunity %s unexpected or repeated", o.Id)
			}
			seen[o.Id] = true
			if len(o.Lines) != 2 || o.Lines[0].Quantity != fmt.Sprint(qty) {
				t.Fatalf("lines of %s: %v", o.Id, o.Lines)
			}
		}
		if tok = resp.NextPageToken; tok == "" {
			break
		}
	}
	if len(seen) != len(want) || pages != 3 {
		t.Fatalf("saw %d of %d in %d pages", len(seen), len(want), pages)
	}
	for _, f := range []string{`stage = closed_won`, `owner = "alice" AND currency_code = "EUR"`} {
		if _, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: f}); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	for _, f := range []string{`stage = STAGE_DONE`, `account_id = "acme"`, `amount = "1"`} {
		_, err := e.opportunities.ListOpportunities(e.sales(), &crmv1.ListOpportunitiesRequest{Filter: f})
		if got := violations(t, err); !slices.Equal(got, []string{"filter"}) {
			t.Fatalf("%s: %v", f, got)
		}
	}
}

func TestSetOpportunityOrder(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	events := e.rows().events
	set := func(version int64, status crmv1.FulfillmentStatus) *crmv1.Opportunity {
		t.Helper()
		got, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
			OpportunityId: o.Id, OrderId: "so-1", OrderNumber: "SO-1001", Status: status, SourceVersion: version,
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	got := set(2, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED)
	if got.Order.GetNumber() != "SO-1001" || got.Order.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED ||
		got.Order.GetUpdateTime() == nil || got.Etag != "3" || won.Etag != "2" {
		t.Fatalf("after set: %v", got)
	}
	// Equal or older revisions change nothing.
	for _, v := range []int64{2, 1} {
		if got := set(v, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_DRAFT); got.Order.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED || got.Etag != "3" {
			t.Fatalf("stale revision %d applied: %v", v, got)
		}
	}
	if got := set(5, crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED); got.Order.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED || got.Etag != "4" {
		t.Fatalf("newer revision: %v", got)
	}
	if n := e.rows().events; n != events {
		t.Fatalf("SetOpportunityOrder recorded events: %d -> %d", events, n)
	}
	_, err = e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{OpportunityId: o.Id})
	if f := violations(t, err); !slices.Equal(f, []string{"status", "source_version"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: "01900000-0000-7000-8000-000000000000", Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_DRAFT, SourceVersion: 1,
	})
	wantCode(t, err, codes.NotFound)
}

// Racing wins, with and without request ids, close the deal once.
func TestConcurrentWinsEmitOneEvent(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	const n = 8
	errc := make(chan error, n)
	etags := make(chan string, n)
	for i := range n {
		go func() {
			req := &crmv1.WinOpportunityRequest{Id: o.Id}
			if i%2 == 0 {
				req.RequestId = fmt.Sprintf("win-%d", i%4)
			}
			got, err := e.opportunities.WinOpportunity(e.sales(), req)
			errc <- err
			etags <- got.GetEtag()
		}()
	}
	for range n {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
		if etag := <-etags; etag != "2" {
			t.Errorf("a win returned etag %s, want 2", etag)
		}
	}
	if w := e.eventsOfType("opportunity.won"); w != 1 {
		t.Fatalf("%d opportunity.won events, want 1", w)
	}
}

// account_id is fixed at creation: an update naming it with another
// account is INVALID_ARGUMENT on update_mask and writes nothing, rather
// than a success that changed nothing; naming it with the current value
// (a client sending back what it read) is fine.
func TestUpdateOpportunityAccountIsFixed(t *testing.T) {
	e := newEnv(t)
	a, b := e.createAccount("Acme"), e.createAccount("Beta")
	o := e.createOpportunity(a.Id)
	_, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, AccountId: b.Id, Name: "Moved"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"account_id", "name"}},
	})
	if v := violations(t, err); !slices.Equal(v, []string{"update_mask"}) {
		t.Fatalf("moving the deal: %v", err)
	}
	tok := token(t, auth.Sales)
	for _, body := range []map[string]any{{"account_id": b.Id}, {}} {
		st, resp := e.call("PATCH", "/v1/opportunities/"+o.Id+"?update_mask=account_id", tok, body)
		if st != 400 || !slices.Equal(restViolations(resp), []string{"update_mask"}) {
			t.Errorf("REST update_mask=account_id with %v: %d %v", body, st, resp)
		}
	}
	got, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
	if err != nil || got.AccountId != a.Id || got.Name != o.Name || got.Etag != o.Etag {
		t.Fatalf("refused updates wrote: %v %v", got, err)
	}
	// The current account, in either case, goes through.
	up, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, AccountId: strings.ToUpper(a.Id), Name: "Renamed"},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"account_id", "name"}},
	})
	if err != nil || up.Name != "Renamed" || up.AccountId != a.Id {
		t.Fatalf("naming the current account: %v %v", up, err)
	}
	st, resp := e.call("PATCH", "/v1/opportunities/"+o.Id, tok, map[string]any{"account_id": a.Id, "name": "Again", "etag": up.Etag})
	if st != 200 || resp["name"] != "Again" {
		t.Fatalf("REST PATCH sending back the account: %d %v", st, resp)
	}
}

// Each line is promised its whole quantity by the ERP's promise schedule:
// 10 available, 20 more on 2031-12-01 and 30 more on 2031-12-15 promise
// lines of 5, 25, 50 and 70 today, 2031-12-01, 2031-12-15 and never.
func TestLinesPromisedBySchedule(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "5"), line("SKU-1", "25"), line("SKU-1", "50"), line("SKU-1", "70"))
	today := time.Now().UTC().Format("2006-01-02")
	schedule := func(steps ...string) []*crmv1.PromisableQuantity {
		var out []*crmv1.PromisableQuantity
		for i := 0; i < len(steps); i += 2 {
			out = append(out, &crmv1.PromisableQuantity{Date: steps[i], Quantity: steps[i+1]})
		}
		return out
	}
	set := func(u *crmv1.AvailabilityUpdate) *crmv1.SetAvailabilityResponse {
		t.Helper()
		u.Sku = "SKU-1"
		resp, err := e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{u}})
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	check := func(when string, want ...string) {
		t.Helper()
		got, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id})
		if err != nil {
			t.Fatal(err)
		}
		var dates []string
		for _, l := range got.GetLines() {
			dates = append(dates, l.GetPromiseDate())
		}
		if !slices.Equal(dates, want) {
			t.Errorf("%s: line promise dates %q, want %q", when, dates, want)
		}
	}

	// The product shows the schedule as sent, what is available now first.
	shown := func(when string, want ...string) {
		t.Helper()
		p, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "SKU-1"})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, q := range p.GetPromiseSchedule() {
			got = append(got, q.GetDate(), q.GetQuantity())
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: product's promise schedule %q, want %q", when, got, want)
		}
	}

	set(&crmv1.AvailabilityUpdate{OnHand: "10", Available: "10", PromiseDate: "2031-12-01", SourceVersion: 2,
		PromiseSchedule: schedule("", "10", "2031-12-01", "30", "2031-12-15", "60")})
	check("scheduled", today, "2031-12-01", "2031-12-15", "")
	shown("scheduled", "", "10", "2031-12-01", "30", "2031-12-15", "60")

	// An older level (a backorder ate the first receipt) is stale: ignored.
	older := schedule("", "0", "2031-12-15", "30")
	if resp := set(&crmv1.AvailabilityUpdate{Available: "0", PromiseDate: "2031-12-01", SourceVersion: 1, PromiseSchedule: older}); resp.GetStale() != 1 {
		t.Fatalf("older level: %v", resp)
	}
	check("after a stale update", today, "2031-12-01", "2031-12-15", "")

	// A receipt already due counts as today.
	set(&crmv1.AvailabilityUpdate{OnHand: "10", Available: "10", PromiseDate: "2020-01-01", SourceVersion: 3,
		PromiseSchedule: schedule("", "10", "2020-01-01", "30", "2031-12-15", "60")})
	check("late receipt", today, today, "2031-12-15", "")

	// The reconciliation's reset replaces the schedule with the level.
	p, err := e.products.GetProduct(e.sales(), &crmv1.GetProductRequest{Sku: "SKU-1"})
	if err != nil {
		t.Fatal(err)
	}
	set(&crmv1.AvailabilityUpdate{Available: "0", PromiseDate: "2031-12-01", SourceVersion: 1, PromiseSchedule: older, ResetEtag: p.GetEtag()})
	check("reset", "2031-12-15", "2031-12-15", "", "")

	// A bridge that sends no schedule keeps the older rule: today when
	// available covers the line, else the product's promise date.
	set(&crmv1.AvailabilityUpdate{OnHand: "10", Available: "10", PromiseDate: "2031-12-01", SourceVersion: 4})
	check("no schedule", today, "2031-12-01", "2031-12-01", "2031-12-01")
	shown("no schedule")

	// A schedule out of order is refused.
	_, err = e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{{
		Sku: "SKU-1", Available: "1", SourceVersion: 5, PromiseSchedule: schedule("", "1", "2031-12-15", "5", "2031-12-01", "9"),
	}}})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("schedule out of order: %v", err)
	}
}

// A line's catalog fields (available_quantity, promise_date,
// product_name) follow the catalog and are outside the opportunity's
// etag: a stock move shows on the deal at once without a new version, so
// a sales rep's edit made with the etag read before it goes through
// rather than failing with 409. Since the etag does not cover the whole
// representation, no answer is a 304: a GET with If-None-Match of the
// current etag gets the whole, current resource.
func TestCatalogFieldsOutsideTheEtag(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "5"))
	setAvailable := func(available string, version int64) {
		t.Helper()
		_, err := e.sync.SetAvailability(e.bridge(), &crmv1.SetAvailabilityRequest{Updates: []*crmv1.AvailabilityUpdate{
			{Sku: "SKU-1", OnHand: available, Available: available, SourceVersion: version, AsOf: timestamppb.Now()},
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
	setAvailable("3", 1)
	sales := token(t, auth.Sales)
	st, hdr, before := e.callWith("GET", "/v1/opportunities/"+o.Id, sales, nil, nil)
	if st != 200 || hdr.Get("ETag") == "" {
		t.Fatalf("GET: %d %v %v", st, hdr, before)
	}
	etag := hdr.Get("ETag")

	setAvailable("7", 2) // stock moves in the ERP
	for _, inm := range []string{etag, "*", "W/" + etag} {
		st, hdr, after := e.callWith("GET", "/v1/opportunities/"+o.Id, sales, nil, http.Header{"If-None-Match": {inm}})
		if st != 200 {
			t.Fatalf("GET with If-None-Match %s: %d, want 200 with the resource", inm, st)
		}
		lines := after["lines"].([]any)
		if got := lines[0].(map[string]any)["available_quantity"]; got != "7" {
			t.Fatalf("GET with If-None-Match %s: available_quantity %v, want 7", inm, got)
		}
		if hdr.Get("ETag") != etag {
			t.Fatalf("ETag %s after a stock move, want %s: the catalog's fields are outside it", hdr.Get("ETag"), etag)
		}
	}
	st, _, edited := e.callWith("PATCH", "/v1/opportunities/"+o.Id, sales, map[string]any{"name": "Acme gearboxes"}, http.Header{"If-Match": {etag}})
	if st != 200 || edited["name"] != "Acme gearboxes" {
		t.Fatalf("edit with the etag read before the stock moved: %d %v, want 200", st, edited)
	}
}
