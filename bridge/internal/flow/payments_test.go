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
	at := func(s int) *timestamppb.Timestamp { return timestamppb.New(time.Unix(int64(s), 0)) }
	inv := func(st erpv1.InvoiceStatus, s int) *erpv1.Invoice {
		return &erpv1.Invoice{Status: st, UpdateTime: at(s)}
	}
	order := func(st erpv1.SalesOrderStatus, s int, invoiced ...string) *erpv1.SalesOrder {
		o := &erpv1.SalesOrder{Status: st, UpdateTime: at(s)}
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
	)
	tests := []struct {
		name     string
		order    *erpv1.SalesOrder
		invoices []*erpv1.Invoice
		want     crmv1.PaymentStatus
		version  int
	}{
		{"only void", order(orderShipped, 1, "0"), []*erpv1.Invoice{inv(void, 2)}, notInvoiced, 2},
		{"open", order(orderInvoiced, 1, "3"), []*erpv1.Invoice{inv(open, 1)}, statusOpen, 1},
		{"open, part of the order invoiced", order(orderPartly, 1, "1", "0"), []*erpv1.Invoice{inv(open, 2)}, statusOpen, 2},
		{"one of two paid", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 1), inv(open, 2)}, statusPart, 2},
		{"partly paid", order(orderInvoiced, 1, "3"), []*erpv1.Invoice{inv(partly, 1)}, statusPart, 1},
		{"all paid, one void", order(orderPaid, 3, "3", "3"), []*erpv1.Invoice{inv(paid, 1), inv(void, 2), inv(paid, 3)}, statusPaid, 3},
		{"overdue wins", order(orderInvoiced, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 1), inv(overdue, 2)}, statusLate, 2},
		{"overdue, part of the order invoiced", order(orderPartly, 1, "1", "0"), []*erpv1.Invoice{inv(overdue, 2)}, statusLate, 2},
		// The invoice of a partial shipment is paid; the rest of the order
		// is not invoiced yet.
		{"every invoice paid, part of the order invoiced", order(orderPartly, 1, "3", "1"), []*erpv1.Invoice{inv(paid, 2)}, statusPart, 2},
		{"every invoice paid, order amended since", order(orderBooked, 5, "3", "0"), []*erpv1.Invoice{inv(paid, 2)}, statusPart, 5},
		// A whole-order customer paid before anything shipped: the ERP
		// order turns PAID with its last shipment.
		{"whole order invoiced and paid before shipping", order(orderBooked, 1, "3", "3"), []*erpv1.Invoice{inv(paid, 2)}, statusPaid, 2},
		{"order paid", order(orderPaid, 4), []*erpv1.Invoice{inv(paid, 2)}, statusPaid, 4},
		{"no invoice", order(orderBooked, 1, "0"), nil, notInvoiced, 0},
	}
	for _, tt := range tests {
		got, version := orderPaymentStatus(tt.order, tt.invoices)
		if got != tt.want {
			t.Errorf("%s: status %v, want %v", tt.name, got, tt.want)
		}
		want := time.Unix(int64(tt.version), 0).UnixMicro()
		if tt.version == 0 {
			want = 0
		}
		if version != want {
			t.Errorf("%s: version %d, want the newest update time %d", tt.name, version, want)
		}
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
