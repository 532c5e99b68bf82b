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
	const (
		open    = erpv1.InvoiceStatus_INVOICE_STATUS_OPEN
		partly  = erpv1.InvoiceStatus_INVOICE_STATUS_PARTIALLY_PAID
		paid    = erpv1.InvoiceStatus_INVOICE_STATUS_PAID
		overdue = erpv1.InvoiceStatus_INVOICE_STATUS_OVERDUE
		void    = erpv1.InvoiceStatus_INVOICE_STATUS_VOID
	)
	tests := []struct {
		name     string
		invoices []*erpv1.Invoice
		want     crmv1.PaymentStatus
	}{
		{"only void", []*erpv1.Invoice{inv(void, 1)}, crmv1.PaymentStatus_PAYMENT_STATUS_NOT_INVOICED},
		{"open", []*erpv1.Invoice{inv(open, 1)}, crmv1.PaymentStatus_PAYMENT_STATUS_OPEN},
		{"one of two paid", []*erpv1.Invoice{inv(paid, 1), inv(open, 2)}, crmv1.PaymentStatus_PAYMENT_STATUS_PARTIALLY_PAID},
		{"partly paid", []*erpv1.Invoice{inv(partly, 1)}, crmv1.PaymentStatus_PAYMENT_STATUS_PARTIALLY_PAID},
		{"all paid, one void", []*erpv1.Invoice{inv(paid, 1), inv(void, 2), inv(paid, 3)}, crmv1.PaymentStatus_PAYMENT_STATUS_PAID},
		{"overdue wins", []*erpv1.Invoice{inv(paid, 1), inv(overdue, 2)}, crmv1.PaymentStatus_PAYMENT_STATUS_OVERDUE},
	}
	for _, tt := range tests {
		got, version := orderPaymentStatus(tt.invoices)
		if got != tt.want {
			t.Errorf("%s: status %v, want %v", tt.name, got, tt.want)
		}
		if want := time.Unix(int64(len(tt.invoices)), 0).UnixMicro(); version != want {
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
