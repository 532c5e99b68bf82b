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

// TestAccountBalancesInEveryCurrency: a customer with an overdue EUR
// invoice stays OVERDUE in the CRM, showing the EUR amounts, while a USD
// invoice is issued and over-paid; the account lists both currencies'
// balances as the ERP has them, the USD over-payment as credit beside a
// PAID balance, a reconciliation pass finds nothing to repair, a refund of
// part of the credit lowers it, and the account is PAID only once the EUR
// invoice is paid too.
func TestAccountBalancesInEveryCurrency(t *testing.T) {
	st := startStack(t, nil)
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	finance := rest(st, stack.ERP, auth.Finance)
	crm := rest(st, stack.CRM, auth.Sales)

	resp, err := warehouse.Do(ctx, "POST", "/v1/items", map[string]any{
		"sku": "CUR-1", "name": "Item sold in two currencies", "list_price": map[string]any{"currency_code": "EUR", "amount": "10.00"},
	})
	must(t, resp, err, 200)
	resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": "CUR-1", "quantity": "50", "reason": "receipt"})
	must(t, resp, err, 200)
	eventually(t, 10*time.Second, "product in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/CUR-1", nil)
		return err == nil && resp.Status == 200, string(resp.Raw)
	})
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": "Two Currencies Ltd"})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")

	// invoiced wins a deal in currency, ships it and invoices it issued on
	// issue ("" for today); it returns the invoice.
	invoiced := func(currency, price, issue string) map[string]any {
		t.Helper()
		resp, err := crm.Do(ctx, "POST", "/v1/opportunities", map[string]any{
			"account_id": accountID, "name": "Deal in " + currency, "currency_code": currency,
			"lines": []any{map[string]any{"sku": "CUR-1", "quantity": "2",
				"unit_price": map[string]any{"currency_code": currency, "amount": price}}},
		})
		oppID := restclient.Str(must(t, resp, err, 200).Body, "id")
		resp, err = crm.Do(ctx, "POST", "/v1/opportunities/"+oppID+":win", map[string]any{})
		must(t, resp, err, 200)
		var orderID string
		eventually(t, 10*time.Second, "order of the "+currency+" deal", func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/opportunities/"+oppID, nil)
			if err != nil {
				return false, err.Error()
			}
			orderID = restclient.Str(resp.Body, "order", "id")
			return restclient.Str(resp.Body, "order", "status") == "FULFILLMENT_STATUS_CONFIRMED", string(resp.Raw)
		})
		resp, err = warehouse.Do(ctx, "POST", "/v1/shipments", map[string]any{"sales_order_id": orderID})
		must(t, resp, err, 200)
		body := map[string]any{"sales_order_id": orderID}
		if issue != "" {
			body["issue_date"] = issue
		}
		resp, err = finance.Do(ctx, "POST", "/v1/invoices", body)
		return must(t, resp, err, 200).Body
	}
	// pay pays an invoice in full with a payment of amount (the total when
	// empty: more leaves the rest unallocated, the customer's credit); it
	// returns the payment.
	pay := func(inv map[string]any, amount string) map[string]any {
		t.Helper()
		m := inv["total"]
		paid := m
		if amount != "" {
			paid = map[string]any{"currency_code": restclient.Str(inv, "total", "currency_code"), "amount": amount}
		}
		resp, err := finance.Do(ctx, "POST", "/v1/payments", map[string]any{
			"customer_id": restclient.Str(inv, "customer_id"), "amount": paid,
			"allocations": []any{map[string]any{"invoice_id": restclient.Str(inv, "id"), "amount": m}},
		})
		return must(t, resp, err, 200).Body
	}
	// shows waits until the account shows status, the headline balances
	// and, per currency, "CUR open overdue STATUS credit".
	shows := func(what, status, headline string, balances ...string) {
		t.Helper()
		eventually(t, 10*time.Second, what, func() (bool, string) {
			resp, err := crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
			if err != nil || resp.Status != 200 {
				return false, fmt.Sprint(err)
			}
			b := resp.Body
			got := fmt.Sprintf("%s %s %s", restclient.Str(b, "open_balance", "currency_code"),
				restclient.Str(b, "open_balance", "amount"), restclient.Str(b, "overdue_balance", "amount"))
			var per []string
			for i := range restclient.Len(b, "balances") {
				per = append(per, fmt.Sprintf("%s %s %s %s %s", restclient.Str(b, "balances", i, "currency_code"),
					restclient.Str(b, "balances", i, "open_balance", "amount"), restclient.Str(b, "balances", i, "overdue_balance", "amount"),
					restclient.Str(b, "balances", i, "payment_status"), restclient.Str(b, "balances", i, "credit", "amount")))
			}
			return restclient.Str(b, "payment_status") == status && got == headline && fmt.Sprint(per) == fmt.Sprint(balances), string(resp.Raw)
		})
	}

	// EUR: issued 60 days ago, due after 30, marked overdue.
	eur := invoiced("EUR", "11.24", time.Now().UTC().AddDate(0, 0, -60).Format(time.DateOnly))
	customerID := restclient.Str(eur, "customer_id")
	resp, err = finance.Do(ctx, "POST", "/v1/invoices:markOverdue", map[string]any{})
	must(t, resp, err, 200)
	shows("EUR overdue", "PAYMENT_STATUS_OVERDUE", "EUR 22.48 22.48", "EUR 22.48 22.48 PAYMENT_STATUS_OVERDUE 0.00")

	// USD: issued today, open, then paid with 50.00 for 19.50: the rest is
	// credit, and USD is PAID. The EUR money stays overdue.
	usd := invoiced("USD", "9.75", "")
	shows("USD invoiced", "PAYMENT_STATUS_OVERDUE", "EUR 22.48 22.48",
		"EUR 22.48 22.48 PAYMENT_STATUS_OVERDUE 0.00", "USD 19.50 0.00 PAYMENT_STATUS_OPEN 0.00")
	overpaid := pay(usd, "50.00")
	shows("USD over-paid", "PAYMENT_STATUS_OVERDUE", "EUR 22.48 22.48",
		"EUR 22.48 22.48 PAYMENT_STATUS_OVERDUE 0.00", "USD 0.00 0.00 PAYMENT_STATUS_PAID 30.50")
	resp, err = finance.Do(ctx, "GET", "/v1/customers/"+customerID+"/balance", nil)
	if b := must(t, resp, err, 200).Body; restclient.Str(b, "overdue_balance", "amount") != "22.48" {
		t.Fatalf("ERP balance: %s", resp.Raw)
	}

	// Reconciliation compares every currency and agrees.
	caughtUp(t, st, "")
	report, raw := reconciled(t, rest(st, stack.Bridge, auth.Admin))
	checks, _ := report["checks"].([]any)
	for _, c := range checks {
		if m := c.(map[string]any); restclient.Str(m, "name") == "account_balance_matches_invoices" &&
			(restclient.Str(m, "checked") != "1" || restclient.Str(m, "drifted") != "") {
			t.Errorf("account_balance_matches_invoices = %v, want 1 checked, none drifted: %s", m, raw)
		}
	}
	resp, err = crm.Do(ctx, "GET", "/v1/accounts/"+accountID, nil)
	if got := restclient.Str(must(t, resp, err, 200).Body, "payment_status"); got != "PAYMENT_STATUS_OVERDUE" {
		t.Errorf("after reconciliation the account is %s: %s", got, resp.Raw)
	}

	// Part of the credit is refunded: the account shows what is left.
	resp, err = finance.Do(ctx, "POST", "/v1/payments/"+restclient.Str(overpaid, "id")+":refundCredit", map[string]any{
		"amount": map[string]any{"currency_code": "USD", "amount": "10.50"}, "etag": restclient.Str(overpaid, "etag"),
	})
	must(t, resp, err, 200)
	shows("USD credit refunded in part", "PAYMENT_STATUS_OVERDUE", "EUR 22.48 22.48",
		"EUR 22.48 22.48 PAYMENT_STATUS_OVERDUE 0.00", "USD 0.00 0.00 PAYMENT_STATUS_PAID 20.00")

	pay(eur, "")
	shows("everything paid", "PAYMENT_STATUS_PAID", "EUR 0.00 0.00",
		"EUR 0.00 0.00 PAYMENT_STATUS_PAID 0.00", "USD 0.00 0.00 PAYMENT_STATUS_PAID 20.00")
}
