package flow

import (
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func TestOrderPaymentStatus(t *testing.T) {
	t.Parallel()
	inv := func(st erpv1.InvoiceStatus, revision int64) *erpv1.Invoice {
		return &erpv1.Invoice{Status: st, Revision: revision}
	}
	order := func(st erpv1.SalesOrderStatus, revision int64, invoiced ...string) *erpv1.SalesOrder {
		o := &erpv1.SalesOrder{Status: st, Revision: revision}
		for _, q := range invoiced {
			o.Lines = append(o.Lines, &erpv1.SalesOrderLine{Quantity: "3", InvoicedQuantity: q})
		}
		return o
	}
	const (
		open    = erpv1.InvoiceStatus_INVOICE_STATUS_OPEN
		partly  = erpv1.InvoiceStatus_INVOICE_STATUS_PARTIALLY_PAID
		paid    = erpv1.InvoiceStatus_INVOICE_STATUS_PAID
		overdue = erpv1.InvoiceStatus_INVOICE_STATUS_OVERDUE
		void    = erpv1.InvoiceStatus_INVOICE_STATUS_VOID
		creditd = erpv1.InvoiceStatus_INVOICE_STATUS_CREDITED
		// A status of a newer ERP this release does not know.
		unknown = erpv1.InvoiceStatus(99)

		orderInvoiced = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED
		orderPaid     = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PAID
		orderPartly   = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_PARTIALLY_SHIPPED
		orderShipped  = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_SHIPPED
		orderBooked   = erpv1.SalesOrderStatus_SALES_ORDER_STATUS_CONFIRMED
	)
	const (
		notInvoiced = crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED
		statusOpen  = crmv1.PaymentStatus_PAYMENT_STATUS_OPEN
		statusPart  = crmv1.PaymentStatus_PAYMENT_STATUS_PARTIALLY_PAID
		statusPaid  = crmv1.PaymentStatus_PAYMENT_STATUS_PAID
		statusLate  = crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE
		statusCred  = crmv1.PaymentStatus_PAYMENT_STATUS_CREDITED
	)
	amounts := func(inv *erpv1.Invoice, paid, credited string) *erpv1.Invoice {
		inv.PaidAmount = &moneyv1.Money{CurrencyCode: "EUR", Amount: paid}
		inv.CreditedAmount = &moneyv1.Money{CurrencyCode: "EUR", Amount: credited}
		return inv
	}
	tests := []struct {
		name     string
		order    *erpv1.SalesOrder
		invoices []*erpv1.Invoice
		want     crmv1.PaymentStatus
		version  int
	}{
		{"only void", order(orderShipped, 1, "0"), []*erpv1.Invoice{inv(void, 2)}, notInvoiced, 3},
		{"open", order(orderInvoiced, 1, "3"), []*erpv1.Invoice{inv(open, 1)}, statusOpen, 2},
		{"open, part of the order invoiced", order(orderPartly, 1, "1", "0"), []*erpv1.Invoice{inv(open, 2)}, statusOpen, 3},
		{"one of two paid", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 1), inv(open, 2)}, statusPart, 4},
		{"partly paid", order(orderInvoiced, 1, "3"), []*erpv1.Invoice{inv(partly, 1)}, statusPart, 2},
		{"all paid, one void", order(orderPaid, 3, "3", "3"), []*erpv1.Invoice{inv(paid, 1), inv(void, 2), inv(paid, 3)}, statusPaid, 9},
		{"overdue wins", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 1), inv(overdue, 2)}, statusLate, 4},
		{"overdue, part of the order invoiced", order(orderPartly, 1, "1", "0"), []*erpv1.Invoice{inv(overdue, 2)}, statusLate, 3},
		// The invoice of a partial shipment is paid; the rest of the order
		// is not invoiced yet.
		{"every invoice paid, part of the order invoiced", order(orderPartly, 1, "3", "1"), []*erpv1.Invoice{inv(paid, 2)}, statusPart, 3},
		{"every invoice paid, order amended since", order(orderBooked, 5, "3", "0"), []*erpv1.Invoice{inv(paid, 2)}, statusPart, 7},
		// A whole-order customer paid before anything shipped: the ERP
		// order turns PAID with its last shipment.
		{"whole order invoiced and paid before shipping", order(orderBooked, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 2)}, statusPaid, 3},
		{"order paid", order(orderPaid, 4), []*erpv1.Invoice{inv(paid, 2)}, statusPaid, 6},
		{"no invoice", order(orderBooked, 1, "0"), nil, notInvoiced, 0},
		// Cancelled by credit notes, nothing paid: not PAID. The ERP order
		// stays INVOICED.
		{"credited in full", order(orderInvoiced, 1, "3"), []*erpv1.Invoice{inv(creditd, 3)}, statusCred, 4},
		{"all credited, one void", order(orderInvoiced, 2, "3", "3"), []*erpv1.Invoice{inv(creditd, 2), inv(void, 2), inv(creditd, 3)}, statusCred, 9},
		// Paid and credited invoices together: the customer paid.
		{"paid and credited", order(orderPaid, 3, "3", "3"), []*erpv1.Invoice{inv(paid, 2), inv(creditd, 3)}, statusPaid, 8},
		{"credited and open", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(creditd, 2), inv(open, 1)}, statusOpen, 4},
		{"credited and partly paid", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(creditd, 2), inv(partly, 2)}, statusPart, 5},
		{"credited and overdue", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(creditd, 2), inv(overdue, 2)}, statusLate, 5},
		// Part of the order is not invoiced yet: nothing is paid.
		{"every invoice credited, part of the order invoiced", order(orderPartly, 1, "3", "0"), []*erpv1.Invoice{inv(creditd, 3)}, statusOpen, 4},
		{"paid and credited, part of the order invoiced", order(orderPartly, 1, "3", "3", "0"), []*erpv1.Invoice{inv(paid, 2), inv(creditd, 3)}, statusPart, 6},
		// An ERP from before CREDITED shows an invoice cancelled by credit
		// PAID, with nothing paid and its total credited.
		{"older ERP: PAID, nothing paid, all credited", order(orderPaid, 3, "3"), []*erpv1.Invoice{amounts(inv(paid, 3), "0", "119.00")}, statusCred, 6},
		{"older ERP: PAID, paid and credited", order(orderPaid, 3, "3"), []*erpv1.Invoice{amounts(inv(paid, 3), "19.00", "100.00")}, statusPaid, 6},
		{"older ERP: PAID without amounts", order(orderPaid, 3, "3"), []*erpv1.Invoice{inv(paid, 3)}, statusPaid, 6},
		// A status from a newer ERP counts as neither paid nor credited.
		{"unknown status", order(orderInvoiced, 1, "3"), []*erpv1.Invoice{inv(unknown, 2)}, statusOpen, 3},
		{"unknown status beside a paid one", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 2), inv(unknown, 2)}, statusPart, 5},
	}
	for _, tt := range tests {
		got, version := orderPaymentStatus(tt.order, tt.invoices)
		if got != tt.want {
			t.Errorf("%s: status %v, want %v", tt.name, got, tt.want)
		}
		want := paymentVersionBase + int64(tt.version)
		if tt.version == 0 {
			want = 0
		}
		if version != want {
			t.Errorf("%s: version %d, want the base plus the revisions' sum %d", tt.name, version-paymentVersionBase, tt.version)
		}
	}
}

// The second invoice's payment began before the first's and committed
// after it, so it carries the older update time: the version must still
// grow with it, or the CRM would keep showing the order partly paid. And
// it must exceed the update times (in microseconds) that versions once
// were, so that a status written after an upgrade is not ignored.
func TestPaymentVersionGrowsWithEveryCommit(t *testing.T) {
	t.Parallel()
	at := func(s int64) *timestamppb.Timestamp { return timestamppb.New(time.Unix(1_800_000_000+s, 0)) }
	order := &erpv1.SalesOrder{Status: erpv1.SalesOrderStatus_SALES_ORDER_STATUS_INVOICED, Revision: 4, UpdateTime: at(10),
		Lines: []*erpv1.SalesOrderLine{{Quantity: "2", InvoicedQuantity: "2"}}}
	paid := erpv1.InvoiceStatus_INVOICE_STATUS_PAID
	first := []*erpv1.Invoice{{Status: paid, Revision: 2, UpdateTime: at(20)},
		{Status: erpv1.InvoiceStatus_INVOICE_STATUS_OPEN, Revision: 1, UpdateTime: at(5)}}
	then := []*erpv1.Invoice{first[0], {Status: paid, Revision: 2, UpdateTime: at(15)}}

	s1, v1 := orderPaymentStatus(order, first)
	s2, v2 := orderPaymentStatus(order, then)
	if s1 != crmv1.PaymentStatus_PAYMENT_STATUS_PARTIALLY_PAID || s2 != crmv1.PaymentStatus_PAYMENT_STATUS_PAID {
		t.Fatalf("statuses %v then %v", s1, s2)
	}
	if v2 <= v1 {
		t.Errorf("version %d after the second payment, %d before: the CRM would ignore it", v2, v1)
	}
	if old := at(1_000_000_000).AsTime().UnixMicro(); v1 <= old {
		t.Errorf("version %d is not above an update time in microseconds (%d)", v1, old)
	}
}

func TestAccountPaymentStatus(t *testing.T) {
	t.Parallel()
	eur := func(a string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: a} }
	tests := []struct {
		open, overdue string
		want          crmv1.PaymentStatus
	}{
		{"0.00", "0.00", crmv1.PaymentStatus_PAYMENT_STATUS_PAID},
		{"10.00", "0.00", crmv1.PaymentStatus_PAYMENT_STATUS_OPEN},
		{"10.00", "0.01", crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE},
	}
	for _, tt := range tests {
		b := &erpv1.CustomerBalance{OpenBalance: eur(tt.open), OverdueBalance: eur(tt.overdue)}
		if got := accountPaymentStatus(b); got != tt.want {
			t.Errorf("open %s overdue %s: %v, want %v", tt.open, tt.overdue, got, tt.want)
		}
	}
}

func TestCustomerPaymentStatus(t *testing.T) {
	t.Parallel()
	bal := func(currency, open, overdue string) *erpv1.CustomerBalance {
		return &erpv1.CustomerBalance{CurrencyCode: currency,
			OpenBalance:    &moneyv1.Money{CurrencyCode: currency, Amount: open},
			OverdueBalance: &moneyv1.Money{CurrencyCode: currency, Amount: overdue}}
	}
	tests := []struct {
		name string
		bs   []*erpv1.CustomerBalance
		want crmv1.PaymentStatus
	}{
		{"none", nil, crmv1.PaymentStatus_PAYMENT_STATUS_UNSPECIFIED},
		{"all paid", []*erpv1.CustomerBalance{bal("EUR", "0.00", "0.00"), bal("USD", "0.00", "0.00")}, crmv1.PaymentStatus_PAYMENT_STATUS_PAID},
		{"one open", []*erpv1.CustomerBalance{bal("EUR", "0.00", "0.00"), bal("USD", "5.00", "0.00")}, crmv1.PaymentStatus_PAYMENT_STATUS_OPEN},
		// The case the account once lost: EUR overdue, USD paid last.
		{"overdue in one, paid in another", []*erpv1.CustomerBalance{bal("EUR", "22.48", "22.48"), bal("USD", "0.00", "0.00")},
			crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE},
		{"overdue last", []*erpv1.CustomerBalance{bal("EUR", "3.00", "0.00"), bal("USD", "1.00", "1.00")}, crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE},
	}
	for _, tt := range tests {
		if got := customerPaymentStatus(tt.bs); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestDifferentBalances(t *testing.T) {
	t.Parallel()
	eur := func(a string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: a} }
	usd := func(a string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "USD", Amount: a} }
	acc := &crmv1.Account{
		PaymentStatus: crmv1.PaymentStatus_PAYMENT_STATUS_PAID, OpenBalance: usd("0.00"), OverdueBalance: usd("0.00"),
		Balances: []*crmv1.AccountBalance{{CurrencyCode: "USD", OpenBalance: usd("0.00"), OverdueBalance: usd("0.00")}},
	}
	erp := []*erpv1.CustomerBalance{
		{CurrencyCode: "EUR", OpenBalance: eur("22.48"), OverdueBalance: eur("22.48"), Version: 7},
		{CurrencyCode: "USD", OpenBalance: usd("0"), OverdueBalance: usd("0.000"), Version: 7},
	}
	got := differentBalances(acc, erp)
	if len(got) != 1 || got[0].GetCurrencyCode() != "EUR" {
		t.Errorf("different = %v, want the EUR balance the account lacks", got)
	}
	acc.Balances = append(acc.Balances, &crmv1.AccountBalance{CurrencyCode: "EUR", OpenBalance: eur("22.48"), OverdueBalance: eur("0.00")})
	if got := differentBalances(acc, erp); len(got) != 1 || got[0].GetCurrencyCode() != "EUR" {
		t.Errorf("different = %v, want the EUR balance with other amounts", got)
	}
	acc.Balances[1].OverdueBalance = eur("22.480")
	if got := differentBalances(acc, erp); len(got) != 0 {
		t.Errorf("different = %v, want none", got)
	}
}
