package api_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// restPeriodClose exercises the period close routes: finance closes,
// postings dated in the closed period are refused, only admin reopens,
// with a reason, and the changes are listed. It runs last in
// TestRESTRoutes (customerID is a customer of it).
func restPeriodClose(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any, customerID string) {
	t.Helper()
	wh, finance, sales, admin := token(t, auth.Warehouse), token(t, auth.Finance), token(t, auth.Sales), token(t, auth.Admin)
	if p := call(200, "GET", "/v1/ledger/period", wh, ""); len(p) != 0 {
		t.Errorf("period of open books = %v", p)
	}
	if r := e.call("POST", "/v1/ledger/period:close", sales, `{"through_date":"2026-01-31"}`); r.status != 403 {
		t.Errorf("close by sales = %d", r.status)
	}
	for _, body := range []string{`{}`, `{"through_date":"2026-02-30"}`, `{"through_date":"9999-12-31"}`} {
		if r := e.call("POST", "/v1/ledger/period:close", finance, body); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[through_date]" {
			t.Errorf("close %s = %d %v", body, r.status, r.body)
		}
	}
	through := time.Now().UTC().AddDate(0, 0, -40).Format(time.DateOnly)
	p := call(200, "POST", "/v1/ledger/period:close", finance, `{"through_date":"`+through+`","request_id":"close-1"}`)
	ch, _ := p["last_change"].(map[string]any)
	if p["closed_through_date"] != through || ch["action"] != "close" || ch["actor"] != "tester" || ch["change_time"] == nil {
		t.Errorf("closed = %v", p)
	}
	if got := call(200, "GET", "/v1/ledger/period", sales, ""); got["closed_through_date"] != through || got["first_open_date"] == "" {
		t.Errorf("period = %v", got)
	}
	r := e.call("POST", "/v1/payments", finance, fmt.Sprintf(`{"customer_id":%q,"amount":{"currency_code":"EUR","amount":"10"},"received_date":%q}`, customerID, through))
	if r.status != 400 || !strings.Contains(str(r.body["message"]), "closed through "+through) {
		t.Errorf("payment received on the closed day = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/ledger/period:close", finance, `{"through_date":"`+through+`"}`); r.status != 400 || !strings.Contains(str(r.body["message"]), "already closed through") {
		t.Errorf("second close through the same day = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/ledger/period:reopen", finance, `{"reason":"late invoice"}`); r.status != 403 {
		t.Errorf("reopen by finance = %d", r.status)
	}
	if r := e.call("POST", "/v1/ledger/period:reopen", admin, `{"reason":"  "}`); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[reason]" {
		t.Errorf("reopen without a reason = %d %v", r.status, r.body)
	}
	p = call(200, "POST", "/v1/ledger/period:reopen", admin, `{"reason":"late supplier invoice"}`)
	if ch, _ := p["last_change"].(map[string]any); p["closed_through_date"] != nil || ch["action"] != "reopen" || ch["previous_through_date"] != through || ch["reason"] != "late supplier invoice" {
		t.Errorf("reopened = %v", p)
	}
	if r := e.call("GET", "/v1/ledger/period/changes", sales, ""); r.status != 403 {
		t.Errorf("changes by sales = %d", r.status)
	}
	list := call(200, "GET", "/v1/ledger/period/changes?page_size=1", finance, "")
	changes, _ := list["changes"].([]any)
	if len(changes) != 1 || changes[0].(map[string]any)["action"] != "reopen" || list["next_page_token"] == nil {
		t.Fatalf("changes = %v", list)
	}
	list = call(200, "GET", "/v1/ledger/period/changes?page_size=1&page_token="+str(list["next_page_token"]), finance, "")
	if changes, _ := list["changes"].([]any); len(changes) != 1 || changes[0].(map[string]any)["action"] != "close" || list["next_page_token"] != nil {
		t.Errorf("second page of changes = %v", list)
	}
}

// A retried close answers what the first one did, even once the books
// have moved on.
func TestCloseLedgerPeriodRetry(t *testing.T) {
	t.Parallel()
	e := start(t)
	fin := as(t, auth.Finance)
	d1, d2 := time.Now().UTC().AddDate(0, 0, -9).Format(time.DateOnly), time.Now().UTC().AddDate(0, 0, -2).Format(time.DateOnly)
	first, err := e.ledger.CloseLedgerPeriod(fin, &erpv1.CloseLedgerPeriodRequest{ThroughDate: d1, RequestId: "close-a"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.ledger.CloseLedgerPeriod(fin, &erpv1.CloseLedgerPeriodRequest{ThroughDate: d2, RequestId: "close-b"}); err != nil {
		t.Fatal(err)
	}
	again, err := e.ledger.CloseLedgerPeriod(fin, &erpv1.CloseLedgerPeriodRequest{ThroughDate: d1, RequestId: "close-a"})
	if err != nil || again.GetLastChange().GetId() != first.GetLastChange().GetId() || again.GetClosedThroughDate() != d1 {
		t.Errorf("retried close = %v, %v; want %v", again, err, first)
	}
	_, err = e.ledger.ReopenLedgerPeriod(as(t, auth.Admin), &erpv1.ReopenLedgerPeriodRequest{Reason: "x", RequestId: "close-a"})
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("request_id of a close reused by a reopen: %v", err)
	}
	long := strings.Repeat("x", 1001)
	_, err = e.ledger.ReopenLedgerPeriod(as(t, auth.Admin), &erpv1.ReopenLedgerPeriodRequest{Reason: long})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[reason]" {
		t.Errorf("reopen with a reason of 1001 bytes: fields %s (%v)", got, err)
	}
	_, err = e.ledger.ReopenLedgerPeriod(as(t, auth.Admin), &erpv1.ReopenLedgerPeriodRequest{Reason: "x", ThroughDate: "2026-1-1"})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[through_date]" {
		t.Errorf("reopen to a bad date: fields %s (%v)", got, err)
	}
	p, err := e.ledger.GetLedgerPeriod(fin, &erpv1.GetLedgerPeriodRequest{})
	if err != nil || p.GetClosedThroughDate() != d2 {
		t.Errorf("period = %v, %v", p, err)
	}
}
