// Package servicecase holds customer service cases: priorities and the SLA
// they set, status, the breach flag, and the storage cases need. (Named so
// because "case" is a Go keyword.)
package servicecase

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// Priority of a case; the values are the stored form.
type Priority string

// The priorities.
const (
	PriorityUnspecified Priority = ""
	PriorityLow         Priority = "low"
	PriorityNormal      Priority = "normal"
	PriorityHigh        Priority = "high"
	PriorityUrgent      Priority = "urgent"
)

// slas is the time a priority gives to resolve a case.
var slas = map[Priority]time.Duration{
	PriorityUrgent: 4 * time.Hour,
	PriorityHigh:   8 * time.Hour,
	PriorityNormal: 24 * time.Hour,
	PriorityLow:    72 * time.Hour,
}

// SLA returns how long a case of priority p may stay unresolved.
func SLA(p Priority) time.Duration { return slas[p] }

// Valid reports whether p is one of the priorities.
func (p Priority) Valid() bool { _, ok := slas[p]; return ok }

// Status of a case; the values are the stored form.
type Status string

// The statuses.
const (
	StatusUnspecified       Status = ""
	StatusNew               Status = "new"
	StatusInProgress        Status = "in_progress"
	StatusWaitingOnCustomer Status = "waiting_on_customer"
	StatusResolved          Status = "resolved"
	StatusClosed            Status = "closed"
)

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool {
	switch s {
	case StatusNew, StatusInProgress, StatusWaitingOnCustomer, StatusResolved, StatusClosed:
		return true
	}
	return false
}

// Done reports whether a case in s no longer runs against its SLA.
func (s Status) Done() bool { return s == StatusResolved || s == StatusClosed }

// Event types of cases.
const (
	EventCreated = "case.created"
	EventUpdated = "case.updated"
	EventDeleted = "case.deleted"
	// EventEscalated is recorded by :escalate, with the case at its new
	// escalation level (its note comes as an activity.created event).
	EventEscalated = "case.escalated"
)

// Idempotency method names.
const (
	MethodCreate   = "CreateCase"
	MethodEscalate = "EscalateCase"
)

// MaxEscalationLevel is the highest escalation level. A case starts at 0
// (first line, not escalated); each escalation hands it one line up: 1
// second line (specialists), 2 third line (engineering or the product
// team), 3 management. There is nowhere to go after management.
const MaxEscalationLevel = 3

// Case is a customer service ticket.
type Case struct {
	ID          string
	Subject     string
	Description string
	AccountID   string
	ContactID   string
	Priority    Priority
	Status      Status
	Owner       string
	SLADueTime  time.Time
	// SLAPausedAt is when the case began waiting on the customer, zero
	// while it does not: the SLA clock stops meanwhile. SLAPausedFor is
	// the length of its earlier waits, by which the due time has moved.
	SLAPausedAt  time.Time
	SLAPausedFor time.Duration
	ResolveTime  time.Time // zero while open
	// EscalationLevel is how many lines up the case went (0 to
	// MaxEscalationLevel), raised only by Escalate and never lowered: the
	// case stays with the line it reached, resolved, reopened or closed.
	EscalationLevel int
	// EscalateTime is when the case was last escalated; zero before.
	EscalateTime time.Time
	// AccountPaymentStatus is joined from the account on every read.
	AccountPaymentStatus account.PaymentStatus
	Version              int64
	CreateTime           time.Time
	UpdateTime           time.Time
}

// ETag is the case's current etag.
func (c Case) ETag() string { return strconv.FormatInt(c.Version, 10) }

// Escalated reports whether the case went beyond the first line.
func (c Case) Escalated() bool { return c.EscalationLevel > 0 }

// Breached reports whether the case is past its SLA at now and neither
// resolved nor closed. The clock stops while the case waits on the
// customer: a waiting case is breached if it was when the wait began.
func (c Case) Breached(now time.Time) bool {
	if !c.SLAPausedAt.IsZero() {
		now = c.SLAPausedAt
	}
	return !c.Status.Done() && now.After(c.SLADueTime)
}

// SLAPausedSince is when the case's SLA clock stopped, while it stands
// still until the case moves on: for a case waiting on the customer, when
// the wait began; for a resolved case, when it was resolved (reopening
// resumes the clock, see pauseSLA). It is zero otherwise: a closed case's
// clock is stopped for good.
func (c Case) SLAPausedSince() time.Time {
	if c.Status == StatusResolved {
		return c.ResolveTime
	}
	return c.SLAPausedAt
}

// pauseSLA stops or restarts the SLA clock as a case enters or leaves
// waiting on the customer at now: leaving moves the due time on by the
// wait. A resolved case that is reopened (was is done, c is not) resumes
// its clock where resolving stopped it: the due time moves on by the time
// since resolveTime, the case's last resolution.
func (c *Case) pauseSLA(was Status, resolveTime, now time.Time) {
	if was.Done() && !c.Status.Done() && !resolveTime.IsZero() {
		c.moveSLA(now.Sub(resolveTime))
	}
	waiting := c.Status == StatusWaitingOnCustomer
	switch {
	case waiting && was != StatusWaitingOnCustomer:
		c.SLAPausedAt = now
	case !waiting && !c.SLAPausedAt.IsZero():
		c.moveSLA(now.Sub(c.SLAPausedAt))
		c.SLAPausedAt = time.Time{}
	}
}

// moveSLA moves the due time on by a stretch of time the clock stood
// still.
func (c *Case) moveSLA(stopped time.Duration) {
	c.SLAPausedFor += stopped
	c.SLADueTime = c.SLADueTime.Add(stopped)
}

// Field names a client-writable field (its proto name).
type Field string

// The fields a client may write; account_id is set on create only.
const (
	FieldSubject     Field = "subject"
	FieldDescription Field = "description"
	FieldContactID   Field = "contact_id"
	FieldPriority    Field = "priority"
	FieldStatus      Field = "status"
	FieldOwner       Field = "owner"
	// FieldAccountID is set at creation and never changes: an update that
	// names it must leave it as it is (a client may send back what it
	// read), and one that would change it is refused on update_mask.
	FieldAccountID Field = "account_id"
)

// MutableFields are the fields Update changes when no mask is given.
var MutableFields = []Field{FieldSubject, FieldDescription, FieldContactID, FieldPriority, FieldStatus, FieldOwner}

// ReadOnlyFields are fields an update ignores.
var ReadOnlyFields = []string{"id", "account_id", "sla_due_time", "sla_paused_time", "breached", "account_payment_status", "resolve_time",
	"escalation_level", "escalated", "escalate_time", "etag", "create_time", "update_time"}

// FilterFields are the fields ListCases filters on (by equality): open
// (true: neither resolved nor closed), escalated (true: escalation level
// above 0) and account_payment_status (the account's, as joined on every
// read) besides the case's own.
var FilterFields = []string{"status", "priority", "owner", "account_id", "breached", "open", "escalated", "account_payment_status"}

// Input is what a client sends to create or update a case.
type Input struct {
	Subject, Description, AccountID, ContactID, Owner string
	Priority                                          Priority
	Status                                            Status
}

const (
	maxText        = 200
	maxDescription = 10000
)

func (in *Input) validate(fields []Field) error {
	var v errs.Violations
	for _, f := range fields {
		switch f {
		case FieldSubject:
			// Stored trimmed, as names are.
			in.Subject = strings.TrimSpace(in.Subject)
			switch {
			case in.Subject == "":
				v.Add(string(f), "is required")
			case len([]rune(in.Subject)) > maxText:
				v.Add(string(f), "must be at most %d characters", maxText)
			}
		case FieldDescription:
			if len([]rune(in.Description)) > maxDescription {
				v.Add(string(f), "must be at most %d characters", maxDescription)
			}
		case FieldContactID:
			ids.Normalize(&v, string(f), &in.ContactID)
		case FieldPriority:
			if in.Priority != PriorityUnspecified && !in.Priority.Valid() {
				v.Add(string(f), "unknown priority %q", in.Priority)
			}
		case FieldStatus:
			if in.Status != StatusUnspecified && !in.Status.Valid() {
				v.Add(string(f), "unknown status %q", in.Status)
			}
		case FieldOwner:
			// Stored trimmed, as opportunities and leads store theirs, so
			// the owner filter finds the case.
			in.Owner = strings.TrimSpace(in.Owner)
			if len([]rune(in.Owner)) > maxText {
				v.Add(string(f), "must be at most %d characters", maxText)
			}
		}
	}
	return v.Err()
}

// Query selects a page of cases in id order.
type Query struct {
	// Equal maps status, priority, owner, account_id, account_payment_status
	// to stored values, and escalated to "true" or "false".
	Equal map[string]string
	// Breached, when set, keeps only cases whose breach flag at BreachedAt
	// equals it.
	Breached   *bool
	BreachedAt time.Time
	// Open, when set, keeps only cases that are (true) or are not
	// (false) neither resolved nor closed.
	Open *bool
	// Text is a text search as the client sent it: its words, each of
	// MinWord characters or more, must all occur in the subject or the
	// description, case ignored. List splits it into Words.
	Text string
	// Words are the words of Text (none: no text search).
	Words []string
	After string
	Limit int
}

// Bounds of a text search of cases: a word shorter than MinWord
// characters would match nearly every case and cannot use the trigram
// index.
const (
	MinWord   = 3
	MaxWords  = 10
	MaxSearch = 200
)

// parseText splits a text search into its words, naming query when it is
// not one.
func parseText(v *errs.Violations, text string) []string {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return nil
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		v.Add("query", "must be valid text")
		return nil
	case utf8.RuneCountInString(text) > MaxSearch:
		v.Add("query", "must be at most %d characters", MaxSearch)
		return nil
	}
	words := strings.Fields(text)
	if len(words) > MaxWords {
		v.Add("query", "must have at most %d words, got %d", MaxWords, len(words))
		return nil
	}
	for _, w := range words {
		if utf8.RuneCountInString(w) < MinWord {
			v.Add("query", "each word must have at least %d characters, got %q", MinWord, w)
			return nil
		}
	}
	return words
}

// Event is a change to record in the feed.
type Event struct {
	Type    string
	Key     string
	Payload []byte
}

// Change is what a read-modify-write decided.
type Change struct {
	Case      Case
	Event     *Event
	Unchanged bool
}

// ContactAccount reads, in the transaction of a write, the account of a
// contact: "" when the contact does not exist (the write then fails on
// it) or is at no account. The contact is locked against deletion and
// against moving to another account until the write commits.
type ContactAccount func(contactID string) (string, error)

// Store is the persistence cases need. Cases come back with the account's
// payment status joined. An account or contact that does not exist is a
// violation of account_id or contact_id.
type Store interface {
	// CreateCase inserts c and records ev in one transaction, unless check
	// fails on the account of c's contact (read as ContactAccount does;
	// check is not called without a contact). If requestID was used
	// before for method, nothing is written and the case it created is
	// returned.
	CreateCase(ctx context.Context, requestID, method string, c Case, ev Event, check func(contactAccount string) error) (Case, error)
	GetCase(ctx context.Context, id string) (Case, error)
	ListCases(ctx context.Context, q Query) ([]Case, bool, error)
	// UpdateCase locks the case, passes it to fn with the ContactAccount
	// of the transaction and applies the change fn returns.
	UpdateCase(ctx context.Context, id string, fn func(cur Case, contactAccount ContactAccount) (Change, error)) (Case, error)
	// EscalateCase locks the case, passes it to fn and writes the case,
	// the note and the events fn returns (the case's first), in one
	// transaction. If requestID was used before for method on this case,
	// nothing is written and the case is returned as it is now; used for
	// another method or case, or by another request, it is
	// INVALID_ARGUMENT on request_id.
	EscalateCase(ctx context.Context, id, requestID, method string, fn func(cur Case) (Escalation, error)) (Case, error)
	// DeleteCase locks the case and the activities that name it, passes
	// them to fn, writes the activities fn unlinked, deletes the case and
	// records fn's event, in one transaction.
	DeleteCase(ctx context.Context, id string, fn func(cur Case, activities []activity.Activity) (Deletion, error)) error
}

// Escalation is what escalating a case writes: the case at its new level,
// the note recording the reason, and their events.
type Escalation struct {
	Case      Case
	Event     Event
	Note      activity.Activity
	NoteEvent activity.Event
}

// Deletion is what deleting a case writes: the activities that named it,
// without it, and the case's deleted event.
type Deletion struct {
	Activities activity.Unlinked
	Event      Event
}

// Encoder renders a case as an event payload; now sets the breach flag.
type Encoder interface {
	EncodeCase(c Case, now time.Time) ([]byte, error)
}

// Service carries out the case use cases.
type Service struct {
	store      Store
	enc        Encoder
	activities *activity.Service
	now        func() time.Time
}

// NewService returns a Service that unlinks the activities of a deleted
// case and writes the notes of escalations through activities; now is the
// clock (also for breach flags).
func NewService(store Store, enc Encoder, activities *activity.Service, now func() time.Time) *Service {
	return &Service{store: store, enc: enc, activities: activities,
		now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

// Now is the service's clock, for the breach flag of what it returns.
func (s *Service) Now() time.Time { return s.now() }

func (s *Service) event(typ string, c Case, now time.Time) (Event, error) {
	payload, err := s.enc.EncodeCase(c, now)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Type: typ, Key: c.ID, Payload: payload}, nil
}

// Create opens a case with its SLA due time from the priority.
func (s *Service) Create(ctx context.Context, in Input, requestID string) (Case, error) {
	var v errs.Violations
	accountID, err := ids.UUID("account_id", in.AccountID)
	_ = v.Merge("", err)
	in.AccountID = accountID
	if err := v.Merge("", in.validate(MutableFields)); err != nil {
		return Case{}, err
	}
	if err := v.Err(); err != nil {
		return Case{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Case{}, err
	}
	now := s.now()
	c := Case{
		ID: id.String(), Subject: in.Subject, Description: in.Description, AccountID: in.AccountID, ContactID: in.ContactID,
		Priority: in.Priority, Status: in.Status, Owner: in.Owner, Version: 1, CreateTime: now, UpdateTime: now,
	}
	if c.Priority == PriorityUnspecified {
		c.Priority = PriorityNormal
	}
	if c.Status == StatusUnspecified {
		c.Status = StatusNew
	}
	if c.Status.Done() {
		c.ResolveTime = now
	}
	c.SLADueTime = now.Add(SLA(c.Priority))
	c.pauseSLA(StatusUnspecified, time.Time{}, now)
	ev, err := s.event(EventCreated, c, now)
	if err != nil {
		return Case{}, err
	}
	return s.store.CreateCase(ctx, requestID, MethodCreate, c, ev, func(contactAccount string) error {
		return checkContact(c, contactAccount)
	})
}

// checkContact refuses a contact at another account than the case's (one
// at no account may report a case of any account).
func checkContact(c Case, contactAccount string) error {
	if contactAccount != "" && contactAccount != c.AccountID {
		return errs.Invalid(string(FieldContactID), "contact %s is at account %s, not at the case's account %s",
			c.ContactID, contactAccount, c.AccountID)
	}
	return nil
}

// Get returns one case.
func (s *Service) Get(ctx context.Context, id string) (Case, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Case{}, err
	}
	return s.store.GetCase(ctx, id)
}

// List returns a page of cases and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Case, bool, error) {
	var v errs.Violations
	if id, ok := q.Equal["account_id"]; ok {
		c, valid := ids.Canonical(id)
		if !valid {
			v.Add("filter", "account_id "+ids.NotUUID)
		}
		q.Equal["account_id"] = c
	}
	if p, ok := q.Equal["priority"]; ok && !Priority(p).Valid() {
		v.Add("filter", "unknown priority %q", p)
	}
	if st, ok := q.Equal["status"]; ok && !Status(st).Valid() {
		v.Add("filter", "unknown status %q", st)
	}
	if b, ok := q.Equal["breached"]; ok {
		delete(q.Equal, "breached")
		switch b {
		case "true", "false":
			want := b == "true"
			q.Breached, q.BreachedAt = &want, s.now()
		default:
			v.Add("filter", "breached must be true or false, got %q", b)
		}
	}
	q.Words = parseText(&v, q.Text)
	if e, ok := q.Equal["escalated"]; ok && e != "true" && e != "false" {
		v.Add("filter", "escalated must be true or false, got %q", e)
	}
	if o, ok := q.Equal["open"]; ok {
		delete(q.Equal, "open")
		switch o {
		case "true", "false":
			want := o == "true"
			q.Open = &want
		default:
			v.Add("filter", "open must be true or false, got %q", o)
		}
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	return s.store.ListCases(ctx, q)
}

// Update changes the given fields. A closed case cannot change; a priority
// change moves the SLA due time (from the creation time).
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string) (Case, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Case{}, err
	}
	if err := in.validate(fields); err != nil {
		return Case{}, err
	}
	return s.store.UpdateCase(ctx, id, func(cur Case, contactAccount ContactAccount) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "case "+id); err != nil {
			return Change{}, err
		}
		now := s.now()
		n := cur
		for _, f := range fields {
			switch f {
			case FieldAccountID:
				if named, _ := ids.Canonical(in.AccountID); named != cur.AccountID {
					return Change{}, errs.Invalid("update_mask",
						"names account_id, which is set at creation and cannot change (case %s is at account %s); "+
							"leave it out, or open the case at the other account", cur.ID, cur.AccountID)
				}
			case FieldSubject:
				n.Subject = in.Subject
			case FieldDescription:
				n.Description = in.Description
			case FieldContactID:
				n.ContactID = in.ContactID
			case FieldOwner:
				n.Owner = in.Owner
			case FieldPriority:
				if in.Priority != PriorityUnspecified {
					n.Priority = in.Priority
					n.SLADueTime = n.CreateTime.Add(SLA(n.Priority) + n.SLAPausedFor)
				}
			case FieldStatus:
				if in.Status != StatusUnspecified {
					n.Status = in.Status
				}
			}
		}
		if cur.Status == StatusClosed {
			// Sending back what was read (or nothing) changes nothing
			// and answers the case; a change is refused.
			if sameFields(n, cur) {
				return Change{Unchanged: true}, nil
			}
			return Change{}, errs.FailedPreconditionf("case %s is closed", id)
		}
		if n.ContactID != cur.ContactID && n.ContactID != "" {
			acc, err := contactAccount(n.ContactID)
			if err != nil {
				return Change{}, err
			}
			if err := checkContact(n, acc); err != nil {
				return Change{}, err
			}
		}
		n.pauseSLA(cur.Status, cur.ResolveTime, now)
		switch {
		case n.Status.Done() && !cur.Status.Done():
			n.ResolveTime = now
		case !n.Status.Done():
			n.ResolveTime = time.Time{}
		}
		if sameFields(n, cur) {
			return Change{Unchanged: true}, nil
		}
		n.Version++
		n.UpdateTime = now
		ev, err := s.event(EventUpdated, n, now)
		if err != nil {
			return Change{}, err
		}
		return Change{Case: n, Event: &ev}, nil
	})
}

// EscalateInput is what :escalate sends.
type EscalateInput struct {
	// Reason is required: why the case goes up a line. It is recorded as
	// a note on the case (an activity of type NOTE), which shows in the
	// case's history and the account's overview.
	Reason string
	// Owner, when not blank, hands the case to that agent of the next
	// line; blank keeps the owner.
	Owner string
	// Author is who escalates: the note's owner.
	Author    string
	Etag      string
	RequestID string
}

// Escalate hands a case one line up: its escalation level rises by one
// (to at most MaxEscalationLevel), escalate_time is now, the owner is
// the one given (if any), and the reason is recorded as a NOTE activity
// on the case, in one transaction with the case.escalated and
// activity.created events. A closed case, or one at MaxEscalationLevel,
// is FAILED_PRECONDITION; a non-empty etag must match. Escalating is no
// status change: the SLA clock goes on as it was, and a resolved case
// may be escalated (the customer disputes the resolution) without being
// reopened.
func (s *Service) Escalate(ctx context.Context, id string, in EscalateInput) (Case, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Case{}, err
	}
	var v errs.Violations
	in.Reason = strings.TrimSpace(in.Reason)
	switch {
	case in.Reason == "":
		v.Add("reason", "is required: say why the case goes up a line")
	case utf8.RuneCountInString(in.Reason) > maxDescription:
		v.Add("reason", "must be at most %d characters", maxDescription)
	}
	in.Owner = strings.TrimSpace(in.Owner)
	if utf8.RuneCountInString(in.Owner) > maxText {
		v.Add("owner", "must be at most %d characters", maxText)
	}
	if err := v.Err(); err != nil {
		return Case{}, err
	}
	noteID, err := uuid.NewV7()
	if err != nil {
		return Case{}, err
	}
	return s.store.EscalateCase(ctx, id, in.RequestID, MethodEscalate, func(cur Case) (Escalation, error) {
		if err := errs.CheckEtag(in.Etag, cur.ETag(), "case "+id); err != nil {
			return Escalation{}, err
		}
		if cur.Status == StatusClosed {
			return Escalation{}, errs.FailedPreconditionf("case %s is closed and cannot be escalated; open a new case", id)
		}
		if cur.EscalationLevel >= MaxEscalationLevel {
			return Escalation{}, errs.FailedPreconditionf("case %s is at the highest escalation level (%d) already", id, MaxEscalationLevel)
		}
		now := s.now()
		n := cur
		n.EscalationLevel++
		n.EscalateTime = now
		if in.Owner != "" {
			n.Owner = in.Owner
		}
		n.Version++
		n.UpdateTime = now
		ev, err := s.event(EventEscalated, n, now)
		if err != nil {
			return Escalation{}, err
		}
		subject := fmt.Sprintf("Escalated to level %d", n.EscalationLevel)
		if n.Owner != cur.Owner {
			subject += ", to " + n.Owner
		}
		if utf8.RuneCountInString(subject) > maxText {
			subject = string([]rune(subject)[:maxText])
		}
		note := activity.Activity{
			ID: noteID.String(), Type: activity.TypeNote, Subject: subject, Description: in.Reason,
			AccountID: cur.AccountID, CaseID: cur.ID, Owner: in.Author,
			ActivityTime: now, Version: 1, CreateTime: now, UpdateTime: now,
		}
		noteEv, err := s.activities.Created(note)
		if err != nil {
			return Escalation{}, err
		}
		return Escalation{Case: n, Event: ev, Note: note, NoteEvent: noteEv}, nil
	})
}

// sameFields reports whether a and b agree in every field a client writes.
func sameFields(a, b Case) bool {
	return a.Subject == b.Subject && a.Description == b.Description && a.ContactID == b.ContactID &&
		a.Owner == b.Owner && a.Priority == b.Priority && a.Status == b.Status
}

// UnlinkContact returns the cases of list without their contact, which is
// being deleted, each as an update of its own: at the next version and
// update time, with its updated event. The deletion's transaction writes
// them.
func (s *Service) UnlinkContact(list []Case) ([]Case, []Event, error) {
	now := s.now()
	out, events := make([]Case, 0, len(list)), make([]Event, 0, len(list))
	for _, c := range list {
		c.ContactID = ""
		c.Version++
		c.UpdateTime = now
		ev, err := s.event(EventUpdated, c, now)
		if err != nil {
			return nil, nil, err
		}
		out, events = append(out, c), append(events, ev)
	}
	return out, events, nil
}

// Delete removes a case; a non-empty etag must match. A closed case is
// the record of what the customer was told and stays
// (FAILED_PRECONDITION) unless closedToo is set (for admins, who may
// remove one, e.g. entered by mistake or to erase a person's data). The
// activities that name it (its calls, notes and tasks) lose it, each as
// an update of its own, and stay with the account.
func (s *Service) Delete(ctx context.Context, id, etag string, closedToo bool) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteCase(ctx, id, func(cur Case, activities []activity.Activity) (Deletion, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "case "+id); err != nil {
			return Deletion{}, err
		}
		if cur.Status == StatusClosed && !closedToo {
			return Deletion{}, errs.FailedPreconditionf("case %s is closed and is kept as the record of the service given; only an admin may delete it", id)
		}
		var d Deletion
		var err error
		if d.Activities, err = s.activities.UnlinkAll(activities, activity.FieldCaseID); err != nil {
			return Deletion{}, err
		}
		now := s.now()
		gone := cur
		gone.Version++
		gone.UpdateTime = now
		if d.Event, err = s.event(EventDeleted, gone, now); err != nil {
			return Deletion{}, err
		}
		return d, nil
	})
}
