package flow

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

// errStatusWithoutBalance is the outcome for an account whose payment
// status disagrees with balances that agree when the ERP has no balance
// to write again, which would make the CRM derive the status anew.
var errStatusWithoutBalance = errors.New("the account's payment status does not follow from its balances, and the ERP has no balance to write again")

// errBalanceNeverReported is the outcome for an account that shows a
// balance in a currency of which the ERP never reported one: no version
// of the ERP's can replace a copy that came from elsewhere.
var errBalanceNeverReported = errors.New("the ERP never reported a balance for this customer in that currency, so no version of its can correct the CRM's copy; correct it at the source")

// errCustomerKept is the outcome of a customer's name the ERP did not
// take from its account: the customer claims to mirror a newer version of
// the account than the CRM has.
var errCustomerKept = errors.New("the ERP kept its customer's name, which claims a newer account version than the CRM's; correct it at the source")

// reconcileCustomers compares every ERP customer that mirrors a CRM
// account with it: its name, the account's link to it, and its balances
// in every currency. Then it checks that the accounts of won deals not met
// that way have a customer, and are linked to it.
func (e *Engine) reconcileCustomers(ctx context.Context, r *Report, accounts map[string]bool) error {
	token := ""
	for {
		resp, err := e.erp.Customers.ListCustomers(ctx, &erpv1.ListCustomersRequest{PageSize: reconcilePage, PageToken: token})
		if err != nil {
			return fmt.Errorf("list ERP customers: %w", err)
		}
		for _, c := range resp.GetCustomers() {
			if !isCRMID(c.GetCrmAccountId()) {
				continue
			}
			acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: c.GetCrmAccountId()})
			if status.Code(err) == codes.NotFound {
				continue // the account is gone; nothing to compare with
			}
			if err != nil {
				return fmt.Errorf("read account %s: %w", c.GetCrmAccountId(), err)
			}
			delete(accounts, acc.GetId())
			if err := e.reconcileCustomer(ctx, r, c, acc); err != nil {
				return err
			}
			if err := e.reconcileBalance(ctx, r, c, acc); err != nil {
				return err
			}
		}
		if token = resp.GetNextPageToken(); token == "" {
			break
		}
	}

	for _, accountID := range slices.Sorted(maps.Keys(accounts)) {
		r.check(CheckAccountCustomer).Checked++
		acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
		if status.Code(err) == codes.NotFound {
			r.changed(CheckAccountCustomer) // deleted during the pass
			continue
		}
		if err != nil {
			return fmt.Errorf("read account %s: %w", accountID, err)
		}
		what := "account with orders but no ERP customer link"
		if link := acc.GetErpCustomerId(); link != "" {
			// Linked to a customer the ERP did not list for it: one
			// created during the pass, or one the ERP does not have (its
			// database restored from a backup older than the customer).
			c, err := e.erp.Customers.GetCustomer(ctx, &erpv1.GetCustomerRequest{Id: link})
			if err != nil && status.Code(err) != codes.NotFound {
				return fmt.Errorf("read customer %s: %w", link, err)
			}
			if err == nil && c.GetCrmAccountId() == accountID {
				r.changed(CheckAccountCustomer)
				continue
			}
			what = fmt.Sprintf("account with orders links ERP customer %q, which the ERP does not have for it", link)
		}
		_, err = e.syncAccount(ctx, acc, 0)
		r.drift(CheckAccountCustomer, accountID, what, err)
	}
	return nil
}

// reconcileCustomer compares a customer with its account: its name, which
// the CRM owns (a customer renamed in the ERP gets its account's name
// back), and the account's link to it (an account linked to another
// customer, or to none, is linked to it again).
func (e *Engine) reconcileCustomer(ctx context.Context, r *Report, c *erpv1.Customer, acc *crmv1.Account) error {
	r.check(CheckAccountCustomer).Checked++
	if mirrors(c, acc) {
		return nil
	}
	acc, c, err := e.customerNow(ctx, acc.GetId(), c.GetId())
	if err != nil {
		return err
	}
	if acc == nil || c == nil || mirrors(c, acc) {
		r.changed(CheckAccountCustomer)
		return nil
	}
	var what []string
	if c.GetName() != acc.GetName() {
		what = append(what, fmt.Sprintf("ERP customer %s is named %q, its account %q", c.GetId(), c.GetName(), acc.GetName()))
	}
	if acc.GetErpCustomerId() != c.GetId() {
		what = append(what, fmt.Sprintf("the account links ERP customer %q, the ERP's customer of the account is %s", acc.GetErpCustomerId(), c.GetId()))
	}
	version, _ := strconv.ParseInt(acc.GetEtag(), 10, 64)
	_, err = e.syncAccount(ctx, acc, version)
	r.drift(CheckAccountCustomer, acc.GetId(), strings.Join(what, "; "), verifiedOr(errCustomerKept, err, func() (bool, error) {
		acc, c, err := e.customerNow(ctx, acc.GetId(), c.GetId())
		return err == nil && acc != nil && c != nil && !mirrors(c, acc), err
	}))
	return nil
}

// mirrors reports whether a customer has its account's name and the
// account links to it.
func mirrors(c *erpv1.Customer, acc *crmv1.Account) bool {
	return c.GetName() == acc.GetName() && acc.GetErpCustomerId() == c.GetId()
}

// customerNow reads an account and then a customer, each nil when gone.
func (e *Engine) customerNow(ctx context.Context, accountID, customerID string) (*crmv1.Account, *erpv1.Customer, error) {
	acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
	if status.Code(err) == codes.NotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read account %s: %w", accountID, err)
	}
	c, err := e.erp.Customers.GetCustomer(ctx, &erpv1.GetCustomerRequest{Id: customerID})
	if status.Code(err) == codes.NotFound {
		return acc, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("read customer %s: %w", customerID, err)
	}
	return acc, c, nil
}

// reconcileBalance compares an account's balances, in every currency, and
// its payment status with its ERP customer's, and writes the balances of
// the currencies that differ, each with the ERP's version.
func (e *Engine) reconcileBalance(ctx context.Context, r *Report, c *erpv1.Customer, acc *crmv1.Account) error {
	r.check(CheckAccountBalance).Checked++
	erp, err := e.balancesOf(ctx, c, acc)
	if err != nil {
		return err
	}
	if sameBalances(acc, erp) {
		return nil // the same in every currency (or never invoiced, and shown so)
	}
	acc, err = e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: acc.GetId()})
	if status.Code(err) == codes.NotFound {
		r.changed(CheckAccountBalance)
		return nil
	}
	if err != nil {
		return fmt.Errorf("read account %s: %w", c.GetCrmAccountId(), err)
	}
	if erp, err = e.balancesOf(ctx, c, acc); err != nil {
		return err
	}
	if sameBalances(acc, erp) {
		r.changed(CheckAccountBalance)
		return nil
	}
	req := &crmv1.SetAccountPaymentStatusRequest{AccountId: acc.GetId()}
	unversioned := false
	for _, b := range differentBalances(acc, erp) {
		if b.GetVersion() <= 0 {
			unversioned = true
			continue
		}
		req.Balances = append(req.Balances, balanceUpdate(b, b.GetVersion()))
	}
	what := fmt.Sprintf("account shows %s; the ERP has %s", shownBalances(acc), erpBalances(erp))
	if unversioned {
		r.drift(CheckAccountBalance, acc.GetId(), what, errBalanceNeverReported)
		if len(req.GetBalances()) == 0 {
			return nil
		}
	}
	// settled reports whether an account shows the ERP's balances: those
	// the ERP has versions of, when it never reported another that the
	// account shows (that one is reported above).
	settled := func(acc *crmv1.Account, erp []*erpv1.CustomerBalance) bool {
		if unversioned {
			return !slices.ContainsFunc(differentBalances(acc, erp), func(b *erpv1.CustomerBalance) bool { return b.GetVersion() > 0 })
		}
		return sameBalances(acc, erp)
	}
	// Every currency may agree but the status not (one written without
	// balances): only writing the balances again, as a reset, makes the
	// CRM derive it again.
	err = errKept
	if len(req.GetBalances()) > 0 {
		now, werr := e.crm.Sync.SetAccountPaymentStatus(ctx, req)
		err = verified(werr, func() (bool, error) {
			if settled(now, erp) {
				return false, nil
			}
			erp, err := e.balancesOf(ctx, c, now)
			return err == nil && !settled(now, erp), err
		})
	}
	r.driftOrReset(CheckAccountBalance, acc.GetId(), what, err,
		func() (bool, error) { return e.resetBalances(ctx, c, acc.GetId(), settled) })
	return nil
}

// resetBalances corrects balances the CRM kept because they claim
// versions ahead of the ERP's, which no sync of the ERP's facts wrote:
// read afresh, the account first, every balance the ERP has a version of
// replaces the account's, version and all, provided nothing wrote the
// account since it was read (a delivery racing the pass is never undone).
// It reports whether it sent the reset.
func (e *Engine) resetBalances(ctx context.Context, c *erpv1.Customer, accountID string,
	settled func(*crmv1.Account, []*erpv1.CustomerBalance) bool,
) (bool, error) {
	acc, err := e.crm.Accounts.GetAccount(ctx, &crmv1.GetAccountRequest{Id: accountID})
	if status.Code(err) == codes.NotFound {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read account %s: %w", accountID, err)
	}
	erp, err := e.balancesOf(ctx, c, acc)
	if err != nil || settled(acc, erp) {
		return false, err
	}
	req := &crmv1.SetAccountPaymentStatusRequest{AccountId: accountID, ResetEtag: acc.GetEtag()}
	for _, b := range erp {
		if b.GetVersion() > 0 {
			req.Balances = append(req.Balances, balanceUpdate(b, b.GetVersion()))
		}
	}
	if len(req.GetBalances()) == 0 {
		return false, errStatusWithoutBalance
	}
	now, err := e.crm.Sync.SetAccountPaymentStatus(ctx, req)
	return true, verified(resetError(err), func() (bool, error) { return !settled(now, erp), nil })
}

// balancesOf reads a customer's balances: those the ERP lists, and those
// of the currencies an account shows and the ERP does not list (no sync
// writes one), which are compared with what the ERP has in them: nothing.
func (e *Engine) balancesOf(ctx context.Context, c *erpv1.Customer, acc *crmv1.Account) ([]*erpv1.CustomerBalance, error) {
	list, err := e.erp.Customers.ListCustomerBalances(ctx, &erpv1.ListCustomerBalancesRequest{CustomerId: c.GetId()})
	if err != nil {
		return nil, fmt.Errorf("read balances of customer %s: %w", c.GetId(), err)
	}
	erp := list.GetBalances()
	for _, shown := range acc.GetBalances() {
		if !slices.ContainsFunc(erp, func(b *erpv1.CustomerBalance) bool { return b.GetCurrencyCode() == shown.GetCurrencyCode() }) {
			b, err := e.erp.Customers.GetCustomerBalance(ctx, &erpv1.GetCustomerBalanceRequest{
				CustomerId: c.GetId(), CurrencyCode: shown.GetCurrencyCode(),
			})
			if err != nil {
				return nil, fmt.Errorf("read balance of customer %s in %s: %w", c.GetId(), shown.GetCurrencyCode(), err)
			}
			erp = append(erp, b)
		}
	}
	return erp, nil
}

// sameBalances reports whether an account shows a customer's balances in
// every currency, and the payment status they give.
func sameBalances(acc *crmv1.Account, erp []*erpv1.CustomerBalance) bool {
	return len(differentBalances(acc, erp)) == 0 && acc.GetPaymentStatus() == customerPaymentStatus(erp)
}

// differentBalances returns the ERP balances an account does not show as
// they are (a currency missing, or other amounts or credit).
func differentBalances(acc *crmv1.Account, erp []*erpv1.CustomerBalance) []*erpv1.CustomerBalance {
	var out []*erpv1.CustomerBalance
	for _, b := range erp {
		i := slices.IndexFunc(acc.GetBalances(), func(s *crmv1.AccountBalance) bool { return s.GetCurrencyCode() == b.GetCurrencyCode() })
		if i < 0 {
			out = append(out, b)
			continue
		}
		shown := acc.GetBalances()[i]
		if !sameQuantity(shown.GetOpenBalance().GetAmount(), b.GetOpenBalance().GetAmount()) ||
			!sameQuantity(shown.GetOverdueBalance().GetAmount(), b.GetOverdueBalance().GetAmount()) ||
			!sameQuantity(creditAmount(shown.GetCredit()), creditAmount(b.GetCredit())) {
			out = append(out, b)
		}
	}
	return out
}

// shownBalances and erpBalances describe balances for a report:
// "OVERDUE: EUR open 22.48 overdue 22.48, USD open 0.00 overdue 0.00
// credit 5.00" (a credit only when there is one).
func shownBalances(acc *crmv1.Account) string {
	var parts []string
	for _, b := range acc.GetBalances() {
		parts = append(parts, describeBalance(b.GetCurrencyCode(), b.GetOpenBalance(), b.GetOverdueBalance(), b.GetCredit()))
	}
	return describeBalances(acc.GetPaymentStatus(), parts)
}

func erpBalances(bs []*erpv1.CustomerBalance) string {
	var parts []string
	for _, b := range bs {
		parts = append(parts, describeBalance(b.GetCurrencyCode(), b.GetOpenBalance(), b.GetOverdueBalance(), b.GetCredit()))
	}
	return describeBalances(customerPaymentStatus(bs), parts)
}

func describeBalance(currency string, open, overdue, credit *moneyv1.Money) string {
	out := fmt.Sprintf("%s open %s overdue %s", currency, open.GetAmount(), overdue.GetAmount())
	if !sameQuantity(creditAmount(credit), "0") {
		out += " credit " + credit.GetAmount()
	}
	return out
}

// creditAmount is a credit's amount, zero when there is none (a CRM or an
// ERP from before credit leaves it out).
func creditAmount(m *moneyv1.Money) string {
	if m.GetAmount() == "" {
		return "0"
	}
	return m.GetAmount()
}

func describeBalances(s crmv1.PaymentStatus, parts []string) string {
	if len(parts) == 0 {
		parts = []string{"no balance"}
	}
	return strings.TrimPrefix(s.String(), "PAYMENT_STATUS_") + ": " + strings.Join(parts, ", ")
}
