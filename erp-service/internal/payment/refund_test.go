package payment

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/errs"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// A refund is at most the credit left, in the payment's currency, not
// before the payment arrived, of a posted payment; it posts Dr Accounts
// receivable / Cr Cash and makes the payment irreversible.
func TestRefundCredit(t *testing.T) {
	t.Parallel()
	posted := func() *Payment {
		return &Payment{ID: "p", Number: "PAY-000001", Amount: m("EUR", "50"), Unallocated: m("EUR", "20"), Status: Posted,
			ReceivedDate: date("2026-02-01"), Revision: 3}
	}
	for _, tc := range []struct {
		name   string
		etag   int64
		refund Refund
		kind   error
		fields string
	}{
		{"over the credit", 0, Refund{Amount: m("EUR", "20.01"), Date: date("2026-02-01")}, errs.ErrInvalidArgument, "[amount.amount]"},
		{"another currency", 0, Refund{Amount: m("USD", "1"), Date: date("2026-02-01")}, errs.ErrInvalidArgument, "[amount.currency_code]"},
		{"before the payment", 0, Refund{Amount: m("EUR", "1"), Date: date("2026-01-31")}, errs.ErrInvalidArgument, "[refund_date]"},
		{"stale etag", 2, Refund{Amount: m("EUR", "1"), Date: date("2026-02-01")}, errs.ErrAborted, "[]"},
	} {
		p := posted()
		_, err := RefundCredit(p, tc.etag, tc.refund)
		if !errors.Is(err, tc.kind) || fields(err) != tc.fields {
			t.Errorf("%s: %v (fields %s)", tc.name, err, fields(err))
		}
		if p.Revision != 3 || len(p.Refunds) != 0 || p.Unallocated.String() != "20.00 EUR" {
			t.Errorf("%s: a refused refund changed the payment: %+v", tc.name, p)
		}
	}
	reversed := posted()
	reversed.Status, reversed.Unallocated = Reversed, m("EUR", "0")
	if _, err := RefundCredit(reversed, 0, Refund{Amount: m("EUR", "1"), Date: date("2026-02-01")}); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Errorf("refund of a reversed payment: %v", err)
	}

	p := posted()
	e, err := RefundCredit(p, 3, Refund{Amount: m("EUR", "20"), Date: date("2026-02-01"), Reference: "r"})
	if err != nil || p.Unallocated.String() != "0.00 EUR" || p.Revision != 4 || len(p.Refunds) != 1 {
		t.Fatalf("refund of all the credit = %+v, %v", p, err)
	}
	if e.Check() != nil || e.Kind != ledger.KindPaymentRefund || e.Reference != "payments/p" || e.Currency != "EUR" ||
		e.Lines[0].Account != ledger.AccountsReceivable || !e.Lines[0].Debit.Equal(m("EUR", "20").Amount) ||
		e.Lines[1].Account != ledger.Cash || !e.Lines[1].Credit.Equal(m("EUR", "20").Amount) {
		t.Errorf("refund entry = %+v", e)
	}
	_, changed, err := Reverse(p, 0, "bounced", nil, nil)
	if changed || !errors.Is(err, errs.ErrFailedPrecondition) || !strings.Contains(err.Error(), "has 1 refund (20.00 EUR on 2026-02-01)") || p.Status != Posted {
		t.Errorf("reversing a refunded payment: %v, changed %v", err, changed)
	}
	if got := refundsViolation(t, err); got != "payment PAY-000001 has 1 refund" {
		t.Errorf("violation of one refund = %q", got)
	}
	p.Refunds = append(p.Refunds, Refund{Amount: m("EUR", "1"), Date: date("2026-02-02")})
	_, _, err = Reverse(p, 0, "bounced", nil, nil)
	if !strings.Contains(err.Error(), "has 2 refunds (20.00 EUR on 2026-02-01, 1.00 EUR on 2026-02-02)") {
		t.Errorf("reversing a payment refunded twice: %v", err)
	}
	if got := refundsViolation(t, err); got != "payment PAY-000001 has 2 refunds" {
		t.Errorf("violation of two refunds = %q", got)
	}
}

// refundsViolation is the description of the id violation of err.
func refundsViolation(t *testing.T, err error) string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || len(e.Violations) != 1 || e.Violations[0].Field != "id" {
		t.Fatalf("not one id violation: %v", err)
	}
	return e.Violations[0].Description
}

func TestValidateRefund(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		refund Refund
		fields string
	}{
		{Refund{Amount: m("EUR", "1.00")}, ""},
		{Refund{Amount: m("EUR", "0")}, "[amount.amount]"},
		{Refund{Amount: m("EUR", "-1")}, "[amount.amount]"},
		{Refund{Amount: m("JPY", "1.5")}, "[amount.amount]"},
		{Refund{Amount: m("EUR", "1"), Reference: strings.Repeat("é", MaxReferenceLength)}, ""},
		{Refund{Amount: m("EUR", "1"), Reference: strings.Repeat("é", MaxReferenceLength+1)}, "[reference]"},
	} {
		if got := fields(ValidateRefund(tc.refund)); got != tc.fields {
			t.Errorf("ValidateRefund(%+v) = %s, want %s", tc.refund, got, tc.fields)
		}
	}
}
