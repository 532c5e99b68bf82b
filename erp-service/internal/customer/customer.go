// Package customer holds ERP customers: the parties the company invoices,
// each optionally mirroring a CRM account. It validates customers, applies
// updates and CRM syncs, and declares the storage it needs.
package customer

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Defaults applied to new customers.
const (
	// DefaultCurrency is the currency of a customer created without one
	// (by CreateCustomer or SyncCustomer).
	DefaultCurrency = "EUR"
	// DefaultPaymentTermsDays applies when a new customer has none.
	DefaultPaymentTermsDays = 30
	// MaxNameLength bounds a name, in characters.
	MaxNameLength = 200
	// MaxPaymentTermsDays bounds the payment terms.
	MaxPaymentTermsDays = 3650
	// MaxCRMAccountIDLength bounds a CRM account id.
	MaxCRMAccountIDLength = 100
)

// Customer is a party the company invoices.
type Customer struct {
	ID           string
	Name         string
	CRMAccountID string // "" when the customer mirrors no CRM account
	CurrencyCode string
	// CreditLimit is nil when there is no limit.
	CreditLimit      *money.Money
	PaymentTermsDays int32
	// InvoicePolicy says what invoicing an order of the customer bills.
	InvoicePolicy InvoicePolicy
	// Version is the etag; it increments with every change.
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
}

// InvoicePolicy says what CreateInvoice bills of a customer's order.
type InvoicePolicy string

// The invoice policies.
const (
	// ShippedQuantities bills every shipped, not yet invoiced quantity
	// (the default).
	ShippedQuantities InvoicePolicy = "SHIPPED_QUANTITIES"
	// WholeOrder bills every ordered, not yet invoiced quantity once the
	// order is confirmed, shipped or not.
	WholeOrder InvoicePolicy = "WHOLE_ORDER"
)

// InvoicePolicies lists every policy.
var InvoicePolicies = []InvoicePolicy{ShippedQuantities, WholeOrder}

// Fields a filter may name in ListCustomers.
var FilterFields = []string{"name", "crm_account_id", "currency_code"}

// UpdatableFields are the paths an update mask may name. crm_account_id
// may be named too, but only with its current value: SyncCustomer
// maintains it.
var UpdatableFields = []string{"name", "currency_code", "credit_limit", "payment_terms_days", "crm_account_id", "invoice_policy"}

// PrepareNew applies the defaults of a new customer and validates it.
// Violations name fields relative to the customer ("name").
func PrepareNew(c *Customer) error {
	c.Name = strings.TrimSpace(c.Name)
	if c.CurrencyCode == "" {
		c.CurrencyCode = DefaultCurrency
	}
	if c.PaymentTermsDays == 0 {
		c.PaymentTermsDays = DefaultPaymentTermsDays
	}
	if c.InvoicePolicy == "" {
		c.InvoicePolicy = ShippedQuantities
	}
	var v errs.Violations
	if c.CRMAccountID != "" {
		validateCRMAccountID(&v, "crm_account_id", c.CRMAccountID)
	}
	validate(&v, c)
	return v.Err()
}

func validate(v *errs.Violations, c *Customer) {
	validateName(v, "name", c.Name)
	if err := money.CheckCode(c.CurrencyCode); err != nil {
		v.Add("currency_code", "%v", err)
	}
	if c.CreditLimit != nil {
		if c.CreditLimit.Amount.IsNegative() {
			v.Add("credit_limit.amount", "must not be negative")
		}
		if c.CreditLimit.Currency != c.CurrencyCode {
			v.Add("credit_limit.currency_code", "must be the customer's currency %s", c.CurrencyCode)
		}
	}
	if c.PaymentTermsDays < 0 || c.PaymentTermsDays > MaxPaymentTermsDays {
		v.Add("payment_terms_days", "must be between 0 and %d", MaxPaymentTermsDays)
	}
	if !slices.Contains(InvoicePolicies, c.InvoicePolicy) {
		v.Add("invoice_policy", "must be INVOICE_POLICY_SHIPPED_QUANTITIES or INVOICE_POLICY_WHOLE_ORDER")
	}
}

func validateName(v *errs.Violations, field, name string) {
	switch {
	case name == "":
		v.Add(field, "is required")
	case utf8.RuneCountInString(name) > MaxNameLength:
		v.Add(field, "must be at most %d characters", MaxNameLength)
	}
}

func validateCRMAccountID(v *errs.Violations, field, id string) {
	switch {
	case id == "":
		v.Add(field, "is required")
	case len(id) > MaxCRMAccountIDLength:
		v.Add(field, "must be at most %d bytes", MaxCRMAccountIDLength)
	}
}

// Apply returns current with the fields named by paths (a subset of
// UpdatableFields) taken from patch, validated. Violations name fields
// relative to the customer.
func Apply(current, patch Customer, paths []string) (Customer, error) {
	next := current
	var v errs.Violations
	for _, p := range paths {
		switch p {
		case "name":
			next.Name = strings.TrimSpace(patch.Name)
		case "currency_code":
			next.CurrencyCode = patch.CurrencyCode
		case "credit_limit":
			next.CreditLimit = patch.CreditLimit
		case "payment_terms_days":
			next.PaymentTermsDays = patch.PaymentTermsDays
		case "invoice_policy":
			// Unset (a full replacement without it) is the default.
			next.InvoicePolicy = patch.InvoicePolicy
			if next.InvoicePolicy == "" {
				next.InvoicePolicy = ShippedQuantities
			}
		case "crm_account_id":
			if patch.CRMAccountID != current.CRMAccountID {
				v.Add("crm_account_id", "cannot be changed by an update; SyncCustomer maintains it")
			}
		}
	}
	validate(&v, &next)
	if err := v.Err(); err != nil {
		return Customer{}, err
	}
	return next, nil
}

// CheckCurrencyChange refuses changing a customer's currency (current to
// next) once it has documents (sales orders, invoices or payments): its
// credit limit is checked, and its balance read by default, in its
// currency, so the exposure and the balance of what it already ordered,
// owes and paid in the old one would drop out of sight. The error is
// FAILED_PRECONDITION naming currency_code. A customer without documents
// may change it.
func CheckCurrencyChange(current, next Customer, hasDocuments bool) error {
	if current.CurrencyCode == next.CurrencyCode || !hasDocuments {
		return nil
	}
	desc := fmt.Sprintf("cannot change from %s to %s: the customer has sales orders, invoices or payments, "+
		"and its credit limit and balance are kept in its currency; create a customer for the new currency instead",
		current.CurrencyCode, next.CurrencyCode)
	return &errs.Error{Kind: errs.FailedPrecondition, Message: "currency_code: " + desc,
		Violations: []errs.FieldViolation{{Field: "currency_code", Description: desc}}}
}

// Sync is a copy of a CRM account to apply to its customer.
type Sync struct {
	CRMAccountID string
	Name         string
	// CurrencyCode is used only when the customer is created.
	CurrencyCode string
	// SourceVersion is the version of the CRM account the copy was taken
	// from; a sync older than the one applied last changes nothing.
	SourceVersion int64
}

// PrepareSync applies defaults and validates a sync. Violations name the
// fields of SyncCustomerRequest.
func PrepareSync(s *Sync) error {
	s.Name = strings.TrimSpace(s.Name)
	if s.CurrencyCode == "" {
		s.CurrencyCode = DefaultCurrency
	}
	var v errs.Violations
	validateCRMAccountID(&v, "crm_account_id", s.CRMAccountID)
	validateName(&v, "name", s.Name)
	if err := money.CheckCode(s.CurrencyCode); err != nil {
		v.Add("currency_code", "%v", err)
	}
	if s.SourceVersion < 0 {
		v.Add("source_version", "must not be negative")
	}
	return v.Err()
}

// NewFromSync is the customer a sync creates when none mirrors the account.
func NewFromSync(id string, s Sync) Customer {
	return Customer{
		ID:               id,
		Name:             s.Name,
		CRMAccountID:     s.CRMAccountID,
		CurrencyCode:     s.CurrencyCode,
		PaymentTermsDays: DefaultPaymentTermsDays,
		InvoicePolicy:    ShippedQuantities,
	}
}

// SyncOutcome says what a sync does to an existing customer.
type SyncOutcome int

const (
	// SyncStale: the sync is older than the one applied last; nothing changes.
	SyncStale SyncOutcome = iota
	// SyncNoChange: the customer already shows the sync's data; at most the
	// recorded source version moves forward, without a new customer version.
	SyncNoChange
	// SyncUpdate: the customer changes and gets a new version.
	SyncUpdate
)

// ApplySync decides what a sync does to current, whose last applied
// source version is appliedVersion, and returns the customer after it.
func ApplySync(current Customer, appliedVersion int64, s Sync) (Customer, SyncOutcome) {
	if s.SourceVersion < appliedVersion {
		return current, SyncStale
	}
	if current.Name == s.Name {
		return current, SyncNoChange
	}
	next := current
	next.Name = s.Name
	return next, SyncUpdate
}

// ListQuery selects a page of customers.
type ListQuery struct {
	Filter   []listing.Condition
	PageSize int
	// After is the id of the last customer of the previous page, or "".
	After string
}

// Store keeps customers. Methods that write also append the matching
// customer.created / customer.updated event in the same transaction.
type Store interface {
	// CreateCustomer inserts c (prepared by PrepareNew, ID set). A requestID
	// seen before returns the customer it created instead.
	CreateCustomer(ctx context.Context, c Customer, requestID string) (Customer, error)
	GetCustomer(ctx context.Context, id string) (Customer, error)
	// ListCustomers returns up to q.PageSize customers by id, and whether
	// more follow.
	ListCustomers(ctx context.Context, q ListQuery) ([]Customer, bool, error)
	// UpdateCustomer locks the customer, checks etag (0 skips the check),
	// and stores what change returns; a new currency of a customer with
	// documents is refused (CheckCurrencyChange).
	UpdateCustomer(ctx context.Context, id string, etag int64, change func(Customer) (Customer, error)) (Customer, error)
	// SyncCustomer upserts the customer mirroring s.CRMAccountID (see
	// ApplySync); newID is used if it has to be created.
	SyncCustomer(ctx context.Context, s Sync, newID string) (Customer, error)
}

// Event types of the customer feed; the key is the customer id.
const (
	EventCreated = "customer.created"
	EventUpdated = "customer.updated"
)

// Same reports whether o holds the same values as c, whatever their
// version and times: an update to the same values is no change.
func (c Customer) Same(o Customer) bool {
	sameLimit := (c.CreditLimit == nil) == (o.CreditLimit == nil) &&
		(c.CreditLimit == nil || c.CreditLimit.Currency == o.CreditLimit.Currency && c.CreditLimit.Amount.Equal(o.CreditLimit.Amount))
	return c.ID == o.ID && c.Name == o.Name && c.CRMAccountID == o.CRMAccountID && c.CurrencyCode == o.CurrencyCode &&
		sameLimit && c.PaymentTermsDays == o.PaymentTermsDays && c.InvoicePolicy == o.InvoicePolicy
}
