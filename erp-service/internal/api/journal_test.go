package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
)

// restJournal exercises manual journal entries: finance posts and
// reverses them (once), others may not; bad lines name their fields,
// control accounts are refused saying why. It runs after the period is
// reopened (restPeriodClose).
func restJournal(t *testing.T, e *env, call func(want int, method, path, tok, body string) map[string]any) {
	t.Helper()
	finance, wh, admin := token(t, auth.Finance), token(t, auth.Warehouse), token(t, auth.Admin)
	entry := func(memo, debitAcct, debit, creditAcct, credit string) string {
		return fmt.Sprintf(`{"memo":%q,"currency_code":"EUR","lines":[
			{"account_code":%q,"debit":{"amount":%q}},
			{"account_code":%q,"credit":{"currency_code":"EUR","amount":%q}}]}`, memo, debitAcct, debit, creditAcct, credit)
	}
	if r := e.call("POST", "/v1/journalEntries", wh, entry("x", "5200", "1", "1000", "1")); r.status != 403 {
		t.Errorf("manual entry by the warehouse = %d", r.status)
	}
	if r := e.call("POST", "/v1/journalEntries", finance, entry("x", "5200", "1.00", "1000", "0.99")); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[journal_entry.lines]" || !strings.Contains(str(r.body["message"]), "do not balance") {
		t.Errorf("unbalanced entry = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/journalEntries", finance, entry("", "5200", "1.001", "1000", "1")); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[journal_entry.memo journal_entry.lines[0].debit]" {
		t.Errorf("entry without memo, sub-cent = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/journalEntries", finance, entry("x", "1100", "1", "1000", "1")); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[journal_entry.lines[0].account_code]" || !strings.Contains(str(r.body["message"]), "open invoices") {
		t.Errorf("entry on accounts receivable = %d %v", r.status, r.body)
	}
	body := entry("write-off of petty cash", "5200", "12.50", "1000", "12.50")
	je := call(200, "POST", "/v1/journalEntries?request_id=je-1", finance, body)
	id := str(je["id"])
	if je["kind"] != "manual" || je["reference"] != "journalEntries/"+id || je["memo"] != "write-off of petty cash" || je["entry_date"] == "" {
		t.Errorf("manual entry = %v", je)
	}
	if again := call(200, "POST", "/v1/journalEntries?request_id=je-1", finance, body); again["id"] != id {
		t.Errorf("retried entry = %v", again)
	}
	listed := call(200, "GET", "/v1/journalEntries?filter="+url.QueryEscape(`kind = "manual"`), finance, "")
	if es, _ := listed["journal_entries"].([]any); len(es) != 1 || es[0].(map[string]any)["id"] != id {
		t.Errorf("manual entries = %v", listed)
	}
	rev := "/v1/journalEntries/" + id + ":reverse"
	if r := e.call("POST", rev, finance, `{}`); r.status != 400 || fmt.Sprint(restFields(r.body)) != "[reason]" {
		t.Errorf("reversal without reason = %d %v", r.status, r.body)
	}
	tomorrow2 := time.Now().UTC().AddDate(0, 0, 2).Format(time.DateOnly)
	for body, field := range map[string]string{
		`{"reason":"x","reversal_date":"2026-13-01"}`:           "[reversal_date]",
		`{"reason":"x","reversal_date":"` + tomorrow2 + `"}`:    "[reversal_date]",
		`{"reason":"","reversal_date":"` + tomorrow2 + `"}`:     "[reason reversal_date]",
		`{"reason":"x","reversal_date":"` + "2000-01-01" + `"}`: "[reversal_date]", // before the entry
	} {
		if r := e.call("POST", rev, finance, body); r.status != 400 || fmt.Sprint(restFields(r.body)) != field {
			t.Errorf("reversal %s = %d %v, want 400 naming %s", body, r.status, r.body, field)
		}
	}
	r1 := call(200, "POST", rev, admin, `{"reason":"wrong account","request_id":"jerev-1"}`)
	if r1["kind"] != "manual_reversal" || r1["reverses_id"] != id || r1["memo"] != "wrong account" {
		t.Errorf("reversal = %v", r1)
	}
	if again := call(200, "POST", rev, admin, `{"reason":"wrong account","request_id":"jerev-1"}`); again["id"] != r1["id"] {
		t.Errorf("retried reversal = %v", again)
	}
	if r := e.call("POST", rev, finance, `{"reason":"again"}`); r.status != 400 || !strings.Contains(str(r.body["message"]), "reversed already") {
		t.Errorf("second reversal = %d %v", r.status, r.body)
	}
	tb := call(200, "GET", "/v1/reports/trialBalance?currency_code=EUR", finance, "")
	for _, row := range tb["rows"].([]any) {
		if m := row.(map[string]any); m["account_code"] == "5200" && m["debit"].(map[string]any)["amount"] != "12.50" {
			t.Errorf("5200 in the trial balance = %v", m)
		}
	}
	// The export carries each entry's memo (the reversal's reason), as a
	// text cell a spreadsheet does not run.
	call(200, "POST", "/v1/journalEntries", finance, entry("=1+1 accrual", "5200", "1.00", "1000", "1.00"))
	today := str(je["entry_date"])
	code, _, csv := csvGet(t, e.base+"/v1/reports/journal.csv?currency_code=EUR&start_date="+today+"&end_date="+today, finance)
	if code != 200 || !strings.HasPrefix(csv, "entry_date,entry_id,kind,reference,currency_code,line_number,account_code,account_name,debit,credit,reverses_id,post_time,memo\r\n") ||
		!strings.Contains(csv, ",write-off of petty cash\r\n") || !strings.Contains(csv, ",wrong account\r\n") || !strings.Contains(csv, ",'=1+1 accrual\r\n") {
		t.Errorf("journal.csv = %d %q, want the memos", code, csv)
	}
}
