// Package lead holds prospects that are not customers yet: their
// qualification status, validation, and their conversion into an account,
// a contact and optionally an opportunity in one transaction.
package lead

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
)

// Status is where a lead is in qualification; the values are the stored form.
type Status string

// The statuses.
const (
	StatusUnspecified  Status = ""
	StatusNew          Status = "new"
	StatusWorking      Status = "working"
	StatusQualified    Status = "qualified"
	StatusDisqualified Status = "disqualified"
	StatusConverted    Status = "converted"
)

// next lists the statuses an update may move a lead to.
var next = map[Status][]Status{
	StatusNew:          {StatusWorking, StatusQualified, StatusDisqualified},
	StatusWorking:      {StatusQualified, StatusDisqualified},
	StatusQualified:    {StatusWorking, StatusDisqualified},
	StatusDisqualified: {StatusWorking},
}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return s == StatusConverted || next[s] != nil }

// Event types of leads.
const (
	EventCreated   = "lead.created"
	EventUpdated   = "lead.updated"
	EventConverted = "lead.converted"
	EventDeleted   = "lead.deleted"
)

// Idempotency method names.
const (
	MethodCreate  = "CreateLead"
	MethodConvert = "ConvertLead"
)

// Lead is a prospect.
type Lead struct {
	ID         string
	Name       string
	Company    string
	Title      string
	Email      string
	Phone      string
	Website    string
	Source     string
	CampaignID string
	Status     Status
	Owner      string
	// What the lead became; set by conversion.
	ConvertedAccountID     string
	ConvertedContactID     string
	ConvertedOpportunityID string
	ConvertTime            time.Time
	// MergedInto is the lead this one was merged into: set only on the
	// duplicate of a merge, for its lead.deleted event.
	MergedInto string
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
	// NameFold and CompanyFold are Name and Company as the name and
	// company orders of ListLeads compare them: in lower case, as the
	// database folds them (name_fold, company_fold). Read-only: read
	// with the lead, and not changed with Name or Company until it is
	// read again.
	NameFold, CompanyFold string
}

// ETag is the lead's current etag.
func (l Lead) ETag() string { return strconv.FormatInt(l.Version, 10) }

// Field names a client-writable field (its proto name).
type Field string

// The fields a client may write.
const (
	FieldName       Field = "name"
	FieldCompany    Field = "company"
	FieldTitle      Field = "title"
	FieldEmail      Field = "email"
	FieldPhone      Field = "phone"
	FieldWebsite    Field = "website"
	FieldSource     Field = "source"
	FieldCampaignID Field = "campaign_id"
	FieldStatus     Field = "status"
	FieldOwner      Field = "owner"
)

// MutableFields are the fields Update changes when no mask is given.
var MutableFields = []Field{FieldName, FieldCompany, FieldTitle, FieldEmail, FieldPhone, FieldWebsite,
	FieldSource, FieldCampaignID, FieldStatus, FieldOwner}

// ReadOnlyFields are fields a client can never write.
var ReadOnlyFields = []string{"id", "converted_account_id", "converted_contact_id", "converted_opportunity_id",
	"convert_time", "etag", "create_time", "update_time", "merged_into_lead_id"}

// FilterFields are the fields ListLeads filters on (by equality).
var FilterFields = []string{"status", "owner", "email", "source", "campaign_id", "company"}

// Input is what a client sends to create or update a lead.
type Input struct {
	// ID is the lead an import row updates, or "" (imports only).
	ID                                                                     string
	Name, Company, Title, Email, Phone, Website, Source, CampaignID, Owner string
	Status                                                                 Status
}

const maxText = 200

// validate checks the named fields of in, with violation paths relative
// to the lead, and writes a campaign id in its canonical form.
func (in *Input) validate(fields []Field) error {
	var v errs.Violations
	ids.Normalize(&v, fieldID, &in.ID)
	text := func(f Field, s string, limit int) {
		if len([]rune(s)) > limit {
			v.Add(string(f), "must be at most %d characters", limit)
		}
	}
	for _, f := range fields {
		switch f {
		case FieldName:
			name := strings.TrimSpace(in.Name)
			if name == "" {
				v.Add(string(f), "is required")
			}
			text(f, name, maxText)
		case FieldCompany:
			// Stored without surrounding white space, as names are, so
			// the company filter (an exact match) and order find a
			// pasted " Acme " as "Acme".
			in.Company = strings.TrimSpace(in.Company)
			text(f, in.Company, maxText)
		case FieldTitle:
			text(f, in.Title, maxText)
		case FieldEmail:
			if e := strings.TrimSpace(in.Email); e != "" && !contact.ValidEmail(e) {
				v.Add(string(f), "%q is not a plain email address like ana@example.com", in.Email)
			}
		case FieldPhone:
			if err := contact.CheckPhone(in.Phone); err != nil {
				v.Add(string(f), "%s", err)
			}
		case FieldWebsite:
			text(f, in.Website, 2048)
		case FieldSource:
			text(f, in.Source, maxText)
		case FieldCampaignID:
			// A campaign's id in either case names the campaign, as every
			// id does (platform/ids); it is stored in lower case. Other
			// text is left to the check of the campaign (free text of
			// older leads stays as it is).
			if c, ok := ids.Canonical(in.CampaignID); ok {
				in.CampaignID = c
			}
			text(f, in.CampaignID, maxText)
		case FieldOwner:
			// Stored without surrounding white space, so "ana " is the
			// same owner as "ana" in the reports and their filters.
			in.Owner = strings.TrimSpace(in.Owner)
			text(f, in.Owner, maxText)
		case FieldStatus:
			switch {
			case in.Status == StatusUnspecified:
			case in.Status == StatusConverted:
				v.Add(string(f), "LEAD_STATUS_CONVERTED is set by ConvertLead only")
			case !in.Status.Valid():
				v.Add(string(f), "unknown status %q", in.Status)
			}
		}
	}
	return v.Err()
}

// OrderFields are the fields ListLeads sorts by (order_by).
var OrderFields = []string{"name", "company", "create_time", "update_time"}

// OrderKey is the value of field (one of OrderFields) in l, as a page
// token carries it: the name and company orders' is the folded value,
// then the value.
func OrderKey(l Lead, field string) []string {
	switch field {
	case "name":
		return []string{l.NameFold, l.Name}
	case "company":
		return []string{l.CompanyFold, l.Company}
	case "create_time":
		return []string{l.CreateTime.Format(time.RFC3339Nano)}
	case "update_time":
		return []string{l.UpdateTime.Format(time.RFC3339Nano)}
	}
	return nil
}

// Query selects a page of leads in id order, or sorted by one of
// OrderFields, ties broken by id.
type Query struct {
	Equal map[string]string
	// Order is the sort order; the zero Order is id order.
	Order listing.Order
	// After is the id of the last lead of the previous page, or "".
	After string
	// AfterKey is OrderKey of that lead for Order's field, when Order
	// names one.
	AfterKey []string
	Limit    int
}

// Event is a change to record in the feed.
type Event struct {
	Type    string
	Key     string
	Payload []byte
}

// Change is what a read-modify-write decided.
type Change struct {
	Lead      Lead
	Event     *Event
	Unchanged bool
	// Dedupe asks the store to fail with a *DuplicateError when another
	// lead has the new email (checked under the lock creation takes on
	// the email).
	Dedupe bool
}

// DuplicateError reports that a create or update would give a lead the
// email another lead has (ignoring case).
type DuplicateError struct {
	ExistingID string
	Email      string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("lead %s already has the email %q; set force to allow another", e.ExistingID, e.Email)
}

// Unwrap makes the error an ALREADY_EXISTS for errs and for callers that
// do not know this type.
func (e *DuplicateError) Unwrap() error { return errs.AlreadyExistsf("%s", e.Error()) }

// Found is what a conversion's transaction found before deciding.
type Found struct {
	// AccountID is the account given and found, or the oldest account
	// holding the lead's DuplicateKey; "" when none.
	AccountID string
	// ContactID is the oldest contact with the lead's email (at the
	// account given, when Lookup.AccountID is set), or "";
	// ContactAccountID is the account it is at ("" for none), read when
	// the lead has activities.
	ContactID, ContactAccountID string
	// CampaignID is the lead's campaign_id when it names a campaign (kept
	// from being deleted until the transaction ends), else "" (none, or
	// free text of a lead older than campaigns).
	CampaignID string
	// LeadMembers are the lead's campaign memberships, and ContactMembers
	// those of the contact found (ContactID) in the same campaigns (none
	// when no contact was found), all locked, in id order.
	LeadMembers, ContactMembers []campaign.Member
	// Activities are the lead's activities (lead_id), locked, in id order.
	Activities []activity.Activity
}

// Lookup says what a conversion's transaction looks for.
type Lookup struct {
	// AccountID, when set, must exist (else a violation of account_id)
	// and only a contact at it is looked up; otherwise the account with
	// the lead's account key, and any contact, are looked up.
	AccountID string
}

// Keys returns what identifies the lead's account (ok false without a
// company) and contact ("" without an email).
func Keys(l Lead) (accountKey account.DuplicateKey, ok bool, emailKey string) {
	if strings.TrimSpace(l.Company) != "" {
		accountKey, ok = account.KeyOf(l.Company, l.Website), true
	}
	return accountKey, ok, contact.EmailKey(l.Email)
}

// Conversion is what a conversion writes, in this order: the new account,
// the new contact, the new opportunity (each with its created event), the
// lead's campaign memberships moved to the contact (with their events),
// the lead's activities moved to what it became (with their updated
// events), then the lead with its converted event.
type Conversion struct {
	Account          *account.Account
	AccountEvent     account.Event
	Contact          *contact.Contact
	ContactEvent     contact.Event
	Opportunity      *pipeline.Opportunity
	OpportunityEvent pipeline.Event
	Members          campaign.Transfer
	Activities       activity.Unlinked
	Lead             Lead
	LeadEvent        Event
}

// Store is the persistence leads need.
type Store interface {
	// CreateLead inserts l and records ev (and requestID for method) in
	// one transaction; a requestID used before for method returns the lead
	// it created and writes nothing. With dedupe and a non-empty email, a
	// lead with the same email key fails with a *DuplicateError (checked
	// under the lock imports take on the key).
	CreateLead(ctx context.Context, requestID, method string, l Lead, ev Event, dedupe bool) (Lead, error)
	GetLead(ctx context.Context, id string) (Lead, error)
	ListLeads(ctx context.Context, q Query) ([]Lead, bool, error)
	// UpdateLead locks the lead, passes it to fn and applies the change
	// (with Change.Dedupe, after the duplicate check), in one transaction.
	UpdateLead(ctx context.Context, id string, fn func(cur Lead) (Change, error)) (Lead, error)
	// DeleteLead locks the lead, its campaign memberships and its
	// activities and passes them to fn; unless fn fails, it deletes the
	// memberships, writes the activities' links and deletes the lead with
	// the events fn returns (the activities', the memberships', the
	// lead's), in one transaction.
	DeleteLead(ctx context.Context, id string, fn func(cur Lead, members []campaign.Member, activities []activity.Activity) (Deletion, error)) error
	// ConvertLead locks the lead, looks up the account (lookup.AccountID,
	// else by Keys of the lead), the contact (by Keys; at
	// lookup.AccountID when set, locked so that it stays there), the lead's
	// campaign and the campaign memberships of the lead and of the contact
	// found, and the lead's activities, under the
	// duplicate-key locks account and contact creation take, calls fn and
	// writes the Conversion, all in one transaction; requestID is recorded
	// for method. If requestID was recorded before for method and this
	// lead, fn is not called and the lead is returned as it is.
	ConvertLead(ctx context.Context, id, requestID, method string, lookup Lookup, fn func(cur Lead, found Found) (Conversion, error)) (Lead, error)
	// MergeLeads locks the leads id and duplicateID (in id order), the
	// campaign memberships of both and the duplicate's activities, passes
	// them to fn and writes the Merge it returns, in one transaction: the
	// memberships' changes, the activities' moves, the kept lead, the
	// duplicate deleted, and a record that the duplicate went
	// into the kept lead (moved on when the kept lead is merged in turn).
	// When the duplicate no longer exists but that record names id, fn is
	// not called and the kept lead is returned as it is; else a missing
	// lead is NOT_FOUND.
	MergeLeads(ctx context.Context, id, duplicateID string, fn func(kept, dup Lead, keptMembers, dupMembers []campaign.Member, dupActivities []activity.Activity) (Merge, error)) (Lead, error)
	// ImportLeads runs one import transaction: it locks the email keys
	// against concurrent imports, reads the leads of the ids and every lead
	// with each email key, oldest first (all locked for update) and which
	// of the campaigns exist, passes them to fn and writes the plan fn
	// returns (nothing when it returns nil).
	ImportLeads(ctx context.Context, keys ImportKeys, fn func(ImportFound) (*ImportPlan, error)) error
}

// Encoder renders a lead as an event payload.
type Encoder interface {
	EncodeLead(Lead) ([]byte, error)
}

// Service carries out the lead use cases.
type Service struct {
	store         Store
	enc           Encoder
	accounts      *account.Service
	contacts      *contact.Service
	opportunities *pipeline.Service
	members       *campaign.Members
	activities    *activity.Service
	now           func() time.Time
}

// NewService returns a Service; conversion builds its records with the
// account, contact and pipeline services; a deletion removes the lead's
// campaign memberships through members; conversion, merging and deletion
// write the lead's activities through activities.
func NewService(store Store, enc Encoder, accounts *account.Service, contacts *contact.Service, opportunities *pipeline.Service,
	members *campaign.Members, activities *activity.Service, now func() time.Time,
) *Service {
	return &Service{
		store: store, enc: enc, accounts: accounts, contacts: contacts, opportunities: opportunities, members: members,
		activities: activities, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
}

func (s *Service) event(typ string, l Lead) (Event, error) {
	payload, err := s.enc.EncodeLead(l)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Type: typ, Key: l.ID, Payload: payload}, nil
}

// Create creates a lead (status NEW unless given). A retry with the same
// requestID returns the first result and writes nothing. Unless force is
// set, a lead with the same email (ignoring case; converted ones too) is
// an ALREADY_EXISTS *DuplicateError.
func (s *Service) Create(ctx context.Context, in Input, requestID string, force bool) (Lead, error) {
	l, ev, err := s.newLead(in)
	if err != nil {
		return Lead{}, err
	}
	return s.store.CreateLead(ctx, requestID, MethodCreate, l, ev, !force)
}

// newLead builds a validated lead with a fresh id, version 1 and its
// created event.
func (s *Service) newLead(in Input) (Lead, Event, error) {
	if err := in.validate(MutableFields); err != nil {
		return Lead{}, Event{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Lead{}, Event{}, err
	}
	status := in.Status
	if status == StatusUnspecified {
		status = StatusNew
	}
	now := s.now()
	l := Lead{
		ID: id.String(), Name: strings.TrimSpace(in.Name), Company: in.Company, Title: in.Title, Email: strings.TrimSpace(in.Email),
		Phone: in.Phone, Website: in.Website, Source: in.Source, CampaignID: in.CampaignID, Status: status,
		Owner: in.Owner, Version: 1, CreateTime: now, UpdateTime: now,
	}
	ev, err := s.event(EventCreated, l)
	if err != nil {
		return Lead{}, Event{}, err
	}
	return l, ev, nil
}

// Get returns one lead.
func (s *Service) Get(ctx context.Context, id string) (Lead, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Lead{}, err
	}
	return s.store.GetLead(ctx, id)
}

// List returns a page of leads and whether more follow; a status is given
// in its stored form.
func (s *Service) List(ctx context.Context, q Query) ([]Lead, bool, error) {
	if st, ok := q.Equal["status"]; ok && !Status(st).Valid() {
		return nil, false, errs.Invalid("filter", "unknown status %q", st)
	}
	if e, ok := q.Equal["email"]; ok {
		q.Equal["email"] = contact.EmailKey(e)
	}
	// Companies are stored trimmed, so the filter's value is read so too.
	if c, ok := q.Equal["company"]; ok {
		q.Equal["company"] = strings.TrimSpace(c)
	}
	// A campaign's id in either case names it, as campaign_id is stored
	// (in lower case); other text matches the free text of older leads.
	if id, ok := q.Equal["campaign_id"]; ok {
		if c, valid := ids.Canonical(id); valid {
			q.Equal["campaign_id"] = c
		}
	}
	return s.store.ListLeads(ctx, q)
}

// Update changes the given fields. A converted lead cannot change; status
// moves follow the transitions of the proto's LeadStatus. Unless force is
// set, a new email that another lead has is an ALREADY_EXISTS
// *DuplicateError.
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string, force bool) (Lead, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Lead{}, err
	}
	if err := in.validate(fields); err != nil {
		return Lead{}, err
	}
	return s.store.UpdateLead(ctx, id, func(cur Lead) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "lead "+id); err != nil {
			return Change{}, err
		}
		if cur.Status == StatusConverted {
			return Change{}, errs.FailedPreconditionf("lead %s is converted and can no longer change", id)
		}
		n, err := apply(cur, in, fields)
		if err != nil {
			return Change{}, err
		}
		if n == cur {
			return Change{Unchanged: true}, nil
		}
		n.Version++
		n.UpdateTime = s.now()
		ev, err := s.event(EventUpdated, n)
		if err != nil {
			return Change{}, err
		}
		key := contact.EmailKey(n.Email)
		return Change{Lead: n, Event: &ev, Dedupe: !force && key != "" && key != contact.EmailKey(cur.Email)}, nil
	})
}

// apply returns cur with the given fields taken from in; a status move
// must follow the transitions of the proto's LeadStatus.
func apply(cur Lead, in Input, fields []Field) (Lead, error) {
	n := cur
	for _, f := range fields {
		switch f {
		case FieldName:
			n.Name = strings.TrimSpace(in.Name)
		case FieldCompany:
			n.Company = in.Company
		case FieldTitle:
			n.Title = in.Title
		case FieldEmail:
			n.Email = strings.TrimSpace(in.Email)
		case FieldPhone:
			n.Phone = in.Phone
		case FieldWebsite:
			n.Website = in.Website
		case FieldSource:
			n.Source = in.Source
		case FieldCampaignID:
			n.CampaignID = in.CampaignID
		case FieldOwner:
			n.Owner = in.Owner
		case FieldStatus:
			if in.Status == StatusUnspecified {
				continue // not given: unchanged
			}
			if in.Status != cur.Status && !slicesContains(next[cur.Status], in.Status) {
				return Lead{}, errs.FailedPreconditionf("lead %s cannot move from %s to %s", cur.ID, cur.Status, in.Status)
			}
			n.Status = in.Status
		}
	}
	return n, nil
}

func slicesContains(list []Status, s Status) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Link names what a converted lead became: the field naming its
// account, contact or opportunity (the proto and column name).
type Link string

// The links of a converted lead.
const (
	LinkAccount     Link = "converted_account_id"
	LinkContact     Link = "converted_contact_id"
	LinkOpportunity Link = "converted_opportunity_id"
)

// Unlink returns l without link, whose record is being deleted, as an
// update of its own: at the next version and update time, with its
// updated event. The lead stays converted. The deletion's transaction
// writes it.
func (s *Service) Unlink(l Lead, link Link) (Lead, Event, error) {
	switch link {
	case LinkAccount:
		l.ConvertedAccountID = ""
	case LinkContact:
		l.ConvertedContactID = ""
	case LinkOpportunity:
		l.ConvertedOpportunityID = ""
	default:
		return Lead{}, Event{}, fmt.Errorf("unlink lead %s: %s is no link", l.ID, link)
	}
	l.Version++
	l.UpdateTime = s.now()
	ev, err := s.event(EventUpdated, l)
	if err != nil {
		return Lead{}, Event{}, err
	}
	return l, ev, nil
}

// Unlinked is what deleting an account, contact or opportunity writes to
// the leads converted into it: each without its link, at its next
// version, with its updated event (see Unlink).
type Unlinked struct {
	Leads  []Lead
	Events []Event
}

// UnlinkAll unlinks each of list from the record of link (see Unlink).
func (s *Service) UnlinkAll(list []Lead, link Link) (Unlinked, error) {
	var u Unlinked
	for _, l := range list {
		next, ev, err := s.Unlink(l, link)
		if err != nil {
			return Unlinked{}, err
		}
		u.Leads = append(u.Leads, next)
		u.Events = append(u.Events, ev)
	}
	return u, nil
}

// Deletion is what deleting a lead writes: its campaign memberships
// deleted, with their events, its activities without the lead, and the
// lead's deleted event.
type Deletion struct {
	MemberEvents []campaign.Event
	Activities   activity.Unlinked
	Event        Event
}

// Delete removes a lead, and its campaign memberships; a non-empty etag
// must match. Its activities stay, without the lead, each as an update of
// its own (as deleting an account or an opportunity keeps theirs). A
// converted lead stays: it is the record of where its account, contact
// and deal came from, and the lead funnel counts it.
func (s *Service) Delete(ctx context.Context, id, etag string) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteLead(ctx, id, func(cur Lead, members []campaign.Member, activities []activity.Activity) (Deletion, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "lead "+id); err != nil {
			return Deletion{}, err
		}
		if cur.Status == StatusConverted {
			return Deletion{}, errs.FailedPreconditionf("lead %s is converted and can no longer change", id)
		}
		var d Deletion
		var err error
		if len(members) > 0 {
			if d.MemberEvents, err = s.members.Deleted(members); err != nil {
				return Deletion{}, err
			}
		}
		if len(activities) > 0 {
			if d.Activities, err = s.activities.UnlinkAll(activities, activity.FieldLeadID); err != nil {
				return Deletion{}, err
			}
		}
		gone := cur
		gone.Version++
		gone.UpdateTime = s.now()
		d.Event, err = s.event(EventDeleted, gone)
		return d, err
	})
}
