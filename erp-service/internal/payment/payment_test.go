package payment

import (
	"errors"
	"fmt"
	"testing"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/erp-service/internal/sales"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

func m(cur, s string) money.Money {
	return money.Money{Currency: cur, Amount: decimal.RequireFromString(s)}
}

func fields(err error) string {
	var e *errs.Error
	if !errors.As(err, &e) {
		return ""
	}
	var out []string
	for _, v := range e.Violations {
		out = append(out, v.Field)
	}
	return fmt.Sprint(out)
}

func TestValidateNew(t *testing.T) {
	t.Parallel()
	p := Payment{CustomerID: "c", Amount: m("KWD", "1.000"), Allocations: []Allocation{
		{InvoiceID: "a", Amount: m("KWD", "0.600")},
		{InvoiceID: "a", Amount: m("KWD", "0.100")},
		{InvoiceID: "b", Amount: m("EUR", "0.1")},
		{InvoiceID: "", Amount: m("KWD", "0")},
		{InvoiceID: "d", Amount: m("KWD", "0.301")},
	}}
	want := "[allocations[1].invoice_id allocations[2].amount.currency_code allocations[3].invoice_id allocations[3].amount.amount allocations[4].amount.amount]"
	if got := fields(ValidateNew(p)); got != want {
		t.Errorf("violations = %s\nwant %s", got, want)
	}
	if got := fields(ValidateNew(Payment{Amount: m("JPY", "0")})); got != "[customer_id amount.amount]" {
		t.Errorf("violations = %s", got)
	}
}

func TestApplyAndReverse(t *testing.T) {
	t.Parallel()
	inv := func(id, total string) *invoicing.Invoice {
		i := &invoicing.Invoice{ID: id, Number: id, CustomerID: "c", Currency: "JPY", Total: m("JPY", total), Paid: m("JPY", "0"), Revision: 1}
		i.Derive()
		return i
	}
	invoices := map[string]*invoicing.Invoice{"a": inv("a", "1000"), "b": inv("b", "500"), "v": inv("v", "10")}
	invoices["v"].Status = invoicing.Void
	p := Payment{ID: "p", CustomerID: "c", Amount: m("JPY", "2000"), Allocations: []Allocation{{InvoiceID: "a", Amount: m("JPY", "1000")}, {InvoiceID: "b", Amount: m("JPY", "1")}}}
	e, err := Apply(&p, invoices)
	if err != nil || p.Unallocated.String() != "999 JPY" || invoices["a"].Status != invoicing.Paid || invoices["b"].Status != invoicing.PartiallyPaid ||
		e.Check() != nil || !e.Lines[0].Debit.Equal(decimal.NewFromInt(2000)) {
		t.Fatalf("apply: %v %+v %+v", err, p, e)
	}
	bad := Payment{CustomerID: "c", Amount: m("JPY", "10"), Allocations: []Allocation{{InvoiceID: "v", Amount: m("JPY", "1")}}}
	if _, err := Apply(&bad, invoices); !errors.Is(err, errs.ErrFailedPrecondition) || fields(err) != "[allocations[0].invoice_id]" {
		t.Errorf("paying a void invoice: %v", err)
	}
	over := Payment{CustomerID: "c", Amount: m("JPY", "1000"), Allocations: []Allocation{{InvoiceID: "b", Amount: m("JPY", "500")}}}
	if _, err := Apply(&over, invoices); !errors.Is(err, errs.ErrInvalidArgument) || fields(err) != "[allocations[0].amount.amount]" {
		t.Errorf("more than open: %v", err)
	}
	e.ID = "e"
	if _, _, err := Reverse(&p, 3, "", invoices, []ledger.Entry{e}); !errors.Is(err, errs.ErrAborted) {
		t.Errorf("stale etag: %v", err)
	}
	rev, changed, err := Reverse(&p, 1, "bounced", invoices, []ledger.Entry{e})
	if err != nil || !changed || p.Status != Reversed || invoices["a"].Status != invoicing.Open || invoices["b"].Status != invoicing.Open ||
		len(rev) != 1 || rev[0].ReversesID != "e" || rev[0].Lines[0].Account != ledger.Cash || !rev[0].Lines[0].Credit.Equal(decimal.NewFromInt(2000)) {
		t.Errorf("reverse: %v %v %+v %+v", err, changed, p, rev)
	}
	if _, changed, _ := Reverse(&p, 0, "", invoices, nil); changed {
		t.Error("reversing twice changed something")
	}
}

func TestSettleOrder(t *testing.T) {
	t.Parallel()
	o := &sales.Order{Status: sales.Invoiced, Lines: []sales.Line{{Quantity: decimal.NewFromInt(2), Invoiced: decimal.NewFromInt(2)}}}
	if !SettleOrder(o, true) || o.Status != sales.Paid || o.Revision != 1 {
		t.Errorf("settle = %+v", o)
	}
	if SettleOrder(o, true) {
		t.Error("settling a paid order again changed it")
	}
	if !SettleOrder(o, false) || o.Status != sales.Invoiced {
		t.Errorf("unsettle = %+v", o)
	}
	o.Status = sales.PartiallyShipped
	if SettleOrder(o, true) {
		t.Error("a partially shipped order became paid")
	}
}
