package account

import (
	"context"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/money"
)

// Amount is money as the caller wrote it.
type Amount struct {
	Currency string
	Amount   string
}

// PaymentInput is what the bridge reports about an account's invoices.
type PaymentInput struct {
	Status         PaymentStatus
	OpenBalance    *Amount // nil: unknown
	OverdueBalance *Amount // nil: unknown
	SourceVersion  int64
}

func parseAmount(v *errs.Violations, field string, a *Amount) *money.Money {
	if a == nil {
		return nil
	}
	m, err := money.Parse(a.Currency, a.Amount)
	if err != nil {
		_ = v.Merge(field, err)
		return nil
	}
	return &m
}

// ValidatePaymentStatus checks a payment status given in field.
func ValidatePaymentStatus(v *errs.Violations, field string, s PaymentStatus) {
	if !s.Known() {
		v.Add(field, "is required (a PaymentStatus other than UNSPECIFIED)")
	}
}

// SetPaymentStatus records the payment status and balances of an account
// (a write of the bridge) when in.SourceVersion is newer than the version
// stored; otherwise it returns the account unchanged. The three facts are
// replaced as a whole. A newer report that changes nothing only records
// its version and keeps the etag; a change bumps the etag. No event is
// recorded, so the bridge does not hear back its own write.
func (s *Service) SetPaymentStatus(ctx context.Context, id string, in PaymentInput) (Account, error) {
	var v errs.Violations
	id, err := ids.UUID("account_id", id)
	_ = v.Merge("", err)
	ValidatePaymentStatus(&v, "payment_status", in.Status)
	open := parseAmount(&v, "open_balance", in.OpenBalance)
	overdue := parseAmount(&v, "overdue_balance", in.OverdueBalance)
	if open != nil && overdue != nil && open.Currency != overdue.Currency {
		v.Add("overdue_balance.currency_code", "must equal open_balance.currency_code (%s)", open.Currency)
	}
	if in.SourceVersion <= 0 {
		v.Add("source_version", "must be positive")
	}
	if err := v.Err(); err != nil {
		return Account{}, err
	}
	return s.store.UpdateAccount(ctx, id, func(cur Account) (Change, error) {
		if cur.PaymentVersion >= in.SourceVersion {
			return Change{Unchanged: true}, nil
		}
		next := cur
		next.PaymentStatus = in.Status
		next.OpenBalance, next.OverdueBalance = open, overdue
		next.PaymentVersion = in.SourceVersion
		if next.PaymentStatus != cur.PaymentStatus || !sameMoney(open, cur.OpenBalance) || !sameMoney(overdue, cur.OverdueBalance) {
			next.Version++
			next.UpdateTime = s.now().UTC()
		} else {
			// Same facts: keep the pointers so the store sees no change
			// but the version it must remember.
			next.OpenBalance, next.OverdueBalance = cur.OpenBalance, cur.OverdueBalance
		}
		return Change{Account: next}, nil
	})
}

func sameMoney(a, b *money.Money) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Currency == b.Currency && a.Amount.Equal(b.Amount)
}
