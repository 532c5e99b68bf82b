package api_test

import (
	"fmt"
	"slices"
	"strings"
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
	set := func(req *crmv1.SetAccountPaymentStatusRequest) *crmv1.Account {
		t.Helper()
		req.AccountId = a.Id
		got, err := e.sync.SetAccountPaymentStatus(e.bridge(), req)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	bal := func(m *moneyv1.Money, overdue string, version int64) *crmv1.AccountBalanceUpdate {
		return &crmv1.AccountBalanceUpdate{CurrencyCode: m.CurrencyCode, OpenBalance: m,
			OverdueBalance: &moneyv1.Money{CurrencyCode: m.CurrencyCode, Amount: overdue}, SourceVersion: version}
	}
	// shows checks the status, the headline and every currency's
	// "CUR open overdue STATUS".
	shows := func(what string, got *crmv1.Account, status crmv1.PaymentStatus, etag, headline string, balances ...string) {
		t.Helper()
		head := fmt.Sprintf("%s %s %s", got.GetOpenBalance().GetCurrencyCode(), got.GetOpenBalance().GetAmount(), got.GetOverdueBalance().GetAmount())
		var per []string
		for _, b := range got.GetBalances() {
			per = append(per, fmt.Sprintf("%s %s %s %s", b.GetCurrencyCode(), b.GetOpenBalance().GetAmount(), b.GetOverdueBalance().GetAmount(),
				strings.TrimPrefix(b.GetPaymentStatus().String(), "PAYMENT_STATUS_")))
		}
		if got.GetPaymentStatus() != status || got.GetEtag() != etag || head != headline || fmt.Sprint(per) != fmt.Sprint(balances) {
			t.Errorf("%s: %v %s etag %s %v; want %v %s etag %s %v", what, got.GetPaymentStatus(), head, got.GetEtag(), per,
				status, headline, etag, balances)
		}
		read, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: a.Id})
		if err != nil || !proto.Equal(read, got) {
			t.Errorf("%s: read back %v (%v), want %v", what, read, err, got)
		}
	}
	const (
		overdue = crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE
		open    = crmv1.PaymentStatus_PAYMENT_STATUS_OPEN
		paid    = crmv1.PaymentStatus_PAYMENT_STATUS_PAID
	)

	// The single-currency form: the status is derived, whatever it says.
	got := set(&crmv1.SetAccountPaymentStatusRequest{
		PaymentStatus: paid, OpenBalance: eur("1200.5"), OverdueBalance: eur("200"), SourceVersion: 5,
	})
	shows("first report", got, overdue, "2", "EUR 1200.50 200.00", "EUR 1200.50 200.00 OVERDUE")
	if n := e.rows().events; n != before.events {
		t.Fatalf("payment sync recorded events: %d -> %d", before.events, n)
	}
	// Equal and older versions of the currency are ignored, whatever they
	// say.
	for _, v := range []int64{5, 4} {
		stale := set(&crmv1.SetAccountPaymentStatusRequest{Balances: []*crmv1.AccountBalanceUpdate{bal(eur("0"), "0", v)}})
		shows(fmt.Sprint("version ", v), stale, overdue, "2", "EUR 1200.50 200.00", "EUR 1200.50 200.00 OVERDUE")
	}
	// A newer report with the same facts keeps the etag but its version
	// counts: a report between the two is now stale.
	same := set(&crmv1.SetAccountPaymentStatusRequest{Balances: []*crmv1.AccountBalanceUpdate{bal(eur("1200.50"), "200.00", 8)}})
	shows("same facts", same, overdue, "2", "EUR 1200.50 200.00", "EUR 1200.50 200.00 OVERDUE")
	if v := e.count(`SELECT source_version FROM account_balances WHERE account_id = $1 AND currency_code = 'EUR'`, a.Id); v != 8 {
		t.Fatalf("EUR source_version %d, want 8", v)
	}
	mid := set(&crmv1.SetAccountPaymentStatusRequest{Balances: []*crmv1.AccountBalanceUpdate{bal(eur("0"), "0", 7)}})
	shows("version 7 after 8", mid, overdue, "2", "EUR 1200.50 200.00", "EUR 1200.50 200.00 OVERDUE")

	// Another currency is owed: the EUR money past due still decides.
	usd := func(amount string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "USD", Amount: amount} }
	got = set(&crmv1.SetAccountPaymentStatusRequest{Balances: []*crmv1.AccountBalanceUpdate{bal(usd("50"), "0", 9)}})
	shows("USD owed", got, overdue, "3", "EUR 1200.50 200.00", "EUR 1200.50 200.00 OVERDUE", "USD 50.00 0.00 OPEN")
	// The EUR invoices are paid: the USD money owed decides.
	got = set(&crmv1.SetAccountPaymentStatusRequest{Balances: []*crmv1.AccountBalanceUpdate{bal(eur("0"), "0", 10)}})
	shows("EUR paid", got, open, "4", "USD 50.00 0.00", "USD 50.00 0.00 OPEN", "EUR 0.00 0.00 PAID")
	// Two currencies in one report, each against its own version: USD
	// applies, the EUR report is older than the EUR balance.
	got = set(&crmv1.SetAccountPaymentStatusRequest{Balances: []*crmv1.AccountBalanceUpdate{bal(usd("0"), "0", 11), bal(eur("99"), "99", 9)}})
	shows("USD paid", got, paid, "5", "EUR 0.00 0.00", "EUR 0.00 0.00 PAID", "USD 0.00 0.00 PAID")
	if v := e.count(`SELECT payment_version FROM accounts WHERE id = $1`, a.Id); v != 11 {
		t.Fatalf("payment_version %d, want 11", v)
	}

	// A client update leaves the payment facts alone.
	upd, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{Account: &crmv1.Account{
		Id: a.Id, Name: "Acme 2", PaymentStatus: overdue, Balances: []*crmv1.AccountBalance{{CurrencyCode: "GBP", PaymentStatus: overdue}},
	}})
	if err != nil || upd.PaymentStatus != paid || !proto.Equal(upd.OpenBalance, eur("0.00")) || len(upd.Balances) != 2 {
		t.Fatalf("update: %v %v", upd, err)
	}
	masked, err := e.accounts.UpdateAccount(e.sales(), &crmv1.UpdateAccountRequest{
		Account:    &crmv1.Account{Id: a.Id, Industry: "tools", Balances: []*crmv1.AccountBalance{{CurrencyCode: "GBP"}}},
		UpdateMask: &fieldmaskpb.FieldMask{Paths: []string{"industry", "balances"}},
	})
	if err != nil || masked.Industry != "tools" || len(masked.Balances) != 2 {
		t.Fatalf("update naming balances: %v %v", masked, err)
	}

	after := e.rows()
	tests := []struct {
		req  *crmv1.SetAccountPaymentStatusRequest
		want []string
	}{
		{&crmv1.SetAccountPaymentStatusRequest{AccountId: "nope"}, []string{"account_id", "balances"}},
		{&crmv1.SetAccountPaymentStatusRequest{AccountId: a.Id, PaymentStatus: open}, []string{"balances"}},
		{&crmv1.SetAccountPaymentStatusRequest{AccountId: a.Id, SourceVersion: 20}, []string{"open_balance"}},
		{&crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, SourceVersion: 20, OpenBalance: eur("1.234"), OverdueBalance: &moneyv1.Money{},
		}, []string{"open_balance.amount", "overdue_balance.currency_code", "overdue_balance.amount"}},
		{&crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, SourceVersion: -1, OpenBalance: eur("1"), OverdueBalance: usd("1"),
		}, []string{"overdue_balance.currency_code", "source_version"}},
		{&crmv1.SetAccountPaymentStatusRequest{AccountId: a.Id, Balances: []*crmv1.AccountBalanceUpdate{
			{CurrencyCode: "EURO", OpenBalance: eur("1"), OverdueBalance: eur("0"), SourceVersion: 30},
			{CurrencyCode: "EUR", OverdueBalance: usd("1")},
			bal(eur("1"), "0", 30),
		}}, []string{"balances[0].currency_code", "balances[1].open_balance", "balances[1].overdue_balance.currency_code",
			"balances[1].source_version", "balances[2].currency_code"}},
		{&crmv1.SetAccountPaymentStatusRequest{AccountId: a.Id, OpenBalance: eur("1"),
			Balances: []*crmv1.AccountBalanceUpdate{bal(eur("1"), "0", 30)}}, []string{"open_balance"}},
	}
	for i, tc := range tests {
		_, err := e.sync.SetAccountPaymentStatus(e.bridge(), tc.req)
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: violations %v, want %v", i, got, tc.want)
		}
	}
	_, err = e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: "01900000-0000-7000-8000-000000000001", Balances: []*crmv1.AccountBalanceUpdate{bal(eur("1"), "0", 1)},
	})
	wantCode(t, err, codes.NotFound)
	_, err = e.sync.SetAccountPaymentStatus(e.sales(), &crmv1.SetAccountPaymentStatusRequest{
		AccountId: a.Id, Balances: []*crmv1.AccountBalanceUpdate{bal(eur("1"), "0", 100)},
	})
	wantCode(t, err, codes.PermissionDenied)
	if now := e.rows(); now != after {
		t.Fatalf("rejected calls wrote: %+v -> %+v", after, now)
	}
	if v := e.count(`SELECT max(source_version) FROM account_balances WHERE account_id = $1`, a.Id); v != 11 {
		t.Fatalf("rejected calls changed a source version to %d", v)
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
	// Every invoice cancelled by credit: CREDITED, stored and read back.
	credited, err := e.sync.SetOpportunityPaymentStatus(e.bridge(), &crmv1.SetOpportunityPaymentStatusRequest{
		OpportunityId: o.Id, PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED, SourceVersion: 8,
	})
	if err != nil || credited.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED || credited.Etag != "5" {
		t.Fatalf("credited: %v %v", credited, err)
	}
	if read, err := e.opportunities.GetOpportunity(e.sales(), &crmv1.GetOpportunityRequest{Id: o.Id}); err != nil ||
		read.PaymentStatus != crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED {
		t.Fatalf("read back: %v %v", read, err)
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
