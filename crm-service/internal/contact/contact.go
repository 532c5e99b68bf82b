// Package contact holds the people the sales and service teams talk to,
// usually at an account: their validation rules, duplicate detection by
// email, and the storage they need.
package contact

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
)

// Event types of contacts.
const (
	EventCreated = "contact.created"
	EventUpdated = "contact.updated"
	EventDeleted = "contact.deleted"
)

// MethodCreate is the idempotency method name of a create.
const MethodCreate = "CreateContact"

// Contact is a person.
type Contact struct {
	ID        string
	AccountID string // "" when the person belongs to no account
	Name      string
	Email     string
	Phone     string
	Title     string
	Role      string
	Owner     string
	// ExternalID is the contact's id in another system (a partner's key
	// for the person), or ""; unique among all contacts.
	ExternalID string
	// Version increases with every write; the etag is its decimal form.
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
	// NameFold is Name as the name order of ListContacts compares it: in
	// lower case, as the database folds it (name_fold). Read-only: read
	// with the contact, and not changed with Name until it is read again.
	NameFold string
}

// ETag is the contact's current etag.
func (c Contact) ETag() string { return strconv.FormatInt(c.Version, 10) }

// EmailKey is the form emails are compared in: without case and
// surrounding space.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Field names a client-writable field of a contact (its proto name).
type Field string

// The fields a client may write.
const (
	FieldAccountID Field = "account_id"
	FieldName      Field = "name"
	FieldEmail     Field = "email"
	FieldPhone     Field = "phone"
	FieldTitle     Field = "title"
	FieldRole      Field = "role"
	FieldOwner     Field = "owner"
	FieldExternal  Field = "external_id"
)

// MutableFields are the fields Update changes when no mask is given.
var MutableFields = []Field{FieldAccountID, FieldName, FieldEmail, FieldPhone, FieldTitle, FieldRole, FieldOwner, FieldExternal}

// ReadOnlyFields are fields of the resource a client can never write.
var ReadOnlyFields = []string{"id", "etag", "create_time", "update_time"}

// FilterFields are the fields ListContacts filters on (by equality; email
// without case).
var FilterFields = []string{"account_id", "email", "owner", "external_id"}

// OrderFields are the fields ListContacts sorts by (order_by).
var OrderFields = []string{"name", "create_time"}

// OrderKey is the value of field (one of OrderFields) in c, as a page
// token carries it: the name order's is the folded name, then the name.
func OrderKey(c Contact, field string) []string {
	switch field {
	case "name":
		return []string{c.NameFold, c.Name}
	case "create_time":
		return []string{c.CreateTime.Format(time.RFC3339Nano)}
	}
	return nil
}

// Input is what a client sends to create or update a contact. Read-only
// fields are not part of it, but for the id of an import row.
type Input struct {
	// ID is the contact an import row updates, or "" (imports only).
	ID        string
	AccountID string
	Name      string
	Email     string
	Phone     string
	Title     string
	Role      string
	Owner     string
	// ExternalID is validated without surrounding white space; blank is
	// none.
	ExternalID string
}

const (
	maxName  = 200
	maxText  = 200
	maxEmail = 254
	maxPhone = 50
	maxExtID = 200
)

// ValidEmail reports whether s is a plain address ("ana@example.com").
func ValidEmail(s string) bool {
	if len(s) > maxEmail || strings.ContainsAny(s, " \t\r\n") {
		return false
	}
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && a.Name == ""
}

// CheckPhone validates a phone number; "" is valid (none).
func CheckPhone(s string) error {
	switch {
	case s == "":
		return nil
	case len(s) > maxPhone:
		return fmt.Errorf("must be at most %d characters", maxPhone)
	case !validPhone(s):
		return errors.New("may hold only digits, spaces and + - ( ) . /")
	}
	return nil
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-()./", r):
		default:
			return false
		}
	}
	return digits > 0
}

func (in *Input) validate(fields []Field) error {
	var v errs.Violations
	ids.Normalize(&v, fieldID, &in.ID)
	text := func(f Field, s string) {
		if len([]rune(s)) > maxText {
			v.Add(string(f), "must be at most %d characters", maxText)
		}
	}
	for _, f := range fields {
		switch f {
		case FieldAccountID:
			ids.Normalize(&v, string(f), &in.AccountID)
		case FieldName:
			switch name := strings.TrimSpace(in.Name); {
			case name == "":
				v.Add(string(f), "is required")
			case len([]rune(name)) > maxName:
				v.Add(string(f), "must be at most %d characters", maxName)
			}
		case FieldEmail:
			if e := strings.TrimSpace(in.Email); e != "" && !ValidEmail(e) {
				v.Add(string(f), "%q is not a plain email address like ana@example.com", in.Email)
			}
		case FieldPhone:
			if err := CheckPhone(in.Phone); err != nil {
				v.Add(string(f), "%s", err)
			}
		case FieldTitle:
			text(f, in.Title)
		case FieldRole:
			text(f, in.Role)
		case FieldOwner:
			// Stored trimmed, as every owner is, so the owner filter finds
			// a contact assigned as " sam ".
			in.Owner = strings.TrimSpace(in.Owner)
			text(f, in.Owner)
		case FieldExternal:
			// Kept without surrounding white space, as names are: " C-1 "
			// is the key "C-1", and blank is no external id (not a key "  "
			// that one contact could hold).
			in.ExternalID = strings.TrimSpace(in.ExternalID)
			if len([]rune(in.ExternalID)) > maxExtID {
				v.Add(string(f), "must be at most %d characters", maxExtID)
			}
		}
	}
	return v.Err()
}

// Query selects a page of contacts in id (creation) order.
type Query struct {
	// Equal maps filter fields to the value they must equal; an email is
	// given as its EmailKey.
	Equal map[string]string
	// Order is the sort order; the zero Order is id order.
	Order listing.Order
	// After is the id of the last contact of the previous page, or "".
	After string
	// AfterKey is OrderKey of that contact for Order's field, when Order
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
	Contact   Contact
	Event     *Event
	Unchanged bool
	// Dedupe asks the store to fail with a *DuplicateError when another
	// contact has the new email (checked under the lock creation takes on
	// the email).
	Dedupe bool
}

// DuplicateError reports that a create or update would duplicate an existing
// contact.
type DuplicateError struct {
	ExistingID string
	Email      string
}

func (e *DuplicateError) Error() string {
	return fmt.Sprintf("contact %s already has the email %q; set force to allow another", e.ExistingID, e.Email)
}

// Unwrap makes the error an ALREADY_EXISTS for errs and for callers that
// do not know this type.
func (e *DuplicateError) Unwrap() error { return errs.AlreadyExistsf("%s", e.Error()) }

// ExternalIDError is an external_id another contact has: ALREADY_EXISTS,
// naming that contact when it is known. Unlike a duplicate email, force
// does not allow it.
type ExternalIDError struct {
	ExternalID string
	// ExistingID is the contact that has the external_id; "" when unknown
	// (it was deleted since).
	ExistingID string
}

func (e *ExternalIDError) Error() string {
	if e.ExistingID == "" {
		return fmt.Sprintf("another contact has external_id %q", e.ExternalID)
	}
	return fmt.Sprintf("contact %s already has external_id %q", e.ExistingID, e.ExternalID)
}

// Unwrap makes the error an ALREADY_EXISTS for errs and for callers that
// do not know this type.
func (e *ExternalIDError) Unwrap() error { return errs.AlreadyExistsf("%s", e.Error()) }

// Store is the persistence contacts need.
type Store interface {
	// CreateContact inserts c and records ev (and requestID for method)
	// in one transaction; a requestID used before for method returns the
	// contact it created and writes nothing. With dedupe and a non-empty
	// email, a contact with the same EmailKey fails with a *DuplicateError
	// (checked under a lock on the key). An account that does not exist is
	// a violation of account_id, an external_id another contact has an
	// *ExternalIDError.
	CreateContact(ctx context.Context, requestID, method string, c Contact, ev Event, dedupe bool) (Contact, error)
	GetContact(ctx context.Context, id string) (Contact, error)
	ListContacts(ctx context.Context, q Query) ([]Contact, bool, error)
	// UpdateContact locks the contact, passes it to fn and applies the
	// change, in one transaction; an external_id another contact has is
	// an *ExternalIDError.
	UpdateContact(ctx context.Context, id string, fn func(cur Contact) (Change, error)) (Contact, error)
	// DeleteContact locks the contact, then the activities, cases and
	// campaign memberships that name it, and passes them to fn; unless fn
	// fails, it writes the Deletion fn returns (the linked records without
	// the contact, the memberships deleted, their events, the contact
	// deleted and its event), in one transaction.
	DeleteContact(ctx context.Context, id string, fn func(cur Contact, linked Linked) (Deletion, error)) error
	// ImportContacts runs one import transaction: it takes the locks
	// creation takes on the email keys, reads the contacts of the ids and
	// every contact with each email key, oldest first (all locked for
	// update) and which of the accounts exist (locked against deletion),
	// passes them to fn and writes the plan fn returns (nothing when it
	// returns nil).
	ImportContacts(ctx context.Context, keys ImportKeys, fn func(ImportFound) (*ImportPlan, error)) error
}

// Linked are the records that name a contact.
type Linked struct {
	Activities []activity.Activity
	Cases      []servicecase.Case
	// CampaignMembers are the contact's memberships of campaigns.
	CampaignMembers []campaign.Member
}

// Deletion is what deleting a contact writes: the records that named it,
// without it, each at its next version with its updated event (recorded
// first), and the contact's deleted event.
type Deletion struct {
	Activities activity.Unlinked
	Cases      []servicecase.Case
	CaseEvents []servicecase.Event
	// MemberEvents are the deleted events of the contact's campaign
	// memberships, which go with it.
	MemberEvents []campaign.Event
	Event        Event
}

// Encoder renders a contact as an event payload (the API's JSON form).
type Encoder interface {
	EncodeContact(Contact) ([]byte, error)
}

// Service carries out the contact use cases.
type Service struct {
	store      Store
	enc        Encoder
	activities *activity.Service
	cases      *servicecase.Service
	members    *campaign.Members
	now        func() time.Time
}

// NewService returns a Service; a deletion clears the contact from the
// activities and cases that name it and removes its campaign memberships,
// through their services; now is the clock.
func NewService(store Store, enc Encoder, activities *activity.Service, cases *servicecase.Service, members *campaign.Members, now func() time.Time) *Service {
	return &Service{
		store: store, enc: enc, activities: activities, cases: cases, members: members,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) },
	}
}

func (s *Service) event(typ string, c Contact) (Event, error) {
	payload, err := s.enc.EncodeContact(c)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Type: typ, Key: c.ID, Payload: payload}, nil
}

// New builds a validated contact with a fresh id, version 1 and its
// created event, ready for a store (lead conversion uses it too).
func (s *Service) New(in Input) (Contact, Event, error) {
	if err := in.validate(MutableFields); err != nil {
		return Contact{}, Event{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Contact{}, Event{}, err
	}
	now := s.now()
	c := Contact{
		ID: id.String(), AccountID: in.AccountID, Name: strings.TrimSpace(in.Name), Email: strings.TrimSpace(in.Email), Phone: in.Phone,
		Title: in.Title, Role: in.Role, Owner: in.Owner, ExternalID: in.ExternalID, Version: 1, CreateTime: now, UpdateTime: now,
	}
	ev, err := s.event(EventCreated, c)
	return c, ev, err
}

// Create creates a contact. A retry with the same requestID returns the
// first result and writes nothing. Unless force is set, a contact with the
// same email is an ALREADY_EXISTS *DuplicateError.
func (s *Service) Create(ctx context.Context, in Input, requestID string, force bool) (Contact, error) {
	c, ev, err := s.New(in)
	if err != nil {
		return Contact{}, err
	}
	return s.store.CreateContact(ctx, requestID, MethodCreate, c, ev, !force)
}

// Get returns one contact.
func (s *Service) Get(ctx context.Context, id string) (Contact, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Contact{}, err
	}
	return s.store.GetContact(ctx, id)
}

// List returns a page of contacts and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Contact, bool, error) {
	if id, ok := q.Equal["account_id"]; ok {
		c, valid := ids.Canonical(id)
		if !valid {
			return nil, false, errs.Invalid("filter", "account_id "+ids.NotUUID)
		}
		q.Equal["account_id"] = c
	}
	if e, ok := q.Equal["email"]; ok {
		q.Equal["email"] = EmailKey(e)
	}
	return s.store.ListContacts(ctx, q)
}

// Update changes the given fields; a non-empty etag must match. An update
// that changes nothing writes nothing. Unless force is set, a new email
// that another contact has is an ALREADY_EXISTS *DuplicateError.
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string, force bool) (Contact, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Contact{}, err
	}
	if err := in.validate(fields); err != nil {
		return Contact{}, err
	}
	return s.store.UpdateContact(ctx, id, func(cur Contact) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "contact "+id); err != nil {
			return Change{}, err
		}
		next := apply(cur, in, fields)
		if next == cur {
			return Change{Unchanged: true}, nil
		}
		next.Version++
		next.UpdateTime = s.now()
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Change{}, err
		}
		key := EmailKey(next.Email)
		return Change{Contact: next, Event: &ev, Dedupe: !force && key != "" && key != EmailKey(cur.Email)}, nil
	})
}

// apply returns cur with the given fields taken from in.
func apply(cur Contact, in Input, fields []Field) Contact {
	next := cur
	for _, f := range fields {
		switch f {
		case FieldAccountID:
			next.AccountID = in.AccountID
		case FieldName:
			next.Name = strings.TrimSpace(in.Name)
		case FieldEmail:
			next.Email = strings.TrimSpace(in.Email)
		case FieldPhone:
			next.Phone = in.Phone
		case FieldTitle:
			next.Title = in.Title
		case FieldRole:
			next.Role = in.Role
		case FieldOwner:
			next.Owner = in.Owner
		case FieldExternal:
			next.ExternalID = in.ExternalID
		}
	}
	return next
}

// Delete removes a contact; a non-empty etag must match. The activities
// and cases that name it lose it, each as an update of its own; its
// campaign memberships are deleted, each with its event.
func (s *Service) Delete(ctx context.Context, id, etag string) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteContact(ctx, id, func(cur Contact, linked Linked) (Deletion, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "contact "+id); err != nil {
			return Deletion{}, err
		}
		// Tasks and cases lose the contact as an update of their own: a
		// new version (a stale etag no longer passes), update time and
		// event.
		var d Deletion
		var err error
		if d.Activities, err = s.activities.UnlinkAll(linked.Activities, activity.FieldContactID); err != nil {
			return Deletion{}, err
		}
		if d.Cases, d.CaseEvents, err = s.cases.UnlinkContact(linked.Cases); err != nil {
			return Deletion{}, err
		}
		if len(linked.CampaignMembers) > 0 {
			if d.MemberEvents, err = s.members.Deleted(linked.CampaignMembers); err != nil {
				return Deletion{}, err
			}
		}
		gone := cur
		gone.Version++
		gone.UpdateTime = s.now()
		if d.Event, err = s.event(EventDeleted, gone); err != nil {
			return Deletion{}, err
		}
		return d, nil
	})
}
