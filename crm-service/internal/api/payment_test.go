package api_test

import (
	"slices"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func TestSetAccountPaymentStatus(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	before := e.rows()

	got, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE,
		OpenBalance: eur("1200.5"), OverdueBalance: eur("200"), SourceVersion: 5,
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE || got.Etag != "2" ||
		!proto.Equal(got.OpenBalance, eur("1200.50")) || !proto.Equal(got.OverdueBalance, eur("200.00")) {
		t.Fatalf("set: %v", got)
	}
	read, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: a.Id})
	if err != nil || !proto.Equal(read, got) {
		t.Fatalf("read back %v (%v), want %v", read, err, got)
	}
	if n := e.rows().events; n != before.events {
		t.Fatalf("payment sync recorded events: %d -> %d", before.events, n)
	}

	// Equal and older versions are ignored, whatever they say.
	for _, v := range []int64{5, 4} {
		stale, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, SourceVersion: v,
		})
		if err != nil || !proto.Equal(stale, got) {
			t.Fatalf("version %d: %v %v, want unchanged", v, stale, err)
		}
	}
	// A newer report with the same facts keeps the etag but its version
	// counts: a report between the two is now stale.
	same, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE,
		OpenBalance: eur("1200.50"), OverdueBalance: eur("200.00"), SourceVersion: 8,
	})
	if err != nil || same.Etag != "2" {
		t.Fatalf("same facts: %v %v", same, err)
	}
	if v := e.count(`SELECT payment_version FROM accounts WHERE id = $1`, a.Id); v != 8 {
		t.Fatalf("payment_version %d, want 8", v)
	}
	mid, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: 7,
	})
	if err != nil || mid.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE {
		t.Fatalf("version 7 after 8: %v %v", mid, err)
	}
	// Paid: the balances are replaced as a whole (left out = unknown).
	paid, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID,
		OpenBalance: eur("0"), SourceVersion: 9,
	})
	if err != nil || paid.Etag != "3" || paid.OverdueBalance != nil || !proto.Equal(paid.OpenBalance, eur("0.00")) {
		t.Fatalf("paid: %v %v", paid, err)
	}
	// A client update leaves the payment facts alone.
	upd, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: &crmv1.Account{
		Id: a.Id, Name: "Acme 2", PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE,
	}})
	if err != nil || upd.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_PAID || !proto.Equal(upd.OpenBalance, eur("0.00")) {
		t.Fatalf("update: %v %v", upd, err)
	}

	after := e.rows()
	tests := []struct {
		req  *crmv1.SetAccountPaymentStatusRequest
		want []string
	}{
		{&crmv1.SetAccountPaymentStatusRequest{AccountId: "nope"}, []string{"account_id", "payment_status", "source_version"}},
		{&crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus(42), SourceVersion: 20,
			OpenBalance: eur("1.234"), OverdueBalance: &moneyv1.Money{},
		}, []string{"payment_status", "open_balance.amount", "overdue_balance.currency_code", "overdue_balance.amount"}},
		{&crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: -1,
			OpenBalance: eur("1"), OverdueBalance: &moneyv1.Money{CurrencyCode: "USD", Amount: "1"},
		}, []string{"overdue_balance.currency_code", "source_version"}},
	}
	for i, tc := range tests {
		_, err := e.sync.SetAccountPaymentStatus(e.bridge(), tc.req)
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: violations %v, want %v", i, got, tc.want)
		}
	}
	_, err = e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: "01900000-0000-7000-8000-000000000001", PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: 1,
	})
	wantCode(t, err, codes.NotFound)
	_, err = e.sync.SetAccountPaymentStatus(e.sales(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: 100,
	})
	wantCode(t, err, codes.PermissionDenied)
	if now := e.rows(); now != after {
		t.Fatalf("rejected calls wrote: %+v -> %+v", after, now)
	}
	if v := e.count(`SELECT payment_version FROM accounts WHERE id = $1`, a.Id); v != 9 {
		t.Fatalf("rejected calls changed payment_version to %d", v)
	}
}

func TestSetOpportunityPaymentStatus(t *testing.T) {
	e := newEnv(t)
	e.seedProducts(product("SKU-1", "Widget", "10.00"))
	a := e.createAccount("Acme")
	o := e.createOpportunity(a.Id, line("SKU-1", "1"))
	before := e.rows()

	got, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: 3,
	})
	if err != nil || got.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OPEN || got.Etag != "2" || len(got.Lines) != 1 {
		t.Fatalf("set: %v %v", got, err)
	}
	stale, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, SourceVersion: 3,
	})
	if err != nil || !proto.Equal(stale, got) {
		t.Fatalf("stale: %v %v", stale, err)
	}
	same, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OPEN, SourceVersion: 6,
	})
	if err != nil || same.Etag != "2" {
		t.Fatalf("same status: %v %v", same, err)
	}
	older, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, SourceVersion: 5,
	})
	if err != nil || older.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_OPEN {
		t.Fatalf("older after newer same: %v %v", older, err)
	}
	paid, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, SourceVersion: 7,
	})
	if err != nil || paid.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_PAID || paid.Etag != "3" {
		t.Fatalf("paid: %v %v", paid, err)
	}
	// Client edits keep it.
	upd, err := e.opportunities.UpdateOpportunity(e.sales(), &crmv1.UpdateOpportunityRequest{
		Opportunity: &crmv1.Opportunity{Id: o.Id, Name: "Renamed"}, UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"name"}},
	})
	if err != nil || upd.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_PAID {
		t.Fatalf("update: %v %v", upd, err)
	}
	if n := e.rows().events; n != before.events+1 { // the update only
		t.Fatalf("events %d -> %d, want one (the update)", before.events, n)
	}

	after := e.rows()
	_, err = e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{OpportunityId: "x"})
	if f := violations(t, err); !slices.Equal(f, []string{"opportunity_id", "payment_status", "source_version"}) {
		t.Fatalf("violations %v", f)
	}
	_, err = e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: "01900000-0000-7000-8000-000000000001", PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, SourceVersion: 1,
	})
	wantCode(t, err, codes.NotFound)
	_, err = e.sync.SetOpportunityPaymentStatus(e.as(auth.Finance), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE, SourceVersion: 100,
	})
	wantCode(t, err, codes.PermissionDenied)
	if now := e.rows(); now != after {
		t.Fatalf("rejected calls wrote: %+v -> %+v", after, now)
	}
}
