package api_test

import (
	"fmt"
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

func TestAccountOverview(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	other := e.createAccount("Other")
	paid, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE,
		OpenBalance: eur("300"), OverdueBalance: eur("100"), SourceVersion: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	c1 := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Ana"})
	c2 := e.createContact(&crmv1.Contact{AccountId: a.Id, Name: "Bo"})
	e.createContact(&crmv1.Contact{AccountId: other.Id, Name: "Elsewhere"})

	open := e.createOpportunity(a.Id, line("SKU-1", "2"))
	won := e.createOpportunity(a.Id, line("SKU-1", "1"))
	lost := e.createOpportunity(a.Id, line("SKU-1", "1"))
	e.createOpportunity(other.Id, line("SKU-1", "1"))
	if _, err := e.opportunities.WinOpportunity(e.sales(), &crmv1.WinOpportunityRequest{Id: won.Id}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sync.SetOpportunityOrder(e.bridge(), &crmv1.SetOpportunityOrderRequest{
		OpportunityId: won.Id, OrderId: "so-1", OrderNumber: "SO-1", Status: crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED, SourceVersion: 2,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: won.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE, SourceVersion: 1,
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.opportunities.LoseOpportunity(e.sales(), &crmv1.LoseOpportunityRequest{Id: lost.Id}); err != nil {
		t.Fatal(err)
	}

	var acts []string
	for i := range 22 {
		act, err := e.activities.CreateActivity(e.sales(), &crmv1.CreateActivityRequest{Activity: &crmv1.Activity{
			Type: crmv1.ActivityType_ACTIVITY_TYPE_CALL, Subject: fmt.Sprint("call ", i), AccountId: a.Id,
		}})
		if err != nil {
			t.Fatal(err)
		}
		acts = append(acts, act.Id)
	}
	mkCase := func(p crmv1.CasePriority) *crmv1.Case {
		cs, err := e.cases.CreateCase(e.service(), &crmv1.CreateCaseRequest{Case: &crmv1.Case{Subject: "s", AccountId: a.Id, Priority: p}})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	low := mkCase(crmv1.CasePriority_CASE_PRIORITY_LOW)
	urgent := mkCase(crmv1.CasePriority_CASE_PRIORITY_URGENT)
	done := mkCase(crmv1.CasePriority_CASE_PRIORITY_HIGH)
	if _, err := e.cases.UpdateCase(e.service(), &crmv1.UpdateCaseRequest{
		Case: &crmv1.Case{Id: done.Id, Status: crmv1.CaseStatus_CASE_STATUS_CLOSED}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"status"}},
	}); err != nil {
		t.Fatal(err)
	}

	ov, err := e.overviews.GetAccountOverview(e.as(auth.Finance), &crmv1.GetAccountOverviewRequest{Id: a.Id})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(ov.Account, paid) || ov.Account.GetOverdueBalance().GetAmount() != "100.00" {
		t.Fatalf("account %v, want %v", ov.Account, paid)
	}
	var contacts []string
	for _, c := range ov.Contacts {
		contacts = append(contacts, c.Id)
	}
	if !slices.Equal(contacts, []string{c1.Id, c2.Id}) {
		t.Fatalf("contacts %v", contacts)
	}
	if len(ov.OpenOpportunities) != 1 || ov.OpenOpportunities[0].Id != open.Id || len(ov.OpenOpportunities[0].Lines) != 1 ||
		ov.OpenOpportunities[0].Lines[0].ProductName != "Widget" {
		t.Fatalf("open opportunities %v", ov.OpenOpportunities)
	}
	if len(ov.Orders) != 1 {
		t.Fatalf("orders %v", ov.Orders)
	}
	if o := ov.Orders[0]; o.OpportunityId != won.Id || o.Order.GetNumber() != "SO-1" ||
		o.Order.GetStatus() != crmv1.FulfillmentStatus_FULFILLMENT_STATUS_SHIPPED ||
		o.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE || o.Amount.GetAmount() != "10.00" || o.CloseTime == nil {
		t.Fatalf("order %v", o)
	}
	var recent []string
	for _, act := range ov.RecentActivities {
		recent = append(recent, act.Id)
	}
	slices.Reverse(acts)
	if !slices.Equal(recent, acts[:20]) {
		t.Fatalf("recent activities %v, want the 20 newest %v", recent, acts[:20])
	}
	if len(ov.OpenCases) != 2 || ov.OpenCases[0].Id != urgent.Id || ov.OpenCases[1].Id != low.Id ||
		ov.OpenCases[0].AccountPaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE || ov.OpenCases[0].Breached {
		t.Fatalf("open cases %v", ov.OpenCases)
	}

	// An empty account has empty lists.
	ov, err = e.overviews.GetAccountOverview(e.sales(), &crmv1.GetAccountOverviewRequest{Id: e.createAccount("Empty").Id})
	if err != nil || len(ov.Contacts)+len(ov.OpenOpportunities)+len(ov.RecentActivities)+len(ov.OpenCases)+len(ov.Orders) != 0 {
		t.Fatalf("empty %v %v", ov, err)
	}
	_, err = e.overviews.GetAccountOverview(e.sales(), &crmv1.GetAccountOverviewRequest{Id: "01900000-0000-7000-8000-000000000001"})
	wantCode(t, err, codes.NotFound)
	_, err = e.overviews.GetAccountOverview(e.sales(), &crmv1.GetAccountOverviewRequest{Id: "acme"})
	if f := violations(t, err); !slices.Equal(f, []string{"id"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.overviews.GetAccountOverview(e.as(auth.Warehouse), &crmv1.GetAccountOverviewRequest{Id: a.Id})
	wantCode(t, err, codes.PermissionDenied)
}
