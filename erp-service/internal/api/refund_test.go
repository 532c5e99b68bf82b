package api_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// creditPayment invoices qty of W-1 (seeded: 10.00 EUR, tax 0) to
// customer cid and pays the invoice with amount received on received,
// leaving the rest as credit.
func (e *env) creditPayment(t *testing.T, cid, qty, amount, received string) (*erpv1.Payment, *erpv1.Invoice) {
	t.Helper()
	integ, fin := as(t, auth.Integration), as(t, auth.Finance)
	o, err := e.orders.CreateSalesOrder(integ, &erpv1.CreateSalesOrderRequest{SalesOrder: &erpv1.SalesOrder{
		CustomerId: cid, CurrencyCode: "EUR", Lines: []*erpv1.SalesOrderLine{{Sku: "W-1", Quantity: qty}}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.orders.ConfirmSalesOrder(integ, &erpv1.ConfirmSalesOrderRequest{Id: o.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.shipments.CreateShipment(as(t, auth.Warehouse), &erpv1.CreateShipmentRequest{Shipment: &erpv1.Shipment{SalesOrderId: o.GetId()}}); err != nil {
		t.Fatal(err)
	}
	inv, err := e.invoices.CreateInvoice(fin, &erpv1.CreateInvoiceRequest{Invoice: &erpv1.Invoice{SalesOrderId: o.GetId()}})
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{CustomerId: cid, Amount: eurMoney(amount),
		ReceivedDate: received, Allocations: []*erpv1.PaymentAllocation{{InvoiceId: inv.GetId(), Amount: inv.GetTotal()}}}})
	if err != nil {
		t.Fatal(err)
	}
	return p, inv
}

// refundEntries is the EUR journal entries of kind payment_refund.
func (e *env) refundEntries(t *testing.T) []*erpv1.JournalEntry {
	t.Helper()
	je, err := e.ledger.ListJournalEntries(as(t, auth.Finance), &erpv1.ListJournalEntriesRequest{Filter: `kind = "payment_refund"`, PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return je.GetJournalEntries()
}

// An overpayment's credit paid back, through gRPC: refunds lower the
// payment's unallocated amount and the customer's credit, each posts Dr
// 1100 / Cr 1000, bad requests name their field and write nothing, a
// retry refunds nothing more, concurrent refunds never pay back more than
// the credit, and a refunded payment is never reversed.
func TestRefundPaymentCreditGRPC(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed() // W-1: 5 on hand, 10.00 EUR, tax 0
	fin := as(t, auth.Finance)
	today := time.Now().UTC()
	day := func(days int) string { return today.AddDate(0, 0, days).Format(time.DateOnly) }

	// 45.00 pays the 30.00 invoice and leaves 15.00 of credit.
	p, _ := e.creditPayment(t, cid, "3", "45", day(-10))
	pid := p.GetId()
	if p.GetUnallocatedAmount().GetAmount() != "15.00" || p.GetEtag() != "1" {
		t.Fatalf("payment = %v", p)
	}
	refund := func(req *erpv1.RefundPaymentCreditRequest) (*erpv1.Payment, error) {
		return e.payments.RefundPaymentCredit(fin, req)
	}
	if _, err := e.payments.RefundPaymentCredit(as(t, auth.Sales), &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1")}); grpcCode(err) != codes.PermissionDenied {
		t.Errorf("sales refunds: %v", err)
	}

	before := e.counts()
	for _, tc := range []struct {
		name string
		req  *erpv1.RefundPaymentCreditRequest
		code codes.Code
		want string
	}{
		{"no amount", &erpv1.RefundPaymentCreditRequest{Id: pid}, codes.InvalidArgument, "[amount]"},
		{"over the credit", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("15.01")}, codes.InvalidArgument, "[amount.amount]"},
		{"zero", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("0")}, codes.InvalidArgument, "[amount.amount]"},
		{"negative", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("-1")}, codes.InvalidArgument, "[amount.amount]"},
		{"finer than cents, bad etag", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1.001"), Etag: "x"},
			codes.InvalidArgument, "[etag amount.amount]"},
		{"another currency", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: &moneyv1.Money{CurrencyCode: "USD", Amount: "1"}},
			codes.InvalidArgument, "[amount.currency_code]"},
		{"no such date", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1"), RefundDate: "2026-02-30"}, codes.InvalidArgument, "[refund_date]"},
		{"far ahead", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1"), RefundDate: "9999-12-31"}, codes.InvalidArgument, "[refund_date]"},
		{"after tomorrow", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1"), RefundDate: day(2)}, codes.InvalidArgument, "[refund_date]"},
		{"before the payment", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1"), RefundDate: day(-11)}, codes.InvalidArgument, "[refund_date]"},
		{"long reference", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1"), Reference: strings.Repeat("r", 201)},
			codes.InvalidArgument, "[reference]"},
		{"stale etag", &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1"), Etag: "9"}, codes.Aborted, "[]"},
		{"malformed id", &erpv1.RefundPaymentCreditRequest{Id: "nope", Amount: eurMoney("1")}, codes.InvalidArgument, "[id]"},
		{"unknown payment", &erpv1.RefundPaymentCreditRequest{Id: "01900000-0000-7000-8000-000000000001", Amount: eurMoney("1")}, codes.NotFound, "[]"},
	} {
		_, err := refund(tc.req)
		if got := fmt.Sprint(grpcFields(t, err, tc.code)); got != tc.want {
			t.Errorf("%s: fields %s, want %s", tc.name, got, tc.want)
		}
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused refunds wrote: %v -> %v", before, after)
	}

	// 5.00 back; the retry refunds nothing more; the request_id is not
	// for another refund.
	first := &erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("5"), RefundDate: day(-9), Reference: " TRX-77 ", Etag: "1", RequestId: "rf-1"}
	for range 2 {
		got, err := refund(first)
		if err != nil || got.GetUnallocatedAmount().GetAmount() != "10.00" || got.GetEtag() != "2" || got.GetRevision() != 2 ||
			len(got.GetRefunds()) != 1 || len(got.GetAllocations()) != 1 || got.GetStatus() != erpv1.PaymentStatus_PAYMENT_STATUS_POSTED ||
			got.GetUpdateTime().AsTime().Before(got.GetCreateTime().AsTime()) {
			t.Fatalf("refunded = %v, %v", got, err)
		}
		r := got.GetRefunds()[0]
		if r.GetAmount().GetAmount() != "5.00" || r.GetAmount().GetCurrencyCode() != "EUR" || r.GetRefundDate() != day(-9) ||
			r.GetReference() != "TRX-77" || r.GetCreateTime() == nil {
			t.Errorf("refund = %v", r)
		}
	}
	_, err := refund(&erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("6"), RequestId: "rf-1"})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[request_id]" {
		t.Errorf("request_id of another refund: %s", got)
	}
	if got, err := e.payments.GetPayment(fin, &erpv1.GetPaymentRequest{Id: pid}); err != nil || len(got.GetRefunds()) != 1 || got.GetEtag() != "2" {
		t.Errorf("payment after the retries = %v, %v", got, err)
	}

	// The customer's credit falls with it; the journal has the refund,
	// Dr 1100 / Cr 1000; Cash holds 45 - 5, receivables 30 - 45 + 5.
	bal, err := e.customers.GetCustomerBalance(fin, &erpv1.GetCustomerBalanceRequest{CustomerId: cid})
	if err != nil || bal.GetCredit().GetAmount() != "10.00" || bal.GetOpenBalance().GetAmount() != "0.00" {
		t.Errorf("balance = %v, %v", bal, err)
	}
	entries := e.refundEntries(t)
	if len(entries) != 1 {
		t.Fatalf("refund entries = %v", entries)
	}
	var lines []string
	for _, l := range entries[0].GetLines() {
		lines = append(lines, l.GetAccountCode()+" "+l.GetDebit().GetAmount()+"/"+l.GetCredit().GetAmount())
	}
	if entries[0].GetReference() != "payments/"+pid || entries[0].GetCurrencyCode() != "EUR" ||
		fmt.Sprint(lines) != "[1100 5.00/0.00 1000 0.00/5.00]" {
		t.Errorf("refund entry = %v", entries[0])
	}
	tb, err := e.ledger.GetTrialBalance(fin, &erpv1.GetTrialBalanceRequest{CurrencyCode: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range tb.GetRows() {
		got[r.GetAccountCode()] = r.GetBalance().GetAmount()
	}
	if got["1000"] != "40.00" || got["1100"] != "-10.00" || len(tb.GetTotals()) != 1 ||
		tb.GetTotals()[0].GetDebit().GetAmount() != tb.GetTotals()[0].GetCredit().GetAmount() {
		t.Errorf("trial balance = %v", tb)
	}

	// Five concurrent refunds of 3.00 from the 10.00 left: three fit, the
	// others are over what is left, and together they never exceed it.
	var wg sync.WaitGroup
	errs := make([]error, 5)
	for i := range errs {
		wg.Go(func() {
			_, errs[i] = refund(&erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("3"), RequestId: fmt.Sprintf("rf-c%d", i)})
		})
	}
	wg.Wait()
	done := 0
	for _, err := range errs {
		switch {
		case err == nil:
			done++
		case grpcCode(err) != codes.InvalidArgument:
			t.Errorf("concurrent refund: %v", err)
		}
	}
	after, err := e.payments.GetPayment(fin, &erpv1.GetPaymentRequest{Id: pid})
	if err != nil {
		t.Fatal(err)
	}
	sum := decimal.Zero
	for _, r := range after.GetRefunds() {
		sum = sum.Add(decimal.RequireFromString(r.GetAmount().GetAmount()))
	}
	posted := decimal.Zero
	for _, je := range e.refundEntries(t) {
		posted = posted.Add(decimal.RequireFromString(je.GetLines()[0].GetDebit().GetAmount()))
	}
	if done != 3 || sum.String() != "14" || !posted.Equal(sum) || after.GetUnallocatedAmount().GetAmount() != "1.00" ||
		after.GetRevision() != int64(2+done) {
		t.Errorf("after concurrent refunds: %d done, refunds %s, posted %s, payment %v", done, sum, posted, after)
	}

	// The last cent, dated today by default; nothing is left to refund.
	last, err := refund(&erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("1")})
	if err != nil || last.GetUnallocatedAmount().GetAmount() != "0.00" || last.GetRefunds()[len(last.GetRefunds())-1].GetRefundDate() != day(0) {
		t.Errorf("last refund = %v, %v", last, err)
	}
	_, err = refund(&erpv1.RefundPaymentCreditRequest{Id: pid, Amount: eurMoney("0.01")})
	if got := fmt.Sprint(grpcFields(t, err, codes.InvalidArgument)); got != "[amount.amount]" {
		t.Errorf("refund of no credit: %s", got)
	}
	if bal, _ := e.customers.GetCustomerBalance(fin, &erpv1.GetCustomerBalanceRequest{CustomerId: cid}); bal.GetCredit().GetAmount() != "0.00" {
		t.Errorf("balance after refunding everything = %v", bal)
	}

	// A refunded payment is not reversed: the refunded money is gone.
	before = e.counts()
	_, err = e.payments.ReversePayment(fin, &erpv1.ReversePaymentRequest{Id: pid, Reason: "bounced"})
	if got := fmt.Sprint(grpcFields(t, err, codes.FailedPrecondition)); got != "[id]" || !strings.Contains(status.Convert(err).Message(), "refunds (5.00 EUR on "+day(-9)) {
		t.Errorf("reversing a refunded payment: %v", err)
	}
	if got, _ := e.payments.GetPayment(fin, &erpv1.GetPaymentRequest{Id: pid}); got.GetStatus() != erpv1.PaymentStatus_PAYMENT_STATUS_POSTED || got.GetRevision() != last.GetRevision() {
		t.Errorf("payment after the refused reversal = %v", got)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused reversal wrote: %v -> %v", before, after)
	}

	// A reversed payment's credit is gone: nothing to refund.
	pre, err := e.payments.CreatePayment(fin, &erpv1.CreatePaymentRequest{Payment: &erpv1.Payment{CustomerId: cid, Amount: eurMoney("8")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.payments.ReversePayment(fin, &erpv1.ReversePaymentRequest{Id: pre.GetId()}); err != nil {
		t.Fatal(err)
	}
	if _, err := refund(&erpv1.RefundPaymentCreditRequest{Id: pre.GetId(), Amount: eurMoney("1")}); grpcCode(err) != codes.FailedPrecondition {
		t.Errorf("refund of a reversed payment: %v", err)
	}

	// The feed: the refund as the payment right after it, and the
	// customer's balance with its credit.
	var all []*erpv1.Event
	total := e.counts()["outbox_events"]
	for deadline := time.Now().Add(10 * time.Second); len(all) < total && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := e.events.ListEvents(as(t, auth.Integration), &erpv1.ListEventsRequest{PageSize: 1000})
		if err != nil {
			t.Fatal(err)
		}
		all = resp.GetEvents()
	}
	var evs []string
	for _, ev := range all {
		switch {
		case ev.GetType() == "payment.refunded" && ev.GetVersion() == 2:
			pm := ev.GetPayment()
			evs = append(evs, fmt.Sprintf("%s v%d %s %d", ev.GetType(), ev.GetVersion(), pm.GetUnallocatedAmount().GetAmount(), len(pm.GetRefunds())))
			if pm.GetUpdateTime().AsTime().Before(pm.GetCreateTime().AsTime()) || pm.GetRefunds()[0].GetCreateTime().AsTime().Before(pm.GetCreateTime().AsTime()) {
				t.Errorf("refunded payment in the feed = %v", pm)
			}
		case ev.GetType() == "customer.balance_changed" && len(evs) == 1:
			evs = append(evs, ev.GetType()+" "+ev.GetCustomerBalance().GetCredit().GetAmount())
		}
	}
	if fmt.Sprint(evs) != "[payment.refunded v2 10.00 1 customer.balance_changed 10.00]" {
		t.Errorf("events = %v", evs)
	}
}

// The REST route of RefundPaymentCredit: finance only, bad input a 400
// naming the field, a stale etag a 409, a reversal of the refunded
// payment a 400 FAILED_PRECONDITION.
func TestRefundPaymentCreditREST(t *testing.T) {
	t.Parallel()
	e := start(t)
	cid := e.seed()
	finance, sales := token(t, auth.Finance), token(t, auth.Sales)
	p, _ := e.creditPayment(t, cid, "1", "25", "")
	path := "/v1/payments/" + p.GetId() + ":refundCredit"

	if r := e.call("POST", path, sales, `{"amount":{"currency_code":"EUR","amount":"1"}}`); r.status != 403 {
		t.Errorf("refund by sales = %d", r.status)
	}
	before := e.counts()
	if r := e.call("POST", path, finance, `{"amount":{"currency_code":"EUR","amount":"15.01"}}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[amount.amount]" {
		t.Errorf("refund over the credit = %d %v", r.status, r.body)
	}
	if r := e.call("POST", path, finance, `{"amount":{"currency_code":"EUR","amount":"1"},"refund_date":"01/02/2026"}`); r.status != 400 ||
		fmt.Sprint(restFields(r.body)) != "[refund_date]" {
		t.Errorf("refund with a bad date = %d %v", r.status, r.body)
	}
	if r := e.call("POST", path, finance, `{"amount":{"currency_code":"EUR","amount":"1"},"etag":"3"}`); r.status != 409 {
		t.Errorf("stale etag = %d %v", r.status, r.body)
	}
	if after := e.counts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused refunds wrote: %v -> %v", before, after)
	}
	body := `{"amount":{"currency_code":"EUR","amount":"15"},"reference":"SEPA-1","etag":"1","request_id":"rf-rest"}`
	got := e.must(200, "POST", path, finance, body)
	refunds, _ := got["refunds"].([]any)
	if got["unallocated_amount"].(map[string]any)["amount"] != "0.00" || got["etag"] != "2" || len(refunds) != 1 ||
		refunds[0].(map[string]any)["reference"] != "SEPA-1" || refunds[0].(map[string]any)["refund_date"] != time.Now().UTC().Format(time.DateOnly) {
		t.Errorf("refunded = %v", got)
	}
	if again := e.must(200, "POST", path, finance, body); again["etag"] != "2" {
		t.Errorf("retried refund = %v", again)
	}
	if r := e.call("POST", "/v1/payments/"+p.GetId()+":reverse", finance, `{}`); r.status != 400 || r.body["code"] != float64(codes.FailedPrecondition) {
		t.Errorf("reversing the refunded payment = %d %v", r.status, r.body)
	}
}
