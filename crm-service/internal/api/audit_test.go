package api_test

import (
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// auditTrail reads every entry of resource through pages of size.
func (e *env) auditTrail(resource string, size int32) []string {
	e.t.Helper()
	var out []string
	tok := ""
	for {
		resp, err := e.audit.ListAuditEntries(e.as(auth.Finance), &crmv1.ListAuditEntriesRequest{
			Filter: `resource = "` + resource + `"`, PageSize: size, PageToken: tok,
		})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, a := range resp.AuditEntries {
			if a.Resource != resource || a.ChangeTime == nil {
				e.t.Fatalf("entry %v", a)
			}
			out = append(out, a.Field+": "+a.OldValue+" -> "+a.NewValue+" by "+a.Actor)
		}
		if tok = resp.NextPageToken; tok == "" {
			return out
		}
	}
}

func TestAuditTrail(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	res := "accounts/" + a.Id
	if got := e.auditTrail(res, 0); len(got) != 0 {
		t.Fatalf("a create is not a field change: %v", got)
	}
	up, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: a.Id, Name: "Acme GmbH", Industry: "tools", Owner: "bob", Etag: "1"},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name", "industry", "owner"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"industry:  -> tools by tester", "name: Acme -> Acme GmbH by tester", "owner: alice -> bob by tester"}
	for _, size := range []int32{1, 2, 50} {
		if got := e.auditTrail(res, size); !slices.Equal(got, want) {
			t.Fatalf("size %d: trail %v, want %v", size, got, want)
		}
	}
	// A stale etag and a write that changes nothing leave no entries.
	before := e.count(`SELECT count(*) FROM audit_entries`)
	_, err = e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: a.Id, Industry: "x", Etag: "1"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}},
	})
	wantCode(t, err, codes.Aborted)
	if _, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account: &crmv1.Account{Id: a.Id, Industry: "tools", Etag: up.Etag}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry"}},
	}); err != nil {
		t.Fatal(err)
	}
	if after := e.count(`SELECT count(*) FROM audit_entries`); after != before {
		t.Fatalf("no-op and failed writes added %d entries", after-before)
	}

	// Cases and opportunities.
	cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "Broken", AccountId: a.Id}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case:       &crmv1.Case{Id: cs.Id, Subject: "Broken pump", Etag: cs.Etag},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"subject"}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.auditTrail("cases/"+cs.Id, 0); !slices.Equal(got, []string{"subject: Broken -> Broken pump by tester"}) {
		t.Fatalf("case trail %v", got)
	}
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	if _, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Stage: crmv1.Stage_STAGE_PROPOSAL, Etag: o.Etag},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"stage"}},
	}); err != nil {
		t.Fatal(err)
	}
	if got := e.auditTrail("opportunities/"+o.Id, 0); !slices.Equal(got, []string{"probability: 10 -> 50 by tester", "stage: prospecting -> proposal by tester"}) {
		t.Fatalf("opportunity trail %v", got)
	}
	hist, err := e.audit.ListStageChanges(e.service(), &crmv1.ListStageChangesRequest{OpportunityId: o.Id, PageSize: 1})
	if err != nil || len(hist.StageChanges) != 1 || hist.StageChanges[0].ToStage != crmv1.Stage_STAGE_PROSPECTING ||
		hist.StageChanges[0].FromStage != crmv1.Stage_STAGE_UNSPECIFIED || hist.NextPageToken == "" {
		t.Fatalf("history page 1: %v %v", hist, err)
	}
	hist, err = e.audit.ListStageChanges(e.service(), &crmv1.ListStageChangesRequest{OpportunityId: o.Id, PageSize: 1, PageToken: hist.NextPageToken})
	if err != nil || len(hist.StageChanges) != 1 || hist.StageChanges[0].FromStage != crmv1.Stage_STAGE_PROSPECTING ||
		hist.StageChanges[0].ToStage != crmv1.Stage_STAGE_PROPOSAL || hist.StageChanges[0].Actor != "tester" || hist.NextPageToken != "" {
		t.Fatalf("history page 2: %v %v", hist, err)
	}

	// A conversion's opportunity starts its history with the caller as actor.
	l := e.createLead(&crmv1.Lead{Name: "Ana", Company: "Beta"})
	conv, err := e.leads.ConvertLead(e.as(auth.Sales), &crmv1.ConvertLeadRequest{Id: l.Id,
		Opportunity: &crmv1.LeadOpportunity{Name: "First order", CurrencyCode: "EUR"}})
	if err != nil {
		t.Fatal(err)
	}
	hist, err = e.audit.ListStageChanges(e.sales(), &crmv1.ListStageChangesRequest{OpportunityId: conv.ConvertedOpportunityId})
	if err != nil || len(hist.StageChanges) != 1 || hist.StageChanges[0].Actor != "tester" ||
		hist.StageChanges[0].ToStage != crmv1.Stage_STAGE_PROSPECTING {
		t.Fatalf("converted opportunity history: %v %v", hist, err)
	}
	// A deleted opportunity keeps its history; an id no opportunity ever
	// had is NOT_FOUND, not an empty history.
	gone := e.createOpportunity(a.Id)
	if _, err := e.opportunities.DeleteOpportunity(e.sales(), &crmv1.DeleteOpportunityRequest{Id: gone.Id}); err != nil {
		t.Fatal(err)
	}
	hist, err = e.audit.ListStageChanges(e.sales(), &crmv1.ListStageChangesRequest{OpportunityId: gone.Id})
	if err != nil || len(hist.StageChanges) != 1 {
		t.Fatalf("deleted opportunity: %v %v", hist, err)
	}
	_, err = e.audit.ListStageChanges(e.sales(), &crmv1.ListStageChangesRequest{OpportunityId: a.Id})
	wantCode(t, err, codes.NotFound)

	// Bad input names the field; other roles are refused.
	for _, f := range []string{`resource = "leads/` + a.Id + `"`, `resource = "accounts/nope"`, `owner = "x"`, `resource >`, `resource != "accounts/` + a.Id + `"`} {
		_, err := e.audit.ListAuditEntries(e.sales(), &crmv1.ListAuditEntriesRequest{Filter: f})
		if v := violations(t, err); !slices.Equal(v, []string{"filter"}) {
			t.Fatalf("%s: violations %v", f, v)
		}
	}
	_, err = e.audit.ListAuditEntries(e.sales(), &crmv1.ListAuditEntriesRequest{PageToken: "x"})
	if v := violations(t, err); !slices.Equal(v, []string{"page_token"}) {
		t.Fatalf("violations %v", v)
	}
	_, err = e.audit.ListStageChanges(e.sales(), &crmv1.ListStageChangesRequest{OpportunityId: "x", PageSize: -1})
	if v := violations(t, err); !slices.Equal(v, []string{"opportunity_id", "page_size"}) {
		t.Fatalf("violations %v", v)
	}
	_, err = e.audit.ListAuditEntries(e.bridge(), &crmv1.ListAuditEntriesRequest{})
	wantCode(t, err, codes.PermissionDenied)
	_, err = e.audit.ListStageChanges(e.as(auth.Warehouse), &crmv1.ListStageChangesRequest{OpportunityId: o.Id})
	wantCode(t, err, codes.PermissionDenied)
}

// A rename, a win, the bridge's order and payment reports and a newer
// report with the same facts leave entries only for what changed and
// users see: no folded name (name_fold, which the name order sorts by),
// no order id or number that stays empty, no ERP revisions.
func TestAuditTrailShowsOnlyVisibleChanges(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	res := "opportunities/" + o.Id
	fields := func() []string {
		t.Helper()
		var out []string
		for _, entry := range e.auditTrail(res, 0) {
			field, _, _ := strings.Cut(entry, ":")
			out = append(out, field)
		}
		return out
	}
	if _, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Big Deal", Etag: o.Etag},
		UpdateMask:  &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := fields(), []string{"name"}; !slices.Equal(got, want) {
		t.Fatalf("trail of the rename %v, want %v:\n%v", got, want, e.auditTrail(res, 0))
	}
	won, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: o.Id})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := fields()[1:], []string{"close_owner", "close_time", "order_status", "order_update_time", "probability", "stage"}; !slices.Equal(got, want) {
		t.Fatalf("trail of the win %v, want %v:\n%v", got, want, e.auditTrail(res, 0))
	}
	if won.Order.GetId() != "" || won.Order.GetNumber() != "" || won.Order.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_PENDING {
		t.Fatalf("won order %v", won.Order)
	}
	n := len(fields())
	if _, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: o.Id, OrderId: "ord-1", OrderNumber: "SO-1", Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_CONFIRMED, SourceVersion: 2,
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := fields()[n:], []string{"order_id", "order_number", "order_status", "order_update_time"}; !slices.Equal(got, want) {
		t.Fatalf("trail of the order %v, want %v", got, want)
	}
	n = len(fields())
	for _, v := range []int64{3, 4} {
		if _, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
			OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: v,
		}); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := fields()[n:], []string{"payment_status"}; !slices.Equal(got, want) {
		t.Fatalf("trail of two payment reports with one status %v, want %v", got, want)
	}
}
