package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
)

// TestCreditNoteFlowsToCRM credits a won deal's invoice in the ERP and
// sees the CRM follow: a price concession lowers the account's open
// balance, and a return crediting the rest of a partly paid invoice
// cancels it by credit: what was paid comes back as the account's credit,
// nothing stays paid, so the invoice is CREDITED, the deal's payment
// status CREDITED (not PAID: the customer paid nothing of it) and its
// order INVOICED.
func TestCreditNoteFlowsToCRM(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	finance := rest(st, stack.ERP, auth.Finance)
	crm := rest(st, stack.CRM, auth.Sales)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "CRED-1", "name": "Credited", "list_price": map[string]any{"currency_code": "EUR", "amount": "10.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "CRED-1", "quantity": "10", "reason": "receipt"})
	must(t, resp, err, 200)
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/CRED-1", nil)
		return err == nil && resp.Status == 200, string(resp.Raw)
	})
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Credited AG"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
		"account_id": accountID, "name": "Three units", "currency_code": "EUR",
		"lines": []any{map[string]any{"sku": "CRED-1", "quantity": "3"}},
	})
	oppID := restclient.Str(must(t, resp, err, 200).Body, "id")
	resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+oppID+":win", map[string]any{})
	must(t, resp, err, 200)
	var orderID string
	eventually(t, 10*time.Second, "order confirmed", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
		if err != nil {
			return false, err.Error()
		}
		orderID = restclient.Str(resp.Body, "order", "id")
		return restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
	})
	resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
	must(t, resp, err, 200)
	resp, err = finance.Do(ctx, "POST", "/v1/invoices", map[string]any{"sales_order_id": orderID})
	inv := must(t, resp, err, 200).Body
	invoiceID, customerID := restclient.Str(inv, "id"), restclient.Str(inv, "customer_id")

	// shows waits for the deal's payment status and the account's EUR
	// open balance and credit.
	shows := func(what, payment, open, credit string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
			if err != nil || resp.Status != 200 {
				return false, fmt.Sprint(err)
			}
			if restclient.Str(resp.Body, "payment_status") != payment {
				return false, string(resp.Raw)
			}
			acc, err := crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
			if err != nil || acc.Status != 200 {
				return false, fmt.Sprint(err)
			}
			balances, _ := acc.Body["balances"].([]any)
			for _, b := range balances {
				m, _ := b.(map[string]any)
				if restclient.Str(m, "currency_code") == "EUR" {
					return restclient.Str(m, "open_balance", "amount") == open && restclient.Str(m, "credit", "amount") == credit, string(acc.Raw)
				}
			}
			return false, string(acc.Raw)
		})
	}
	shows("invoice open", "PAYMENT_STATUS_OPEN", "30.00", "0.00")

	// A price concession of 10.00: 20.00 left open.
	resp, err = finance.Do(ctx, "POST", "/v1/invoices/"+invoiceID+"/creditNotes", map[string]any{
		"reason": "price concession", "lines": []any{map[string]any{"line_number": 1, "amount": map[string]any{"currency_code": "EUR", "amount": "10"}}},
	})
	must(t, resp, err, 200)
	shows("concession credited", "PAYMENT_STATUS_OPEN", "20.00", "0.00")

	// 15.00 paid, then two units come back (20.00): the invoice is
	// settled and the 15.00 paid beyond it is the customer's credit.
	eur := map[string]any{"currency_code": "EUR", "amount": "15.00"}
	resp, err = finance.Do(ctx, "POST", "/v1/payments", map[string]any{
		"customer_id": customerID, "amount": eur, "allocations": []any{map[string]any{"invoice_id": invoiceID, "amount": eur}},
	})
	must(t, resp, err, 200)
	shows("partly paid", "PAYMENT_STATUS_PARTIALLY_PAID", "5.00", "0.00")
	resp, err = finance.Do(ctx, "POST", "/v1/invoices/"+invoiceID+"/creditNotes", map[string]any{
		"reason": "returned", "lines": []any{map[string]any{"line_number": 1, "quantity": "2", "return_to_warehouse": "MAIN"}},
	})
	cn := must(t, resp, err, 200).Body
	if restclient.Str(cn, "customer_credit", "amount") != "15.00" {
		t.Fatalf("credit note = %s", resp.Raw)
	}
	resp, err = finance.Do(ctx, "GET", "/v1/invoices/"+invoiceID, nil)
	if got := must(t, resp, err, 200).Body; restclient.Str(got, "status") != "INVOICE_STATUS_CREDITED" ||
		restclient.Str(got, "paid_amount", "amount") != "0.00" {
		t.Fatalf("invoice credited in full = %s", resp.Raw)
	}
	shows("credited in full", "PAYMENT_STATUS_CREDITED", "0.00", "15.00")
	caughtUp(t, st, "after the credit notes")
	resp, err = crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
	if got := must(t, resp, err, 200).Body; restclient.Str(got, "payment_status") != "PAYMENT_STATUS_CREDITED" ||
		restclient.Str(got, "order", "status") != "FULFILLMENT_STATUS_INVOICED" {
		t.Errorf("deal after the credit notes = %s, want payment CREDITED and the order INVOICED", resp.Raw)
	}
	resp, err = finance.Do(ctx, "GET", "/v1/salesOrders/"+orderID, nil)
	if got := must(t, resp, err, 200).Body; restclient.Str(got, "status") != "SALES_ORDER_STATUS_INVOICED" {
		t.Errorf("ERP order after the credit notes = %s, want INVOICED", resp.Raw)
	}
	// The reconciliation agrees: a pass finds no payment status drift.
	report, raw := reconciled(t, rest(st, stack.Bridge, auth.Admin))
	checks, _ := report["checks"].([]any)
	found := false
	for _, c := range checks {
		m := c.(map[string]any)
		if restclient.Str(m, "name") == "payment_status_matches_invoices" {
			found = true
			if d := restclient.Str(m, "drifted"); d != "" && d != "0" {
				t.Errorf("payment status check = %v, want no drift", m)
			}
		}
	}
	if !found {
		t.Errorf("report without the payment status check: %s", raw)
	}
}
