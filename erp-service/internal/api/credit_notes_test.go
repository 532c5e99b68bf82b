package api_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// Credit notes through gRPC and the gateway: bad input names its field,
// credits beyond a line or of a void invoice are FAILED_PRECONDITION,
// finance creates and sales reads, a retry answers the first credit note,
// and the invoice shows what is credited.
func TestCreditNotesAPI(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand, 10.00 EUR, tax 0
	fin := as(t, auth.Finance)
	p, inv := e.creditPayment(t, cid, "3", "30", "") // 30.00 invoiced and paid
	iid := inv.GetId()
	create := func(req *erpv1.CreateCreditNoteRequest) (*erpv1.CreditNote, error) {
		return e.invoices.CreateCreditNote(fin, req)
	}
	one := func(lines ...*erpv1.CreditNoteLine) *erpv1.CreditNote {
		return &erpv1.CreditNote{Reason: "returned", Lines: lines}
	}
	if _, err := e.invoices.CreateCreditNote(as(t, auth.Sales), &erpv1.CreateCreditNoteRequest{InvoiceId: iid,
		CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "1"})}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("sales credits: %v", err)
	}
	before := e.counts()
	for _, tc := range []struct {
		name string
		req  *erpv1.CreateCreditNoteRequest
		code codes.Code
		want string
	}{
		{"malformed invoice id", &erpv1.CreateCreditNoteRequest{InvoiceId: "nope", CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "1"})},
			codes.InvalidArgument, "[invoice_id]"},
		{"no reason", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: &erpv1.CreditNote{Lines: []*erpv1.CreditNoteLine{{LineNumber: 1, Quantity: "1"}}}},
			codes.InvalidArgument, "[credit_note.reason]"},
		{"no lines", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: one()}, codes.InvalidArgument, "[credit_note.lines]"},
		{"not a quantity", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "x"})},
			codes.InvalidArgument, "[credit_note.lines[0].quantity]"},
		{"finer than a quantity", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "0.0000001"})},
			codes.InvalidArgument, "[credit_note.lines[0].quantity]"},
		{"finer than cents", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1,
			Amount: &moneyv1.Money{CurrencyCode: "EUR", Amount: "1.001"}})}, codes.InvalidArgument, "[credit_note.lines[0].amount.amount]"},
		{"another currency", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1,
			Amount: &moneyv1.Money{CurrencyCode: "USD", Amount: "1"}})}, codes.InvalidArgument, "[credit_note.lines[0].amount.currency_code]"},
		{"no such date", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: &erpv1.CreditNote{Reason: "r", CreditDate: "2026-02-30",
			Lines: []*erpv1.CreditNoteLine{{LineNumber: 1, Quantity: "1"}}}}, codes.InvalidArgument, "[credit_note.credit_date]"},
		{"before the invoice", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: &erpv1.CreditNote{Reason: "r", CreditDate: "2000-01-01",
			Lines: []*erpv1.CreditNoteLine{{LineNumber: 1, Quantity: "1"}}}}, codes.InvalidArgument, "[credit_note.credit_date]"},
		{"beyond the line", &erpv1.CreateCreditNoteRequest{InvoiceId: iid, CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "4"})},
			codes.FailedPrecondition, "[credit_note.lines[0].quantity]"},
		{"unknown invoice", &erpv1.CreateCreditNoteRequest{InvoiceId: "01900000-0000-7000-8000-000000000001",
			CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "1"})}, codes.NotFound, "[]"},
	} {
		cn, err := create(tc.req)
		if err == nil {
			t.Errorf("%s: created %v", tc.name, cn)
			continue
		}
		if got := fmt.Sprint(grpcFields(t, err, tc.code)); got != tc.want {
			t.Errorf("%s: fields %s, want %s", tc.name, got, tc.want)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused credit notes wrote: %v -> %v", before, after)
	}

	// One unit back into stock: 10.00 of the paid invoice becomes credit.
	req := &erpv1.CreateCreditNoteRequest{InvoiceId: iid, RequestId: "cn-1",
		CreditNote: one(&erpv1.CreditNoteLine{LineNumber: 1, Quantity: "1", ReturnToWarehouse: "main"})}
	cn, err := create(req)
	if err != nil {
		t.Fatal(err)
	}
	if cn.GetNumber() != "CN-000001" || cn.GetTotal().GetAmount() != "10.00" || cn.GetCustomerCredit().GetAmount() != "10.00" ||
		cn.GetLines()[0].GetReturnToWarehouse() != "MAIN" || cn.GetInvoiceNumber() != inv.GetNumber() {
		t.Errorf("credit note = %v", cn)
	}
	if again, err := create(req); err != nil || again.GetId() != cn.GetId() {
		t.Errorf("retry = %v, %v", again, err)
	}
	got, err := e.invoices.GetInvoice(as(t, auth.Sales), &erpv1.GetInvoiceRequest{Id: iid})
	if err != nil || got.GetCreditedAmount().GetAmount() != "10.00" || got.GetPaidAmount().GetAmount() != "20.00" ||
		got.GetOpenAmount().GetAmount() != "0.00" || got.GetStatus() != erpv1.InvoiceStatus_INVOICE_STATUS_PAID {
		t.Errorf("invoice = %v, %v", got, err)
	}
	if gp, _ := e.payments.GetPayment(fin, &erpv1.GetPaymentRequest{Id: p.GetId()}); gp.GetUnallocatedAmount().GetAmount() != "10.00" {
		t.Errorf("payment = %v", gp)
	}

	// Through the gateway: create, read and list; a void invoice.
	finance, sales, wh := token(t, auth.Finance), token(t, auth.Sales), token(t, auth.Warehouse)
	r := e.call("POST", "/v1/invoices/"+iid+"/creditNotes", finance, `{"reason":"damaged","lines":[{"line_number":1,"amount":{"currency_code":"EUR","amount":"2.5"}}]}`)
	if r.status != 200 || r.body["total"].(map[string]any)["amount"] != "2.50" {
		t.Fatalf("REST create = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/invoices/"+iid+"/creditNotes", finance, `{"reason":"damaged","lines":[{"line_number":1,"quantity":"3"}]}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[credit_note.lines[0].quantity]" || r.body["code"] != float64(9) {
		t.Errorf("REST beyond the line = %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/creditNotes/"+str(r.body["id"]), sales, ""); r.status != 200 || r.body["reason"] != "damaged" {
		t.Errorf("REST get = %d %v", r.status, r.body)
	}
	if r := e.call("GET", "/v1/creditNotes/"+str(r.body["id"]), wh, ""); r.status != 403 {
		t.Errorf("REST get by the warehouse = %d", r.status)
	}
	list := e.call("GET", "/v1/creditNotes?page_size=1&filter="+url.QueryEscape(`invoice_id = "`+iid+`"`), sales, "")
	if notes, _ := list.body["credit_notes"].([]any); list.status != 200 || len(notes) != 1 || list.body["next_page_token"] == "" {
		t.Errorf("REST list = %d %v", list.status, list.body)
	}
	if r := e.call("GET", "/v1/creditNotes?filter="+url.QueryEscape(`customer_id != "`+cid+`"`), sales, ""); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[filter]" {
		t.Errorf("REST list by another comparison = %d %v", r.status, r.body)
	}
	_, void := e.creditPayment(t, cid, "1", "10", "")
	if _, err := e.payments.ReversePayment(fin, &erpv1.ReversePaymentRequest{Id: paymentOf(t, e, void.GetId())}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.invoices.VoidInvoice(fin, &erpv1.VoidInvoiceRequest{Id: void.GetId()}); err != nil {
		t.Fatal(err)
	}
	if r := e.call("POST", "/v1/invoices/"+void.GetId()+"/creditNotes", finance, `{"reason":"x","lines":[{"line_number":1,"quantity":"1"}]}`); r.status != 400 ||
		r.body["code"] != float64(9) {
		t.Errorf("REST crediting a void invoice = %d %v", r.status, r.body)
	}

	// The sales report of today: 40.00 invoiced (the void invoice too),
	// 10.00 voided, 12.50 credited (one unit back, 2.50 conceded), 17.50
	// net.
	today := time.Now().UTC().Format(time.DateOnly)
	rep := e.call("GET", "/v1/reports/sales?group_by=SALES_GROUPING_CURRENCY&start_date="+today+"&end_date="+today, finance, "")
	rows, _ := rep.body["rows"].([]any)
	if rep.status != 200 || len(rows) != 1 {
		t.Fatalf("REST sales report = %d %v", rep.status, rep.body)
	}
	row := rows[0].(map[string]any)
	amt := func(k string) any { m, _ := row[k].(map[string]any); return m["amount"] }
	if got := fmt.Sprintf("%v %v %v %v %v %v %v %v %v %v %v", row["invoiced_quantity"], amt("invoiced_amount"),
		row["voided_quantity"], amt("voided_amount"), row["credited_quantity"], amt("credited_amount"),
		row["quantity"], amt("net_amount"), row["invoice_count"], row["voided_invoice_count"], row["credit_note_count"]); got != "4 40.00 1 10.00 1 12.50 2 17.50 2 1 2" {
		t.Errorf("REST sales report row = %s, want 4 40.00 1 10.00 1 12.50 2 17.50 2 1 2 (%v)", got, row)
	}
}

// paymentOf is the id of the (one) payment allocated to an invoice.
func paymentOf(t *testing.T, e *env, invoiceID string) string {
	t.Helper()
	var id string
	if err := e.pool.QueryRow(t.Context(), `SELECT payment_id::text FROM payment_allocations WHERE invoice_id = $1`, invoiceID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// restCreditNotes exercises the credit note routes on an open invoice of
// customer cid: a concession credited, read back and listed.
func restCreditNotes(t *testing.T, call func(want int, method, path, tok, body string) map[string]any, invoiceID, cid string) {
	t.Helper()
	finance, sales := token(t, auth.Finance), token(t, auth.Sales)
	cn := call(200, "POST", "/v1/invoices/"+invoiceID+"/creditNotes?request_id=cn-rest", finance,
		`{"reason":"scratched","lines":[{"line_number":1,"amount":{"currency_code":"EUR","amount":"1"}}]}`)
	if cn["invoice_id"] != invoiceID || cn["number"] == nil {
		t.Errorf("credit note = %v", cn)
	}
	if got := call(200, "GET", "/v1/creditNotes/"+str(cn["id"]), sales, ""); got["reason"] != "scratched" {
		t.Errorf("read credit note = %v", got)
	}
	list := call(200, "GET", "/v1/creditNotes?filter="+url.QueryEscape(`customer_id = "`+cid+`"`), sales, "")
	if notes, _ := list["credit_notes"].([]any); len(notes) != 1 {
		t.Errorf("credit notes of the customer = %v", list)
	}
	// The month's credit notes, by credit date; a value that is no date is
	// refused naming the filter.
	day := str(cn["credit_date"])
	month := call(200, "GET", "/v1/creditNotes?filter="+url.QueryEscape(`credit_date >= "`+day[:8]+`01" AND credit_date <= "`+day+`"`), finance, "")
	if notes, _ := month["credit_notes"].([]any); len(notes) != 1 {
		t.Errorf("credit notes of the month = %v", month)
	}
	later := call(200, "GET", "/v1/creditNotes?filter="+url.QueryEscape(`credit_date > "`+day+`"`), finance, "")
	if notes, _ := later["credit_notes"].([]any); len(notes) != 0 {
		t.Errorf("credit notes after today = %v", later)
	}
	if r := call(400, "GET", "/v1/creditNotes?filter="+url.QueryEscape(`credit_date >= "November"`), finance, ""); !strings.Contains(fmt.Sprint(r), "filter") {
		t.Errorf("credit notes by a date that is none = %v", r)
	}
}

// An invoice credited in full with nothing paid reads CREDITED through
// gRPC and the gateway, is listed by that status (with or without the
// prefix) and is never voided.
func TestCreditedInvoiceAPI(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand, 10.00 EUR, tax 0
	fin := as(t, auth.Finance)
	p, inv := e.creditPayment(t, cid, "2", "20", "") // 20.00 invoiced and paid
	_, paid := e.creditPayment(t, cid, "1", "10", "")
	if _, err := e.payments.ReversePayment(fin, &erpv1.ReversePaymentRequest{Id: p.GetId()}); err != nil {
		t.Fatal(err)
	}
	finance, sales := token(t, auth.Finance), token(t, auth.Sales)
	if r := e.call("POST", "/v1/invoices/"+inv.GetId()+"/creditNotes", finance,
		`{"reason":"cancelled","lines":[{"line_number":1,"quantity":"2"}]}`); r.status != 200 {
		t.Fatalf("REST credit = %d %v", r.status, r.body)
	}
	got, err := e.invoices.GetInvoice(as(t, auth.Sales), &erpv1.GetInvoiceRequest{Id: inv.GetId()})
	if err != nil || got.GetStatus() != erpv1.InvoiceStatus_INVOICE_STATUS_CREDITED || got.GetPaidAmount().GetAmount() != "0.00" ||
		got.GetOpenAmount().GetAmount() != "0.00" || got.GetCreditedAmount().GetAmount() != "20.00" {
		t.Errorf("invoice credited in full = %v, %v", got, err)
	}
	if r := e.call("GET", "/v1/invoices/"+inv.GetId(), sales, ""); r.status != 200 || r.body["status"] != "INVOICE_STATUS_CREDITED" {
		t.Errorf("REST get = %d %v", r.status, r.body["status"])
	}
	for _, filter := range []string{`status = CREDITED`, `status = "INVOICE_STATUS_CREDITED"`, `status = credited`} {
		r := e.call("GET", "/v1/invoices?filter="+url.QueryEscape(filter), sales, "")
		if l, _ := r.body["invoices"].([]any); r.status != 200 || len(l) != 1 || l[0].(map[string]any)["id"] != inv.GetId() {
			t.Errorf("REST list %s = %d %v", filter, r.status, r.body)
		}
	}
	r := e.call("GET", "/v1/invoices?filter="+url.QueryEscape(`status = PAID`), sales, "")
	if l, _ := r.body["invoices"].([]any); r.status != 200 || len(l) != 1 || l[0].(map[string]any)["id"] != paid.GetId() {
		t.Errorf("REST list of the paid = %d %v", r.status, r.body)
	}
	if r := e.call("POST", "/v1/invoices/"+inv.GetId()+":void", finance, `{"reason":"x"}`); r.status != 400 || r.body["code"] != float64(9) ||
		!strings.Contains(str(r.body["message"]), "is CREDITED") {
		t.Errorf("REST void of a credited invoice = %d %v", r.status, r.body)
	}
}
