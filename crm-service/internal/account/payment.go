package account

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/money"
)

// Amount is money as the caller wrote it.
type Amount struct {
	Currency string
	Amount   string
}

// Balance is what an account owes, and the credit it has, in one
// currency, as the ERP reported it.
type Balance struct {
	Currency string
	// Open is the open amount of the customer's unpaid invoices, Overdue
	// the part of it past due.
	Open    decimal.Decimal
	Overdue decimal.Decimal
	// Credit is the customer's payments not applied to any invoice. It
	// does not reduce Open and plays no part in Status.
	Credit decimal.Decimal
	// SourceVersion is the version of the ERP facts the balance was taken
	// from; older or equal reports of the currency are ignored.
	SourceVersion int64
}

// Status is the payment status of one currency: overdue while some money
// is past due, open while some is owed, paid otherwise (credit or not).
func (b Balance) Status() PaymentStatus {
	switch {
	case b.Overdue.IsPositive():
		return PaymentOverdue
	case b.Open.IsPositive():
		return PaymentOpen
	default:
		return PaymentPaid
	}
}

// severity orders statuses worst first.
func severity(s PaymentStatus) int {
	switch s {
	case PaymentOverdue:
		return 0
	case PaymentOpen:
		return 1
	}
	return 2
}

// SortBalances orders balances worst first (money past due, then money
// owed, then settled), by currency code among equals: the first one
// decides the account's payment status and is the one its open and
// overdue balance show.
func SortBalances(bs []Balance) {
	slices.SortFunc(bs, func(a, b Balance) int {
		return cmp.Or(cmp.Compare(severity(a.Status()), severity(b.Status())), cmp.Compare(a.Currency, b.Currency))
	})
}

// summarize sets what an account shows of its balances (sorted): the
// status and amounts of the worst currency, or nothing for none.
func (a *Account) summarize() {
	if len(a.Balances) == 0 {
		return
	}
	first := a.Balances[0]
	a.PaymentStatus = first.Status()
	a.OpenBalance = &money.Money{Currency: first.Currency, Amount: first.Open}
	a.OverdueBalance = &money.Money{Currency: first.Currency, Amount: first.Overdue}
	a.PaymentVersion = 0
	for _, b := range a.Balances {
		a.PaymentVersion = max(a.PaymentVersion, b.SourceVersion)
	}
}

// BalanceInput is what the bridge reports an account owes in one
// currency. A nil Credit is zero (callers from before credit).
type BalanceInput struct {
	Currency              string
	Open, Overdue, Credit *Amount
	SourceVersion         int64
}

// PaymentInput is what the bridge reports about an account's invoices:
// the balances of some currencies.
type PaymentInput struct {
	Balances []BalanceInput
	// Single says the request had the single-currency form (open_balance,
	// overdue_balance and source_version beside the account id, one
	// balance): violations name those fields, the currency is
	// open_balance's and overdue_balance defaults to zero.
	Single bool
	// ResetEtag, when set, makes the balances replace their currencies'
	// whatever version is stored, provided the account still has this etag
	// (the reconciliation's correction of a copy ahead of its source).
	ResetEtag string
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

// balances checks the reported balances, naming bad fields.
func (in PaymentInput) balances(v *errs.Violations) []Balance {
	if len(in.Balances) == 0 {
		v.Add("balances", "is required: the balance of at least one currency")
		return nil
	}
	out := make([]Balance, 0, len(in.Balances))
	seen := map[string]bool{}
	for i, b := range in.Balances {
		path := fmt.Sprintf("balances[%d].", i)
		if in.Single {
			path = ""
			if b.Open == nil {
				v.Add("open_balance", "is required (or balances)")
				continue
			}
			b.Currency = b.Open.Currency
			if b.Overdue == nil {
				b.Overdue = &Amount{Currency: b.Currency, Amount: "0"}
			}
		}
		currencyOK := true
		if err := money.CheckCode(b.Currency); err != nil {
			currencyOK = false
			if !in.Single {
				v.Add(path+"currency_code", "%v", err)
			}
		} else if seen[b.Currency] {
			v.Add(path+"currency_code", "%s is listed twice", b.Currency)
		}
		seen[b.Currency] = true
		bal := Balance{Currency: b.Currency, SourceVersion: b.SourceVersion}
		for _, f := range []struct {
			name string
			in   *Amount
			out  *decimal.Decimal
		}{{"open_balance", b.Open, &bal.Open}, {"overdue_balance", b.Overdue, &bal.Overdue}, {"credit", b.Credit, &bal.Credit}} {
			if f.in == nil {
				if f.name != "credit" { // none is zero
					v.Add(path+f.name, "is required")
				}
				continue
			}
			m := parseAmount(v, path+f.name, f.in)
			if m == nil {
				continue
			}
			if currencyOK && m.Currency != b.Currency {
				v.Add(path+f.name+".currency_code", "must be the balance's currency %s", b.Currency)
			}
			if f.name == "credit" && m.Amount.IsNegative() {
				v.Add(path+f.name+".amount", "must not be negative")
			}
			*f.out = m.Amount
		}
		if b.SourceVersion <= 0 {
			v.Add(path+"source_version", "must be positive")
		}
		out = append(out, bal)
	}
	return out
}

// SetPaymentStatus records the balances the bridge reports for an account.
// Each currency's balance applies only when its source version is newer
// than the one stored for that currency; currencies not reported keep
// theirs. The account's payment status and the balance it shows follow
// from all currencies (SortBalances). A report that changes no amount only
// records its versions and keeps the etag; a change bumps it. No event is
// recorded, so the bridge does not hear back its own write. With
// in.ResetEtag, each reported balance replaces its currency's, version and
// all, as long as the account's etag is that one.
func (s *Service) SetPaymentStatus(ctx context.Context, id string, in PaymentInput) (Account, error) {
	var v errs.Violations
	id, err := ids.UUID("account_id", id)
	_ = v.Merge("", err)
	reported := in.balances(&v)
	reset, err := errs.ParseEtag("reset_etag", in.ResetEtag)
	_ = v.Merge("", err)
	if reset != 0 && in.Single {
		v.Add("reset_etag", "needs balances, not the single-currency form")
	}
	if err := v.Err(); err != nil {
		return Account{}, err
	}
	return s.store.UpdateAccount(ctx, id, func(cur Account) (Change, error) {
		if err := errs.CheckEtag(in.ResetEtag, cur.ETag(), "account "+id); err != nil {
			return Change{}, err
		}
		next := cur
		next.Balances = slices.Clone(cur.Balances)
		recorded, changed := false, false
		for _, b := range reported {
			i := slices.IndexFunc(next.Balances, func(have Balance) bool { return have.Currency == b.Currency })
			switch {
			case i < 0:
				next.Balances = append(next.Balances, b)
				changed = true
			case reset == 0 && next.Balances[i].SourceVersion >= b.SourceVersion:
				continue // stale
			default:
				have := next.Balances[i]
				changed = changed || !have.SameAmounts(b)
				next.Balances[i] = b
			}
			recorded = true
		}
		if !recorded {
			return Change{Unchanged: true}, nil
		}
		SortBalances(next.Balances)
		next.summarize()
		if changed || next.PaymentStatus != cur.PaymentStatus || !sameMoney(next.OpenBalance, cur.OpenBalance) ||
			!sameMoney(next.OverdueBalance, cur.OverdueBalance) {
			next.Version++
			next.UpdateTime = s.now().UTC()
		}
		return Change{Account: next}, nil
	})
}

// SameAmounts reports whether two balances of a currency show the same
// amounts, whatever their versions.
func (b Balance) SameAmounts(o Balance) bool {
	return b.Open.Equal(o.Open) && b.Overdue.Equal(o.Overdue) && b.Credit.Equal(o.Credit)
}

func sameMoney(a, b *money.Money) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return a.Currency == b.Currency && a.Amount.Equal(b.Amount)
}
