package payment

import (
	"fmt"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/erp-service/internal/invoicing"
	"github.com/seamhq/seam/platform/errs"
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
	checkAllocations(&v, allocs, "")
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
	ok, v, void := checkInvoices(p, allocs, invoices)
	sum := decimal.Zero
	for i, a := range allocs {
		if !ok[i] {
			continue
		}
		sum = sum.Add(a.Amount.Amount)
		if sum.GreaterThan(p.Unallocated.Amount) {
			v.Add(fmt.Sprintf("allocations[%d].amount.amount", i), "allocations add up to %s, more than the %s of credit left on payment %s",
				p.amount(sum).Format(), p.Unallocated.Format(), p.Number)
		}
	}
	if err := invoiceError(v, void); err != nil {
		return err
	}
	for _, a := range allocs {
		allocate(a, invoices)
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
