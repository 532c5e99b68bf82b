// Package account holds the account domain: companies the sales and service
// teams work with, their validation rules, and the storage they need.
package account

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// PaymentStatus is what finance knows about a customer's or a deal's
// invoices, copied from the ERP. The values are the stored form.
type PaymentStatus string

// The payment statuses.
const (
	PaymentUnspecified   PaymentStatus = "unspecified"
	PaymentNotInvoiced   PaymentStatus = "not_invoiced"
	PaymentOpen          PaymentStatus = "open"
	PaymentPartiallyPaid PaymentStatus = "partially_paid"
	PaymentPaid          PaymentStatus = "paid"
	PaymentOverdue       PaymentStatus = "overdue"
	// PaymentCredited is a deal's only: its order invoiced in full and
	// every invoice cancelled by credit notes, nothing paid.
	PaymentCredited PaymentStatus = "credited"
)

// Known reports whether s is a status the bridge may set.
func (s PaymentStatus) Known() bool {
	switch s {
	case PaymentNotInvoiced, PaymentOpen, PaymentPartiallyPaid, PaymentPaid, PaymentOverdue, PaymentCredited:
		return true
	}
	return false
}

// Event types of accounts.
const (
	EventCreated = "account.created"
	EventUpdated = "account.updated"
	EventDeleted = "account.deleted"
)

// Idempotency method names recorded with a request_id.
const MethodCreate = "CreateAccount"

// Account is a company.
type Account struct {
	ID       string
	Name     string
	Website  string
	Industry string
	Owner    string
	// ParentID is the parent company's account, or "".
	ParentID string
	Billing  Address
	Shipping Address
	// ExternalID is the account's id in another system (where an import
	// came from), or ""; unique among accounts, stored without leading and
	// trailing white space.
	ExternalID string
	// Read-only: set by the bridge through the sync API.
	ERPCustomerID string
	// Balances are what the account owes per currency, worst first
	// (SortBalances). PaymentStatus, OpenBalance and OverdueBalance show
	// the first of them: the status over all currencies and the amounts of
	// the currency that decides it.
	Balances       []Balance
	PaymentStatus  PaymentStatus
	OpenBalance    *money.Money // nil when the ERP has reported nothing
	OverdueBalance *money.Money
	// PaymentVersion is the newest source version of the balances (0: none
	// reported yet); each balance keeps its own.
	PaymentVersion int64
	// Version increases with every write; the etag is its decimal form.
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
	// NameFold is Name as the name order of ListAccounts compares it: in
	// lower case, as the database folds it (name_fold). Read-only: read
	// with the account, and not changed with Name until it is read again.
	NameFold string
}

// ETag is the account's current etag.
func (a Account) ETag() string { return strconv.FormatInt(a.Version, 10) }

// Field names a client-writable field of an account (its proto name).
type Field string

// The fields a client may write.
const (
	FieldName     Field = "name"
	FieldWebsite  Field = "website"
	FieldIndustry Field = "industry"
	FieldOwner    Field = "owner"
	FieldParent   Field = "parent_account_id"
	FieldBilling  Field = "billing_address"
	FieldShipping Field = "shipping_address"
	FieldExternal Field = "external_id"
)

// MutableFields are the fields Update changes when no mask is given.
var MutableFields = []Field{FieldName, FieldWebsite, FieldIndustry, FieldOwner, FieldParent, FieldBilling, FieldShipping, FieldExternal}

// ReadOnlyFields are fields of the resource a client can never write.
var ReadOnlyFields = []string{"id", "erp_customer_id", "payment_status", "open_balance", "overdue_balance", "balances", "etag", "create_time", "update_time"}

// Input is what a client sends to create or update an account. Read-only
// fields are not part of it: the API ignores them in request bodies, but
// for the id of an import row.
type Input struct {
	// ID is the account an import row updates, or "" (imports only).
	ID         string
	Name       string
	Website    string
	Industry   string
	Owner      string
	ParentID   string
	Billing    Address
	Shipping   Address
	ExternalID string
}

// Length limits of the text fields.
const (
	maxName  = 200
	maxText  = 200
	maxURL   = 2048
	maxExtID = 200
)

// validate checks the named fields of in, with violation paths relative to
// the account.
func (in *Input) validate(fields []Field) error {
	var v errs.Violations
	_ = v.Merge("", in.validateExceptWebsiteForm(fields))
	_ = v.Merge("", in.websiteFormError(fields, nil))
	return v.Err()
}

// validateExceptWebsiteForm is validate without websiteFormError: an
// update checks the website's form only when it changes the website
// (websiteFormError with the stored one).
func (in *Input) validateExceptWebsiteForm(fields []Field) error {
	var v errs.Violations
	ids.Normalize(&v, fieldID, &in.ID)
	for _, f := range fields {
		switch f {
		case FieldName:
			switch name := strings.TrimSpace(in.Name); {
			case name == "":
				v.Add(string(f), "is required")
			case len([]rune(name)) > maxName:
				v.Add(string(f), "must be at most %d characters", maxName)
			}
		case FieldWebsite:
			// Kept without surrounding white space, as names are, and with
			// https:// before a bare host ("acme.example").
			in.Website = CanonicalWebsite(in.Website)
			if len(in.Website) > maxURL {
				v.Add(string(f), "must be at most %d characters", maxURL)
			}
		case FieldIndustry:
			if len([]rune(in.Industry)) > maxText {
				v.Add(string(f), "must be at most %d characters", maxText)
			}
		case FieldOwner:
			// Stored trimmed, as every owner is, so the owner filter finds
			// an account assigned as " sam ".
			in.Owner = strings.TrimSpace(in.Owner)
			if len([]rune(in.Owner)) > maxText {
				v.Add(string(f), "must be at most %d characters", maxText)
			}
		case FieldParent:
			ids.Normalize(&v, string(f), &in.ParentID)
		case FieldBilling:
			in.Billing.validate(&v, string(f))
		case FieldShipping:
			in.Shipping.validate(&v, string(f))
		case FieldExternal:
			// Kept without surrounding white space, as names are: " A-1 "
			// is the key "A-1", and blank is no external id (not a key "  "
			// that one account could hold).
			in.ExternalID = strings.TrimSpace(in.ExternalID)
			if len([]rune(in.ExternalID)) > maxExtID {
				v.Add(string(f), "must be at most %d characters", maxExtID)
			}
		}
	}
	return v.Err()
}

// websiteFormError is the violation of in's website (made canonical by
// validateExceptWebsiteForm) when fields name it and it is not of the
// form WebsiteProblem accepts, unless it equals *stored: a website stored
// before the rule stays as it is until it is changed.
func (in *Input) websiteFormError(fields []Field, stored *string) error {
	if !slices.Contains(fields, FieldWebsite) || (stored != nil && in.Website == *stored) {
		return nil
	}
	if problem := WebsiteProblem(in.Website); problem != "" {
		return errs.Invalid(string(FieldWebsite), "%s", problem)
	}
	return nil
}

// WebsiteProblem says what is wrong with a website as stored ("" when
// nothing is): it is empty (no website) or an absolute http or https URL
// with a host, without white space or a user name, e.g.
// "https://www.example.com".
func WebsiteProblem(w string) string {
	if w == "" {
		return ""
	}
	if strings.ContainsFunc(w, unicode.IsSpace) {
		return "must not contain white space (write a space in a URL as %20)"
	}
	u, err := url.Parse(w)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" || u.Hostname() == "" {
		return fmt.Sprintf("must be an http or https URL with a host, e.g. %q or %q, not %q", "https://www.example.com", "example.com", w)
	}
	if u.User != nil {
		return "must not contain a user name or password"
	}
	return ""
}

// CanonicalWebsite is the stored form of a website as written: without
// surrounding white space, and with "https://" before a host and path
// written without a scheme ("acme.example/about" ->
// "https://acme.example/about") when that makes a URL WebsiteProblem
// accepts. Anything else is returned trimmed, for WebsiteProblem to refuse.
func CanonicalWebsite(w string) string {
	w = strings.TrimSpace(w)
	if w == "" {
		return ""
	}
	if u, err := url.Parse(w); err == nil && u.Scheme == "" && u.Host == "" {
		if withScheme := "https://" + w; WebsiteProblem(withScheme) == "" {
			return withScheme
		}
	}
	return w
}

// WebsiteFrom turns free website text (a lead's) into an account's
// website: CanonicalWebsite(w), ok false when an account cannot take it.
func WebsiteFrom(w string) (website string, ok bool) {
	w = CanonicalWebsite(w)
	return w, len(w) <= maxURL && WebsiteProblem(w) == ""
}

// FilterFields are the fields ListAccounts filters on (by equality).
var FilterFields = []string{"name", "owner", "industry", "erp_customer_id", "parent_account_id", "external_id"}

// OrderFields are the fields ListAccounts sorts by (order_by). Not
// update_time: an index on it would make every update of an account a
// non-heap-only one, the bridge's balance write-backs included.
var OrderFields = []string{"name", "create_time"}

// OrderKey is the value of field (one of OrderFields) in a, as a page
// token carries it: the name order's is the folded name, then the name.
func OrderKey(a Account, field string) []string {
	switch field {
	case "name":
		return []string{a.NameFold, a.Name}
	case "create_time":
		return []string{a.CreateTime.Format(time.RFC3339Nano)}
	}
	return nil
}

// Query selects a page of accounts in id (creation) order, or sorted by
// one of OrderFields, ties broken by id.
type Query struct {
	// Equal maps filter fields to the value they must equal.
	Equal map[string]string
	// Order is the sort order; the zero Order is id order.
	Order listing.Order
	// After is the id of the last account of the previous page, or "".
	After string
	// AfterKey is OrderKey of that account for Order's field, when Order
	// names one.
	AfterKey []string
	Limit    int
}

// Event is a change to record in the feed, in the transaction of the change.
type Event struct {
	Type    string
	Key     string
	Payload []byte
}

// Change is what a read-modify-write decided.
type Change struct {
	// Account is the new state; ignored when Unchanged.
	Account Account
	// Event is recorded with the change; nil records none.
	Event *Event
	// Unchanged means nothing is written.
	Unchanged bool
	// Dedupe asks the store to fail with a *DuplicateError when another
	// account holds the new account's DuplicateKey (checked under the lock
	// creation takes on the key).
	Dedupe bool
}

// Store is the persistence the account domain needs.
type Store interface {
	// CreateAccount inserts a, records ev and, when requestID is set,
	// remembers it for method. If requestID was used before for the same
	// method, nothing is written and the account it created is returned.
	// With dedupe, an account with the same DuplicateKey fails with a
	// *DuplicateError (checked under a lock on the key, so concurrent
	// creates cannot both pass). A parent that does not exist is a
	// violation of parent_account_id.
	CreateAccount(ctx context.Context, requestID, method string, a Account, ev Event, dedupe bool) (Account, error)
	GetAccount(ctx context.Context, id string) (Account, error)
	// ListAccounts returns up to q.Limit accounts and whether more follow.
	ListAccounts(ctx context.Context, q Query) ([]Account, bool, error)
	// UpdateAccount locks the account, passes it to fn and applies the
	// change fn returns, all in one transaction. A new parent must exist
	// and must not make the account its own ancestor (violations of
	// parent_account_id).
	UpdateAccount(ctx context.Context, id string, fn func(cur Account) (Change, error)) (Account, error)
	// DeleteAccount locks the account, then the activities that name it,
	// and deletes it unless fn fails; fn learns whether opportunities refer
	// to it and gets the activities, and returns the Deletion to write.
	// Contacts, cases or child accounts referring to it are
	// FAILED_PRECONDITION.
	DeleteAccount(ctx context.Context, id string, fn func(cur Account, hasOpportunities bool, activities []activity.Activity) (Deletion, error)) error
	// ImportAccounts runs one import transaction: it locks the domains and
	// external ids against concurrent imports, reads the accounts of the
	// ids, every account holding each domain (oldest first) and the account
	// holding each external id (all locked for update) and which of
	// parents exist (locked against deletion), passes them to fn and
	// writes the plan fn returns (nothing when it returns nil). A parent
	// change that would make an account its own ancestor is a violation of
	// parent_account_id.
	ImportAccounts(ctx context.Context, keys ImportKeys, fn func(ImportFound) (*ImportPlan, error)) error
}

// Deletion is what deleting an account writes: the activities that named
// it, without it, each at its next version with its updated event
// (recorded first), and the account's deleted event.
type Deletion struct {
	Activities activity.Unlinked
	Event      Event
}

// Encoder renders an account as an event payload (the API's JSON form).
type Encoder interface {
	EncodeAccount(Account) ([]byte, error)
}

// Service carries out the account use cases.
type Service struct {
	store      Store
	enc        Encoder
	activities *activity.Service
	now        func() time.Time
}

// NewService returns a Service; a deletion clears the account from the
// activities that name it through their service; now is the clock
// (time.Now in production).
func NewService(store Store, enc Encoder, activities *activity.Service, now func() time.Time) *Service {
	// Timestamps are kept at the database's microsecond precision, so
	// what a write returns equals what a later read returns.
	return &Service{store: store, enc: enc, activities: activities, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func (s *Service) event(typ string, a Account) (Event, error) {
	payload, err := s.enc.EncodeAccount(a)
	if err != nil {
		return Event{}, err
	}
	return Event{Type: typ, Key: a.ID, Payload: payload}, nil
}

// Create creates an account. A retry with the same requestID returns the
// account the first call created and writes nothing. Unless force is set,
// an account with the same name and website domain (DuplicateKey) is an
// ALREADY_EXISTS *DuplicateError.
func (s *Service) Create(ctx context.Context, in Input, requestID string, force bool) (Account, error) {
	a, ev, err := s.New(in)
	if err != nil {
		return Account{}, err
	}
	return s.store.CreateAccount(ctx, requestID, MethodCreate, a, ev, !force)
}

// New builds a validated account with a fresh id, version 1 and its
// created event, ready for a store (lead conversion uses it too).
func (s *Service) New(in Input) (Account, Event, error) {
	if err := in.validate(MutableFields); err != nil {
		return Account{}, Event{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Account{}, Event{}, err
	}
	now := s.now().UTC()
	a := Account{
		ID: id.String(), Name: strings.TrimSpace(in.Name), Website: in.Website, Industry: in.Industry, Owner: in.Owner,
		ParentID: in.ParentID, Billing: in.Billing, Shipping: in.Shipping, ExternalID: in.ExternalID,
		PaymentStatus: PaymentUnspecified, Version: 1, CreateTime: now, UpdateTime: now,
	}
	ev, err := s.event(EventCreated, a)
	if err != nil {
		return Account{}, Event{}, err
	}
	return a, ev, nil
}

// Get returns one account.
func (s *Service) Get(ctx context.Context, id string) (Account, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Account{}, err
	}
	return s.store.GetAccount(ctx, id)
}

// List returns a page of accounts and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Account, bool, error) {
	if id, ok := q.Equal["parent_account_id"]; ok {
		c, valid := ids.Canonical(id)
		if !valid {
			return nil, false, errs.Invalid("filter", "parent_account_id "+ids.NotUUID)
		}
		q.Equal["parent_account_id"] = c
	}
	return s.store.ListAccounts(ctx, q)
}

// Update changes the given fields (the API passes MutableFields for an
// empty update mask). A non-empty etag must match the current one. An
// update that changes nothing writes nothing. Unless force is set, a new
// name or website that gives the account the DuplicateKey of another
// account is an ALREADY_EXISTS *DuplicateError.
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string, force bool) (Account, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Account{}, err
	}
	// The website's form is checked against the stored one below, unless
	// other fields are bad anyway: a website the account already has is
	// kept as it is (stored before the rule, it may have another form).
	formErr := in.websiteFormError(fields, nil)
	if err := in.validateExceptWebsiteForm(fields); err != nil {
		var v errs.Violations
		_ = v.Merge("", err)
		_ = v.Merge("", formErr)
		return Account{}, v.Err()
	}
	return s.store.UpdateAccount(ctx, id, func(cur Account) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "account "+id); err != nil {
			return Change{}, err
		}
		if formErr != nil {
			if err := in.websiteFormError(fields, &cur.Website); err != nil {
				return Change{}, err
			}
		}
		next := apply(cur, in, fields)
		if clientWritten(next) == clientWritten(cur) {
			return Change{Unchanged: true}, nil
		}
		if next.ParentID == id {
			return Change{}, errs.Invalid(string(FieldParent), "an account cannot be its own parent")
		}
		next.Version++
		next.UpdateTime = s.now().UTC()
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Account: next, Event: &ev, Dedupe: !force && KeyOf(next.Name, next.Website) != KeyOf(cur.Name, cur.Website)}, nil
	})
}

// apply returns cur with the given fields taken from in.
// clientWritten is the part of an account clients write: apply changes nothing
// else, so two accounts with the same written part are the same.
func clientWritten(a Account) Input {
	return Input{Name: a.Name, Website: a.Website, Industry: a.Industry, Owner: a.Owner, ParentID: a.ParentID,
		Billing: a.Billing, Shipping: a.Shipping, ExternalID: a.ExternalID}
}

func apply(cur Account, in Input, fields []Field) Account {
	next := cur
	for _, f := range fields {
		switch f {
		case FieldName:
			next.Name = strings.TrimSpace(in.Name)
		case FieldWebsite:
			next.Website = in.Website
		case FieldIndustry:
			next.Industry = in.Industry
		case FieldOwner:
			next.Owner = in.Owner
		case FieldParent:
			next.ParentID = in.ParentID
		case FieldBilling:
			next.Billing = in.Billing
		case FieldShipping:
			next.Shipping = in.Shipping
		case FieldExternal:
			next.ExternalID = in.ExternalID
		}
	}
	return next
}

// Delete removes an account that no opportunity refers to. A non-empty
// etag must match the current one. The activities that name it lose it,
// each as an update of its own.
func (s *Service) Delete(ctx context.Context, id, etag string) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteAccount(ctx, id, func(cur Account, hasOpportunities bool, activities []activity.Activity) (Deletion, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "account "+id); err != nil {
			return Deletion{}, err
		}
		if hasOpportunities {
			return Deletion{}, errs.FailedPreconditionf("account %s has opportunities; delete them first (an opportunity cannot move to another account)", id)
		}
		var d Deletion
		var err error
		// Activities lose the account as an update of their own.
		if d.Activities, err = s.activities.UnlinkAll(activities, activity.FieldAccountID); err != nil {
			return Deletion{}, err
		}
		gone := cur
		gone.Version++
		gone.UpdateTime = s.now().UTC()
		if d.Event, err = s.event(EventDeleted, gone); err != nil {
			return Deletion{}, err
		}
		return d, nil
	})
}

// LinkCustomer records the ERP customer of an account (a write of the
// bridge). It bumps the version but records no event, so the bridge does
// not hear back its own write; linking to the customer already linked
// writes nothing.
func (s *Service) LinkCustomer(ctx context.Context, id, erpCustomerID string) (Account, error) {
	var v errs.Violations
	id, err := ids.UUID("account_id", id)
	_ = v.Merge("", err)
	switch {
	case erpCustomerID == "":
		v.Add("erp_customer_id", "is required")
	case len(erpCustomerID) > maxExtID:
		v.Add("erp_customer_id", "must be at most %d characters", maxExtID)
	}
	if err := v.Err(); err != nil {
		return Account{}, err
	}
	return s.store.UpdateAccount(ctx, id, func(cur Account) (Change, error) {
		if cur.ERPCustomerID == erpCustomerID {
			return Change{Unchanged: true}, nil
		}
		next := cur
		next.ERPCustomerID = erpCustomerID
		next.Version++
		next.UpdateTime = s.now().UTC()
		return Change{Account: next}, nil
	})
}
