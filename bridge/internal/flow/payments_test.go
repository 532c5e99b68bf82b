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
