package main

import (
	"strings"

	"google.golang.org/protobuf/proto"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// An account owes, and has credit, in each currency the ERP invoiced or
// paid it in. Its open_balance and overdue_balance columns are those of
// one currency only, the one that decides payment_status; the balances
// column is the text of every currency's, and the account-balances export
// has a row per account and currency, for a spreadsheet to sum by
// currency.

// balancesText is an account's balances as one line of text: each
// currency as "EUR open 120.00 overdue 20.00 credit 0.00", in the API's
// order (the worst first), joined by "; ". An account the ERP reported no
// balance for has none ("").
func balancesText(m proto.Message) string {
	a, ok := m.(*crmv1.Account)
	if !ok {
		return ""
	}
	parts := make([]string, 0, len(a.GetBalances()))
	for _, b := range a.GetBalances() {
		parts = append(parts, b.GetCurrencyCode()+" open "+amount(b.GetOpenBalance())+
			" overdue "+amount(b.GetOverdueBalance())+" credit "+amount(b.GetCredit()))
	}
	return strings.Join(parts, "; ")
}

// amount is the decimal text of a Money: as the CRM sends it, with the
// currency's minor units, and 0 when it sends none.
func amount(m *moneyv1.Money) string {
	if m.GetAmount() == "" {
		return "0"
	}
	return m.GetAmount()
}

// balanceHeader is the header of the account-balances export.
var balanceHeader = []string{"account_id", "account_name", "external_id", "erp_customer_id",
	"currency_code", "payment_status", "open_balance", "overdue_balance", "credit"}

// balanceRows are an account's rows in the account-balances export: one
// per currency it has a balance in, amounts as plain decimals in that
// currency; none when the ERP reported no balance for it.
func balanceRows(m proto.Message) [][]string {
	a, ok := m.(*crmv1.Account)
	if !ok {
		return nil
	}
	rows := make([][]string, 0, len(a.GetBalances()))
	for _, b := range a.GetBalances() {
		rows = append(rows, []string{a.GetId(), a.GetName(), a.GetExternalId(), a.GetErpCustomerId(),
			b.GetCurrencyCode(), b.GetPaymentStatus().String(),
			amount(b.GetOpenBalance()), amount(b.GetOverdueBalance()), amount(b.GetCredit())})
	}
	return rows
}
