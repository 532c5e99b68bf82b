package api_test

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// A balance's credit (payments the ERP has not applied) is stored and
// shown with the currency's open and overdue balance, versioned with
// them, and leaves the payment status alone.
func TestAccountBalanceCredit(t *testing.T) {
	e := newEnv(t)
	a := e.createAccount("Acme")
	money := func(cur, amount string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: cur, Amount: amount} }
	// bal is a report of one currency; an empty credit leaves it out, as
	// callers from before credit do.
	bal := func(cur, open, credit string, version int64) *crmv1.AccountBalanceUpdate {
		b := &crmv1.AccountBalanceUpdate{CurrencyCode: cur, OpenBalance: money(cur, open), OverdueBalance: money(cur, "0"),
			SourceVersion: version}
		if credit != "" {
			b.Credit = money(cur, credit)
		}
		return b
	}
	set := func(reset string, bs ...*crmv1.AccountBalanceUpdate) *crmv1.Account {
		t.Helper()
		got, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{
			AccountId: a.Id, Balances: bs, ResetEtag: reset,
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	// shows checks the status, the etag and every currency's
	// "CUR open credit STATUS", and that a read shows the same.
	shows := func(what string, got *crmv1.Account, status, etag string, balances ...string) {
		t.Helper()
		var per []string
		for _, b := range got.GetBalances() {
			if c := b.GetCredit().GetCurrencyCode(); c != b.GetCurrencyCode() {
				t.Errorf("%s: %s credit in %q", what, b.GetCurrencyCode(), c)
			}
			per = append(per, fmt.Sprintf("%s %s %s %s", b.GetCurrencyCode(), b.GetOpenBalance().GetAmount(), b.GetCredit().GetAmount(),
				strings.TrimPrefix(b.GetPaymentStatus().String(), "PAYMENT_STATUS_")))
		}
		gotStatus := strings.TrimPrefix(got.GetPaymentStatus().String(), "PAYMENT_STATUS_")
		if gotStatus != status || got.GetEtag() != etag || fmt.Sprint(per) != fmt.Sprint(balances) {
			t.Errorf("%s: %s etag %s %v; want %s etag %s %v", what, gotStatus, got.GetEtag(), per, status, etag, balances)
		}
		read, err := e.accounts.GetAccount(e.sales(), &crmv1.GetAccountRequest{Id: a.Id})
		if err != nil || !proto.Equal(read, got) {
			t.Errorf("%s: read back %v (%v), want %v", what, read, err, got)
		}
	}

	// An over-payment: nothing open, 50.00 of credit. PAID stays PAID.
	got := set("", bal("EUR", "0", "50", 3))
	shows("over-paid", got, "PAID", "2", "EUR 0.00 50.00 PAID")
	// Stale reports of the currency change nothing, credit included.
	for _, v := range []int64{3, 2} {
		shows(fmt.Sprint("stale version ", v), set("", bal("EUR", "0", "0", v)), "PAID", "2", "EUR 0.00 50.00 PAID")
	}
	// A newer report with the same facts keeps the etag; one that changes
	// only the credit bumps it.
	shows("same facts", set("", bal("EUR", "0", "50.00", 4)), "PAID", "2", "EUR 0.00 50.00 PAID")
	shows("credit applied in part", set("", bal("EUR", "0", "20", 5)), "PAID", "3", "EUR 0.00 20.00 PAID")
	// Money owed beside credit: the status follows the open balance alone.
	shows("owed beside credit", set("", bal("EUR", "30", "20", 6)), "OPEN", "4", "EUR 30.00 20.00 OPEN")
	// A currency with only credit is listed, after the one owed in.
	got = set("", bal("USD", "0", "7.5", 2))
	shows("credit-only currency", got, "OPEN", "5", "EUR 30.00 20.00 OPEN", "USD 0.00 7.50 PAID")
	if n := e.count(`SELECT count(*) FROM account_balances WHERE account_id = $1 AND credit > 0`, a.Id); n != 2 {
		t.Fatalf("%d stored balances with credit, want 2", n)
	}
	// A caller from before credit reports none: a newer version clears it.
	shows("no credit sent", set("", bal("USD", "0", "", 3)), "OPEN", "6", "EUR 30.00 20.00 OPEN", "USD 0.00 0.00 PAID")

	// REST shows the credit as Money in the balance's currency.
	code, body := e.call(http.MethodGet, "/v1/accounts/"+a.Id, token(t, auth.Sales), nil)
	if code != http.StatusOK {
		t.Fatalf("GET account: %d %v", code, body)
	}
	first := body["balances"].([]any)[0].(map[string]any)
	if c := first["credit"]; fmt.Sprint(c) != "map[amount:20.00 currency_code:EUR]" {
		t.Errorf("REST balances[0].credit %v, want 20.00 EUR", c)
	}

	// A reset replaces the credit with the balance, whatever version is
	// stored.
	inflated := set("", bal("EUR", "30", "999", 1000))
	shows("inflated", inflated, "OPEN", "7", "EUR 30.00 999.00 OPEN", "USD 0.00 0.00 PAID")
	shows("reset", set(inflated.Etag, bal("EUR", "30", "20", 7)), "OPEN", "8", "EUR 30.00 20.00 OPEN", "USD 0.00 0.00 PAID")

	after := e.rows()
	tests := []struct {
		balances []*crmv1.AccountBalanceUpdate
		want     []string
	}{
		{[]*crmv1.AccountBalanceUpdate{bal("EUR", "0", "-0.01", 50)}, []string{"balances[0].credit.amount"}},
		{[]*crmv1.AccountBalanceUpdate{bal("USD", "0", "0", 50), {CurrencyCode: "EUR", OpenBalance: money("EUR", "0"),
			OverdueBalance: money("EUR", "0"), Credit: money("USD", "5"), SourceVersion: 50}}, []string{"balances[1].credit.currency_code"}},
		{[]*crmv1.AccountBalanceUpdate{bal("EUR", "0", "1.234", 50)}, []string{"balances[0].credit.amount"}},
		{[]*crmv1.AccountBalanceUpdate{{CurrencyCode: "EUR", OpenBalance: money("EUR", "0"), OverdueBalance: money("EUR", "0"),
			Credit: &moneyv1.Money{}, SourceVersion: 50}}, []string{"balances[0].credit.currency_code", "balances[0].credit.amount"}},
	}
	for i, tc := range tests {
		_, err := e.sync.SetAccountPaymentStatus(e.bridge(), &crmv1.SetAccountPaymentStatusRequest{AccountId: a.Id, Balances: tc.balances})
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("case %d: violations %v, want %v", i, got, tc.want)
		}
	}
	if now := e.rows(); now != after {
		t.Fatalf("rejected calls wrote: %+v -> %+v", after, now)
	}
}
