package payment

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
)

// ValidateCredit checks what can be checked of a credit application
// without looking anything up: at least one allocation, each invoice once,
// positive amounts with no more decimals than their currency has. Violations name fields relative to the request
// ("allocations[0].amount.amount").
func ValidateCredit(allocs []Allocation) error {
	var v errs.Violations
	switch {
	case len(allocs) == 0:
		v.Add("allocations", "at least one allocation is required")
	case len(allocs) > MaxAllocations:
		v.Add("allocations", "at most %d allocations are allowed", MaxAllocations)
	}
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
		case !a.Amount.Amount.IsPositive():
			v.Add(f("amount.amount"), "must be positive")
		case a.Amount.TooPrecise():
			v.Add(f("amount.amount"), "%s allows at most %d decimal places", a.Amount.Currency, money.MinorUnits(a.Amount.Currency))
		}
	}
	return v.Err()
}

// ApplyCredit allocates some of posted payment p's unallocated amount
// (the customer's credit) to invoices (every invoice allocs names, by id,
// locked by the caller), with the rules of a new payment's allocations:
// the customer's invoices, in the payment's currency, not void, at most
// their open amounts, and in all at most the unallocated amount. It adds
// the allocations to p (to an existing allocation of the same invoice)
// and to the invoices' paid amounts, re-derives the invoices' statuses,
// and increments the revisions. No journal entry: a payment posts its
// whole amount against receivables when it arrives, credit included.
func ApplyCredit(p *Payment, etag int64, allocs []Allocation, invoices map[string]*invoicing.Invoice) error {
	if p.Status != Posted {
		return errs.FailedPreconditionf("payment %s is %s; only a posted payment's credit can be applied", p.Number, p.Status)
	}
	if etag != 0 && etag != p.Revision {
		return errs.StaleEtag("payment " + p.ID)
	}
	var v errs.Violations
	var void []errs.FieldViolation
	sum := decimal.Zero
	for i, a := range allocs {
		f := fmt.Sprintf("allocations[%d]", i)
		inv, ok := invoices[a.InvoiceID]
		switch {
		case !ok || inv.CustomerID != p.CustomerID:
			v.Add(f+".invoice_id", "customer %s has no invoice %s", p.CustomerID, a.InvoiceID)
			continue
		case a.Amount.Currency != p.Amount.Currency:
			v.Add(f+".amount.currency_code", "must be the payment's currency %s", p.Amount.Currency)
			continue
		case !inv.Payable():
			void = append(void, errs.FieldViolation{Field: f + ".invoice_id", Description: fmt.Sprintf("invoice %s is void", inv.Number)})
			continue
		case inv.Currency != p.Amount.Currency:
			v.Add(f+".amount.currency_code", "invoice %s is in %s, not %s", inv.Number, inv.Currency, p.Amount.Currency)
			continue
		}
		if open := inv.OpenAmount(); a.Amount.Amount.GreaterThan(open.Amount) {
			v.Add(f+".amount.amount", "%s is more than the %s open on invoice %s", a.Amount.Amount, open.Amount, inv.Number)
			continue
		}
		sum = sum.Add(a.Amount.Amount)
		if sum.GreaterThan(p.Unallocated.Amount) {
			v.Add(f+".amount.amount", "allocations add up to %s, more than the %s of credit left on payment %s", sum, p.Unallocated.Amount, p.Number)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	if len(void) > 0 {
		return &errs.Error{Kind: errs.FailedPrecondition, Violations: void,
			Message: void[0].Field + ": " + void[0].Description + "; a void invoice cannot be paid"}
	}
	for _, a := range allocs {
		inv := invoices[a.InvoiceID]
		inv.Paid.Amount = inv.Paid.Amount.Add(a.Amount.Amount)
		inv.Derive()
		inv.Revision++
		merged := false
		for k := range p.Allocations {
			if p.Allocations[k].InvoiceID == a.InvoiceID {
				p.Allocations[k].Amount.Amount = p.Allocations[k].Amount.Amount.Add(a.Amount.Amount)
				merged = true
			}
		}
		if !merged {
			p.Allocations = append(p.Allocations, a)
		}
	}
	p.Unallocated.Amount = p.Unallocated.Amount.Sub(sum)
	p.Revision++
	return nil
}

// EventCreditApplied follows applying a payment's credit to invoices; the
// key is the payment id.
const EventCreditApplied = "payment.credit_applied"
