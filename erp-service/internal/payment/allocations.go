package payment

import (
	"fmt"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// checkAllocations adds to v what is wrong with allocations on their own,
// before any invoice is read: each names an invoice, once, with a positive
// amount in the minor units of its currency, and in currency unless that
// is "" (not known yet). It reports which allocations passed.
func checkAllocations(v *errs.Violations, allocs []Allocation, currency string) []bool {
	ok := make([]bool, len(allocs))
	seen := map[string]bool{}
	for i, a := range allocs {
		f := func(name string) string { return fmt.Sprintf("allocations[%d].%s", i, name) }
		switch {
		case a.InvoiceID == "":
			v.Add(f("invoice_id"), "is required")
		case seen[a.InvoiceID]:
			v.Add(f("invoice_id"), "invoice %s is allocated more than once", a.InvoiceID)
		}
		seen[a.InvoiceID] = true
		switch {
		case currency != "" && a.Amount.Currency != currency:
			v.Add(f("amount.currency_code"), "must be the payment's currency %s", currency)
		case !a.Amount.Amount.IsPositive():
			v.Add(f("amount.amount"), "must be positive")
		case a.Amount.TooPrecise():
			v.Add(f("amount.amount"), "%s allows at most %d decimal places", a.Amount.Currency, money.MinorUnits(a.Amount.Currency))
		default:
			ok[i] = true
		}
	}
	return ok
}

// checkInvoices checks allocations of payment p against the invoices they
// name (locked by the caller): each the customer's, in the payment's
// currency, not void, with an open amount covering the allocation. It
// reports which allocations passed; the error is INVALID_ARGUMENT for bad
// allocations, else FAILED_PRECONDITION for allocations to void invoices.
func checkInvoices(p *Payment, allocs []Allocation, invoices map[string]*invoicing.Invoice) ([]bool, *errs.Violations, []errs.FieldViolation) {
	var v errs.Violations
	var void []errs.FieldViolation
	ok := make([]bool, len(allocs))
	for i, a := range allocs {
		f := fmt.Sprintf("allocations[%d]", i)
		inv, found := invoices[a.InvoiceID]
		switch {
		case !found || inv.CustomerID != p.CustomerID:
			v.Add(f+".invoice_id", "customer %s has no invoice %s", p.CustomerID, a.InvoiceID)
		case a.Amount.Currency != p.Amount.Currency:
			v.Add(f+".amount.currency_code", "must be the payment's currency %s", p.Amount.Currency)
		case !inv.Payable():
			void = append(void, errs.FieldViolation{Field: f + ".invoice_id", Description: fmt.Sprintf("invoice %s is void", inv.Number)})
		case inv.Currency != p.Amount.Currency:
			v.Add(f+".amount.currency_code", "invoice %s is in %s, not %s", inv.Number, inv.Currency, p.Amount.Currency)
		case a.Amount.Amount.GreaterThan(inv.OpenAmount().Amount):
			v.Add(f+".amount.amount", "%s is more than the %s open on invoice %s", a.Amount.Format(), inv.OpenAmount().Format(), inv.Number)
		default:
			ok[i] = true
		}
	}
	return ok, &v, void
}

// invoiceError is the error of checkInvoices' findings, or nil.
func invoiceError(v *errs.Violations, void []errs.FieldViolation) error {
	if err := v.Err(); err != nil {
		return err
	}
	if len(void) > 0 {
		return &errs.Error{Kind: errs.FailedPrecondition, Violations: void,
			Message: void[0].Field + ": " + void[0].Description + "; a void invoice cannot be paid"}
	}
	return nil
}

// allocate adds an allocation to its invoice's paid amount and re-derives
// the invoice's status.
func allocate(a Allocation, invoices map[string]*invoicing.Invoice) {
	inv := invoices[a.InvoiceID]
	inv.Paid.Amount = inv.Paid.Amount.Add(a.Amount.Amount)
	inv.Derive()
	inv.Revision++
}
