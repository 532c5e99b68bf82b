package api_test

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/auth"
)

// fieldPath matches what looks like a field path in error text:
// "allocations[0].amount.amount", "purchase_order.currency_code".
var fieldPath = regexp.MustCompile(`[a-z_]+(\[\d+\])?(\.[a-z_]+(\[\d+\])?)+`)

// restViolation returns a REST error's message and its one field
// violation, failing unless the status is want and there is exactly one.
func restViolation(t *testing.T, r response, want int) (msg, field, desc string) {
	t.Helper()
	if r.status != want {
		t.Fatalf("status = %d %v, want %d", r.status, r.body, want)
	}
	fvs := restViolations(r.body)
	if len(fvs) != 1 {
		t.Fatalf("violations of %v = %v, want one", r.body, fvs)
	}
	return str(r.body["message"]), str(fvs[0]["field"]), str(fvs[0]["description"])
}

// checkPaths fails unless the message of a violation of field names field
// and no other path, and its description names no path but field.
func checkPaths(t *testing.T, what, msg, field, desc string) {
	t.Helper()
	for _, p := range fieldPath.FindAllString(msg, -1) {
		if p != field {
			t.Errorf("%s: message %q names %s; the violation is of %s", what, msg, p, field)
		}
	}
	if want := "invalid " + field + ": " + desc; msg != want {
		t.Errorf("%s: message %q, want %q", what, msg, want)
	}
	for _, p := range fieldPath.FindAllString(desc, -1) {
		if p != field {
			t.Errorf("%s: description %q of %s names %s", what, desc, field, p)
		}
	}
}

// A purchase order's currency that is not its supplier's is a violation
// of the field the caller sent it in: the order's currency_code when
// given, else the lines' unit_cost.currency_code; lines that disagree
// name the first line that differs from the order's currency.
func TestPurchaseOrderCurrencyFieldREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	e.seed() // W-1
	wh := token(t, auth.Warehouse)
	sid := str(e.must(200, "POST", "/v1/suppliers", wh, `{"name":"Kuwait Parts","currency_code":"KWD"}`)["id"])
	line := func(currency, amount string) string {
		return fmt.Sprintf(`{"sku":"W-1","quantity":"1","unit_cost":{"currency_code":%q,"amount":%q},"expected_date":"2030-01-15"}`, currency, amount)
	}
	create := func(currency string, lines ...string) response {
		body := `{"supplier_id":"` + sid + `"`
		if currency != "" {
			body += `,"currency_code":"` + currency + `"`
		}
		body += `,"lines":[`
		for i, l := range lines {
			if i > 0 {
				body += ","
			}
			body += l
		}
		return e.call("POST", "/v1/purchaseOrders", wh, body+`]}`)
	}

	for _, c := range []struct {
		what, currency string
		lines          []string
		field          string
	}{
		{"no currency_code, a line in EUR", "", []string{line("EUR", "7.50")},
			"purchase_order.lines[0].unit_cost.currency_code"},
		{"currency_code EUR, a line in EUR", "EUR", []string{line("EUR", "7.50")},
			"purchase_order.currency_code"},
		{"currency_code KWD, a line in EUR", "KWD", []string{line("EUR", "7.50")},
			"purchase_order.lines[0].unit_cost.currency_code"},
		{"no currency_code, lines in KWD and EUR", "", []string{line("KWD", "7.500"), line("EUR", "7.50")},
			"purchase_order.lines[1].unit_cost.currency_code"},
		{"no currency_code, lines in EUR and USD", "", []string{line("EUR", "7.50"), line("USD", "7.50")},
			"purchase_order.lines[1].unit_cost.currency_code"},
	} {
		msg, field, desc := restViolation(t, create(c.currency, c.lines...), 400)
		if field != c.field {
			t.Errorf("%s: violation of %s, want %s (%q)", c.what, field, c.field, msg)
		}
		checkPaths(t, c.what, msg, field, desc)
	}

	// Every line in another currency than the supplier's is named.
	r := create("", line("EUR", "7.50"), line("EUR", "1"))
	if got := fmt.Sprint(restFields(r.body)); r.status != 400 ||
		got != "[purchase_order.lines[0].unit_cost.currency_code purchase_order.lines[1].unit_cost.currency_code]" {
		t.Errorf("two lines in EUR = %d %v", r.status, r.body)
	}

	// Lines in the supplier's currency need no currency_code.
	po := e.must(200, "POST", "/v1/purchaseOrders", wh, `{"supplier_id":"`+sid+`","lines":[`+line("KWD", "7.500")+`]}`)
	if po["currency_code"] != "KWD" || po["total"].(map[string]any)["amount"] != "7.500" {
		t.Errorf("purchase order in KWD = %v", po)
	}
}

// The message of a violation of a payment, a credit application or a
// refund names the violation's field, as the REST caller sees it.
func TestPaymentViolationPathsREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1 at 10.00, 5 on hand
	fin := token(t, auth.Finance)
	today := time.Now().UTC()
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }

	// 45.00 pays the 30.00 invoice and leaves 15.00 of credit.
	p, inv := e.creditPayment(t, cid, "3", "45", day(-10))
	pid, invID := p.GetId(), inv.GetId()
	eur := func(a string) string { return `{"currency_code":"EUR","amount":"` + a + `"}` }

	// The store's rules: the invoice is paid, nothing is open.
	r := e.call("POST", "/v1/payments", fin, `{"customer_id":"`+cid+`","amount":`+eur("1")+
		`,"allocations":[{"invoice_id":"`+invID+`","amount":`+eur("0.01")+`}]}`)
	msg, field, desc := restViolation(t, r, 400)
	if field != "payment.allocations[0].amount.amount" {
		t.Errorf("allocating to a paid invoice: violation of %s (%q)", field, msg)
	}
	checkPaths(t, "allocating to a paid invoice", msg, field, desc)

	// The request's own rules: more allocated than paid.
	r = e.call("POST", "/v1/payments", fin, `{"customer_id":"`+cid+`","amount":`+eur("1")+
		`,"allocations":[{"invoice_id":"`+invID+`","amount":`+eur("2")+`}]}`)
	msg, field, desc = restViolation(t, r, 400)
	if field != "payment.allocations[0].amount.amount" {
		t.Errorf("allocating more than the payment: violation of %s (%q)", field, msg)
	}
	checkPaths(t, "allocating more than the payment", msg, field, desc)

	// Credit applied to the paid invoice, and more than there is.
	r = e.call("POST", "/v1/payments/"+pid+":applyCredit", fin, `{"allocations":[{"invoice_id":"`+invID+`","amount":`+eur("0.01")+`}]}`)
	msg, field, desc = restViolation(t, r, 400)
	if field != "allocations[0].amount.amount" {
		t.Errorf("applying credit to a paid invoice: violation of %s (%q)", field, msg)
	}
	checkPaths(t, "applying credit to a paid invoice", msg, field, desc)
	r = e.call("POST", "/v1/payments/"+pid+":applyCredit", fin, `{"allocations":[{"invoice_id":"`+invID+`","amount":`+eur("-1")+`}]}`)
	msg, field, desc = restViolation(t, r, 400)
	if field != "allocations[0].amount.amount" {
		t.Errorf("applying a negative credit: violation of %s (%q)", field, msg)
	}
	checkPaths(t, "applying a negative credit", msg, field, desc)

	// Refunds: more than the credit, in another currency, too early.
	for _, c := range []struct{ what, body, field string }{
		{"refunding more than the credit", `{"amount":` + eur("15.01") + `}`, "amount.amount"},
		{"refunding in USD", `{"amount":{"currency_code":"USD","amount":"1"}}`, "amount.currency_code"},
		{"refunding a negative amount", `{"amount":` + eur("-1") + `}`, "amount.amount"},
		{"refunding before the payment", `{"amount":` + eur("1") + `,"refund_date":"` + day(-11) + `"}`, "refund_date"},
	} {
		msg, field, desc := restViolation(t, e.call("POST", "/v1/payments/"+pid+":refundCredit", fin, c.body), 400)
		if field != c.field {
			t.Errorf("%s: violation of %s, want %s (%q)", c.what, field, c.field, msg)
		}
		checkPaths(t, c.what, msg, field, desc)
	}
}
