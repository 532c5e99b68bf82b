// Package activity holds logged calls, emails and meetings, and tasks with
// due times: their validation, the open/overdue task query, and the
// storage they need.
package activity

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// Type says what an activity is; the values are the stored form.
type Type string

// The types.
const (
	TypeUnspecified Type = ""
	TypeCall        Type = "call"
	TypeEmail       Type = "email"
	TypeMeeting     Type = "meeting"
	TypeTask        Type = "task"
	// TypeNote is a written remark, such as an agent's comment on a case.
	TypeNote Type = "note"
)

// Valid reports whether t is one of the types.
func (t Type) Valid() bool {
	switch t {
	case TypeCall, TypeEmail, TypeMeeting, TypeTask, TypeNote:
		return true
	}
	return false
}

// Event types of activities.
const (
	EventCreated = "activity.created"
	// EventReminderDue is recorded once when an open task's reminder time
	// has come (again after the reminder is moved), for another system to
	// send the reminder; the payload is the task.
	EventReminderDue = "activity.reminder_due"
	EventUpdated     = "activity.updated"
	EventDeleted     = "activity.deleted"
)

// MethodCreate is the idempotency method name of a create.
const MethodCreate = "CreateActivity"

// Activity is a logged call, email or meeting, or a task.
type Activity struct {
	ID            string
	Type          Type
	Subject       string
	Description   string
	AccountID     string
	ContactID     string
	OpportunityID string
	CaseID        string
	// LeadID is the lead the activity was with; conversion keeps it on
	// the activities it moves to the lead's contact and account.
	LeadID string
	Owner  string
	// ActivityTime is when a logged activity happened (zero for tasks).
	ActivityTime time.Time
	// Tasks only; zero when unset.
	DueTime      time.Time
	ReminderTime time.Time
	Done         bool
	DoneTime     time.Time
	Version      int64
	CreateTime   time.Time
	UpdateTime   time.Time
}

// ETag is the activity's current etag.
func (a Activity) ETag() string { return strconv.FormatInt(a.Version, 10) }

// Field names a client-writable field (its proto name).
type Field string

// The fields a client may write; the type is set on create only.
const (
	// FieldType is set at creation and never changes: an update that
	// names it must leave it as it is, and one that would change it is
	// refused on update_mask.
	FieldType          Field = "type"
	FieldSubject       Field = "subject"
	FieldDescription   Field = "description"
	FieldAccountID     Field = "account_id"
	FieldContactID     Field = "contact_id"
	FieldOpportunityID Field = "opportunity_id"
	FieldCaseID        Field = "case_id"
	FieldLeadID        Field = "lead_id"
	FieldOwner         Field = "owner"
	FieldActivityTime  Field = "activity_time"
	FieldDueTime       Field = "due_time"
	FieldReminderTime  Field = "reminder_time"
	FieldDone          Field = "done"
)

// MutableFields are the fields Update changes when no mask is given.
var MutableFields = []Field{FieldSubject, FieldDescription, FieldAccountID, FieldContactID, FieldOpportunityID,
	FieldCaseID, FieldLeadID, FieldOwner, FieldActivityTime, FieldDueTime, FieldReminderTime, FieldDone}

// ReadOnlyFields are fields an update ignores.
var ReadOnlyFields = []string{"id", "type", "done_time", "etag", "create_time", "update_time"}

// FilterFields are the fields ListActivities filters on by equality.
var FilterFields = []string{"type", "owner", "done", "account_id", "contact_id", "opportunity_id", "case_id", "lead_id"}

// linkFields are the FilterFields that hold UUIDs.
var linkFields = []string{"account_id", "contact_id", "opportunity_id", "case_id", "lead_id"}

// RangeFields are the fields ListActivities filters on with <, <=, > and
// >=.
var RangeFields = []string{"due_time"}

// Input is what a client sends to create or update an activity.
type Input struct {
	Type                                                                             Type
	Subject, Description, AccountID, ContactID, OpportunityID, CaseID, LeadID, Owner string
	ActivityTime, DueTime, ReminderTime                                              time.Time
	Done                                                                             bool
}

const (
	maxText        = 200
	maxDescription = 10000
)

// apply validates the named fields of in and writes them onto a, then
// checks the rules that tie fields together against a's type and creation
// time. Violations name the fields.
func apply(a *Activity, in Input, fields []Field, now time.Time) error {
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
			a.Subject = in.Subject
		case FieldDescription:
			if len([]rune(in.Description)) > maxDescription {
				v.Add(string(f), "must be at most %d characters", maxDescription)
			}
			a.Description = in.Description
		case FieldAccountID:
			ids.Normalize(&v, string(f), &in.AccountID)
			a.AccountID = in.AccountID
		case FieldContactID:
			ids.Normalize(&v, string(f), &in.ContactID)
			a.ContactID = in.ContactID
		case FieldOpportunityID:
			ids.Normalize(&v, string(f), &in.OpportunityID)
			a.OpportunityID = in.OpportunityID
		case FieldCaseID:
			ids.Normalize(&v, string(f), &in.CaseID)
			a.CaseID = in.CaseID
		case FieldLeadID:
			ids.Normalize(&v, string(f), &in.LeadID)
			a.LeadID = in.LeadID
		case FieldOwner:
			// Stored trimmed, as opportunities and leads store theirs, so
			// the owner filter finds the activity.
			in.Owner = strings.TrimSpace(in.Owner)
			if len([]rune(in.Owner)) > maxText {
				v.Add(string(f), "must be at most %d characters", maxText)
			}
			a.Owner = in.Owner
		case FieldActivityTime:
			a.ActivityTime = in.ActivityTime
		case FieldDueTime:
			a.DueTime = in.DueTime
		case FieldReminderTime:
			a.ReminderTime = in.ReminderTime
		case FieldDone:
			if in.Done && !a.Done {
				a.DoneTime = now
			}
			if !in.Done {
				a.DoneTime = time.Time{}
			}
			a.Done = in.Done
		}
	}
	if a.Type == TypeTask {
		if !a.ActivityTime.IsZero() {
			v.Add(string(FieldActivityTime), "is for calls, emails and meetings; a task has due_time")
		}
		if !a.DueTime.IsZero() && a.DueTime.Before(a.CreateTime) {
			v.Add(string(FieldDueTime), "%s is before the task was created (%s)", a.DueTime.Format(time.RFC3339), a.CreateTime.Format(time.RFC3339))
		}
		if !a.ReminderTime.IsZero() && !a.DueTime.IsZero() && a.ReminderTime.After(a.DueTime) {
			v.Add(string(FieldReminderTime), "must not be after due_time")
		}
		// A reminder is for the task's due time. Clearing the due time
		// clears the reminder with it, unless the same write sets a
		// reminder, which needs a due time. (Only written fields are
		// checked, so a task stored with a reminder and no due time
		// before this rule can still be edited otherwise.)
		if a.DueTime.IsZero() && !a.ReminderTime.IsZero() {
			wroteDue, wroteReminder := slices.Contains(fields, FieldDueTime), slices.Contains(fields, FieldReminderTime)
			switch {
			case wroteDue && !wroteReminder:
				a.ReminderTime = time.Time{}
			case wroteReminder:
				v.Add(string(FieldReminderTime), "needs due_time: a reminder is for the task's due time")
			}
		}
	} else {
		if !a.DueTime.IsZero() {
			v.Add(string(FieldDueTime), "is for tasks only")
		}
		if !a.ReminderTime.IsZero() {
			v.Add(string(FieldReminderTime), "is for tasks only")
		}
		if a.Done {
			v.Add(string(FieldDone), "is for tasks only")
		}
	}
	return v.Err()
}

// Range is a `field < value`, `<=`, `>` or `>=` filter term: Op is one
// of "<", "<=", ">", ">=". A lower and an upper bound together select a
// window, such as the tasks due this week.
type Range struct {
	Field string
	Op    string
	At    time.Time
}

// Query selects a page of activities in id (creation) order.
type Query struct {
	// Equal maps FilterFields to values in stored form ("task", "true").
	Equal  map[string]string
	Ranges []Range
	After  string
	Limit  int
}

// Event is a change to record in the feed.
type Event struct {
	Type    string
	Key     string
	Payload []byte
}

// Change is what a read-modify-write decided.
type Change struct {
	Activity  Activity
	Event     *Event
	Unchanged bool
}

// LinkAccounts are the accounts an activity's opportunity, case and
// contact belong to, as a write's transaction read them: "" when there is
// no such link or record (the write then fails on the link), and for a
// contact at no account.
type LinkAccounts struct {
	Opportunity string
	Case        string
	Contact     string
	// Lead is what the transaction read of LinkIDs.Lead.
	Lead LeadState
}

// LeadState is what a write's transaction read of the lead an activity
// names.
type LeadState struct {
	// Found says the lead exists; it is locked against deletion,
	// conversion and merging until the write commits.
	Found bool
	// Converted says the lead is converted, into ConvertedAccountID and
	// ConvertedContactID ("" when those were deleted since).
	Converted                              bool
	ConvertedAccountID, ConvertedContactID string
	// MergedInto is, for a lead not found, the lead it was merged into.
	MergedInto string
}

// LinkIDs are the linked records whose accounts a write reads, and the
// lead whose state it reads.
type LinkIDs struct {
	Opportunity, Case, Contact string
	Lead                       string
}

// linkIDs are a's links whose accounts its writes check.
func (a Activity) linkIDs() LinkIDs {
	return LinkIDs{Opportunity: a.OpportunityID, Case: a.CaseID, Contact: a.ContactID}
}

// Links reads, in the transaction of a write, the accounts of an
// opportunity, a case and a contact ("" for none), locking them against
// deletion and the contact against moving to another account until the
// write commits, and the state of a lead, locked against deletion,
// conversion and merging.
type Links func(LinkIDs) (LinkAccounts, error)

// Store is the persistence activities need. Links to an account, contact,
// opportunity, case or lead that does not exist are violations of
// account_id, contact_id, opportunity_id, case_id or lead_id.
type Store interface {
	// CreateActivity reads the accounts of the records of links (as Links
	// does), passes them to build and inserts the activity build returns
	// with its event, in one transaction. If requestID was used before
	// for method, nothing is written and the activity it created is
	// returned.
	CreateActivity(ctx context.Context, requestID, method string, links LinkIDs, build func(LinkAccounts) (Activity, Event, error)) (Activity, error)
	GetActivity(ctx context.Context, id string) (Activity, error)
	ListActivities(ctx context.Context, q Query) ([]Activity, bool, error)
	// UpdateActivity locks the activity, passes it to fn with the Links
	// of the transaction and applies the change fn returns.
	UpdateActivity(ctx context.Context, id string, fn func(cur Activity, links Links) (Change, error)) (Activity, error)
	DeleteActivity(ctx context.Context, id string, fn func(cur Activity) (Event, error)) error
	// RemindDue takes up to limit open tasks whose reminder time is at or
	// before now and whose reminder has not been recorded, and in one
	// transaction marks each reminded, bumps its version, sets its
	// update time to now and records the event fn makes of the result.
	// It returns how many it took; tasks other callers hold are skipped.
	RemindDue(ctx context.Context, now time.Time, limit int, fn func(Activity) (Event, error)) (int, error)
}

// Encoder renders an activity as an event payload.
type Encoder interface {
	EncodeActivity(Activity) ([]byte, error)
}

// Service carries out the activity use cases.
type Service struct {
	store Store
	enc   Encoder
	now   func() time.Time
}

// NewService returns a Service; now is the clock.
func NewService(store Store, enc Encoder, now func() time.Time) *Service {
	return &Service{store: store, enc: enc, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func (s *Service) event(typ string, a Activity) (Event, error) {
	payload, err := s.enc.EncodeActivity(a)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Type: typ, Key: a.ID, Payload: payload}, nil
}

// Create logs an activity or creates a task. One linked to an opportunity
// and to no account is linked to the opportunity's account.
func (s *Service) Create(ctx context.Context, in Input, requestID string) (Activity, error) {
	now := s.now()
	a := Activity{Type: in.Type, Version: 1, CreateTime: now, UpdateTime: now}
	var v errs.Violations
	if !in.Type.Valid() {
		v.Add("type", "is required (an ActivityType other than UNSPECIFIED)")
		a.Type = TypeCall // check the other fields as a logged activity
	}
	if err := v.Merge("", apply(&a, in, MutableFields, now)); err != nil {
		return Activity{}, err
	}
	if err := v.Err(); err != nil {
		return Activity{}, err
	}
	if a.Type != TypeTask && a.ActivityTime.IsZero() {
		a.ActivityTime = now
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Activity{}, err
	}
	a.ID = id.String()
	links := a.linkIDs()
	links.Lead = a.LeadID
	return s.store.CreateActivity(ctx, requestID, MethodCreate, links, func(acc LinkAccounts) (Activity, Event, error) {
		linked := a
		if err := link(&linked, acc, func(Field) bool { return true }); err != nil {
			return Activity{}, Event{}, err
		}
		if err := checkLead(linked, acc.Lead); err != nil {
			return Activity{}, Event{}, err
		}
		ev, err := s.event(EventCreated, linked)
		if err != nil {
			return Activity{}, Event{}, err
		}
		return linked, ev, nil
	})
}

// link derives and checks a's account from the accounts of its links: an
// activity with an opportunity or a case and no account takes the
// opportunity's (else the case's) account; an account other than the
// opportunity's or the case's, or a contact at another account than the
// activity's, is a violation. It names the field the request wrote
// (written): account_id for an account and opportunity (or case) that
// disagree, case_id for a case at another account than the opportunity
// the account came from, contact_id for a contact at another account,
// else the other link the request changed.
func link(a *Activity, acc LinkAccounts, written func(Field) bool) error {
	pick := func(fields ...Field) string {
		for _, f := range fields {
			if written(f) {
				return string(f)
			}
		}
		return string(fields[len(fields)-1])
	}
	// fromOpportunity: the account was taken from the opportunity, so a
	// case at another account disagrees with the opportunity.
	fromOpportunity := false
	for _, l := range []struct {
		field     Field
		what, id  string
		accountID string
	}{
		{FieldOpportunityID, "opportunity", a.OpportunityID, acc.Opportunity},
		{FieldCaseID, "case", a.CaseID, acc.Case},
	} {
		switch {
		case l.accountID == "":
		case a.AccountID == "":
			a.AccountID = l.accountID
			fromOpportunity = l.field == FieldOpportunityID
		case a.AccountID != l.accountID && fromOpportunity:
			return errs.Invalid(pick(FieldCaseID, FieldOpportunityID), "case %s is at account %s, not at the account of opportunity %s (%s)",
				a.CaseID, l.accountID, a.OpportunityID, a.AccountID)
		case a.AccountID != l.accountID:
			return errs.Invalid(pick(FieldAccountID, l.field),
				"account %s is not the account of %s %s (%s); leave account_id empty to take the %s's",
				a.AccountID, l.what, l.id, l.accountID, l.what)
		}
	}
	if acc.Contact != "" && a.AccountID != "" && acc.Contact != a.AccountID {
		return errs.Invalid(pick(FieldContactID, FieldAccountID, FieldOpportunityID, FieldCaseID),
			"contact %s is at account %s, not at the activity's account %s", a.ContactID, acc.Contact, a.AccountID)
	}
	return nil
}

// checkLead checks the lead a names (none is fine), as the write's
// transaction read it (st): it must exist and not be converted, for a
// converted lead's history continues at its contact and account.
func checkLead(a Activity, st LeadState) error {
	switch {
	case a.LeadID == "":
		return nil
	case !st.Found && st.MergedInto != "":
		return errs.Invalid(string(FieldLeadID), "lead %q not found: it was merged into lead %q", a.LeadID, st.MergedInto)
	case !st.Found:
		return errs.Invalid(string(FieldLeadID), "lead %q not found", a.LeadID)
	case st.Converted:
		return errs.FailedPreconditionf("lead %s is converted (into account %q, contact %q); link the activity to them instead of the lead",
			a.LeadID, st.ConvertedAccountID, st.ConvertedContactID)
	}
	return nil
}

// Get returns one activity.
func (s *Service) Get(ctx context.Context, id string) (Activity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Activity{}, err
	}
	return s.store.GetActivity(ctx, id)
}

// List returns a page of activities and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Activity, bool, error) {
	var v errs.Violations
	for _, f := range linkFields {
		if id, ok := q.Equal[f]; ok {
			c, valid := ids.Canonical(id)
			if !valid {
				v.Add("filter", "%s %s", f, ids.NotUUID)
			}
			q.Equal[f] = c
		}
	}
	if t, ok := q.Equal["type"]; ok && !Type(t).Valid() {
		v.Add("filter", "unknown activity type %q", t)
	}
	if d, ok := q.Equal["done"]; ok && d != "true" && d != "false" {
		v.Add("filter", "done must be true or false, got %q", d)
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	return s.store.ListActivities(ctx, q)
}

// Update changes the given fields; a non-empty etag must match. An update
// that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string) (Activity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Activity{}, err
	}
	// Field values are checked before the read, so bad input costs no lock.
	probe := Activity{Type: TypeTask}
	if err := apply(&probe, in, fields, time.Time{}); err != nil {
		// Rules tied to the stored type are checked below; only plain
		// field errors stop here.
		if !onlyCrossFieldErrors(err) {
			return Activity{}, err
		}
	}
	return s.store.UpdateActivity(ctx, id, func(cur Activity, links Links) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "activity "+id); err != nil {
			return Change{}, err
		}
		if slices.Contains(fields, FieldType) && in.Type != cur.Type {
			return Change{}, errs.Invalid("update_mask",
				"names type, which is set at creation and cannot change (activity %s is a %s); leave it out, or create a new activity",
				cur.ID, strings.ToLower(string(cur.Type)))
		}
		now := s.now()
		next := cur
		if err := apply(&next, in, fields, now); err != nil {
			return Change{}, err
		}
		// Links are checked when they change: a contact that moved to
		// another account since does not block other edits, nor does the
		// lead of an activity its conversion moved.
		accountLinks := next.AccountID != cur.AccountID || next.ContactID != cur.ContactID ||
			next.OpportunityID != cur.OpportunityID || next.CaseID != cur.CaseID
		leadLink := next.LeadID != cur.LeadID && next.LeadID != ""
		if accountLinks || leadLink {
			var read LinkIDs
			if accountLinks {
				read = next.linkIDs()
			}
			if leadLink {
				read.Lead = next.LeadID
			}
			acc, err := links(read)
			if err != nil {
				return Change{}, err
			}
			if accountLinks {
				if err := link(&next, acc, func(f Field) bool { return slices.Contains(fields, f) }); err != nil {
					return Change{}, err
				}
			}
			if leadLink {
				if err := checkLead(next, acc.Lead); err != nil {
					return Change{}, err
				}
			}
		}
		if same(next, cur) {
			return Change{Unchanged: true}, nil
		}
		next.Version++
		next.UpdateTime = now
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Activity: next, Event: &ev}, nil
	})
}

// same reports whether two states differ in nothing a client writes.
func same(a, b Activity) bool {
	return a.Subject == b.Subject && a.Description == b.Description && a.AccountID == b.AccountID &&
		a.ContactID == b.ContactID && a.OpportunityID == b.OpportunityID && a.CaseID == b.CaseID && a.LeadID == b.LeadID && a.Owner == b.Owner &&
		a.ActivityTime.Equal(b.ActivityTime) && a.DueTime.Equal(b.DueTime) && a.ReminderTime.Equal(b.ReminderTime) &&
		a.Done == b.Done
}

// onlyCrossFieldErrors reports whether every violation of err concerns the
// time fields, whose validity depends on the stored activity.
func onlyCrossFieldErrors(err error) bool {
	var e *errs.Error
	if !errors.As(err, &e) {
		return false
	}
	for _, v := range e.Violations {
		switch Field(v.Field) {
		case FieldActivityTime, FieldDueTime, FieldReminderTime, FieldDone:
		default:
			return false
		}
	}
	return true
}

// Delete removes an activity; a non-empty etag must match.
func (s *Service) Delete(ctx context.Context, id, etag string) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteActivity(ctx, id, func(cur Activity) (Event, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "activity "+id); err != nil {
			return Event{}, err
		}
		gone := cur
		gone.Version++
		gone.UpdateTime = s.now()
		return s.event(EventDeleted, gone)
	})
}

// Unlink returns a without its link in field (FieldAccountID,
// FieldContactID, FieldOpportunityID, FieldCaseID or FieldLeadID), whose record is being deleted, as
// an update of its own: at the next version and update time, with its
// updated event. The deletion's transaction writes it.
func (s *Service) Unlink(a Activity, field Field) (Activity, Event, error) {
	switch field {
	case FieldAccountID:
		a.AccountID = ""
	case FieldContactID:
		a.ContactID = ""
	case FieldOpportunityID:
		a.OpportunityID = ""
	case FieldCaseID:
		a.CaseID = ""
	case FieldLeadID:
		a.LeadID = ""
	default:
		return Activity{}, Event{}, fmt.Errorf("unlink activity %s: %s is no link", a.ID, field)
	}
	a.Version++
	a.UpdateTime = s.now()
	ev, err := s.event(EventUpdated, a)
	if err != nil {
		return Activity{}, Event{}, err
	}
	return a, ev, nil
}

// Created returns the activity.created event of a, an activity another
// write creates in its transaction (the note of a case's escalation).
func (s *Service) Created(a Activity) (Event, error) { return s.event(EventCreated, a) }

// Unlinked is what deleting a record an activity names writes to the
// activities: each without its link, at its next version, with its
// updated event (see Unlink).
type Unlinked struct {
	Activities []Activity
	Events     []Event
}

// UnlinkAll unlinks each of list from the record of field (see Unlink).
// Other writes that change activities' links as updates of their own (a
// lead's conversion or merge) return an Unlinked as well.
func (s *Service) UnlinkAll(list []Activity, field Field) (Unlinked, error) {
	var u Unlinked
	for _, a := range list {
		next, ev, err := s.Unlink(a, field)
		if err != nil {
			return Unlinked{}, err
		}
		u.Activities = append(u.Activities, next)
		u.Events = append(u.Events, ev)
	}
	return u, nil
}

// Conversion is what a lead was converted into: its account and contact
// (and the account the contact is at, "" for none), and the opportunity
// the conversion created ("" for none).
type Conversion struct {
	AccountID, ContactID, ContactAccountID, OpportunityID string
}

// ConvertLead moves the activities of a lead being converted (list, those
// with its lead_id) to what it became, each as an update of its own (see
// Unlink), keeping lead_id so the lead's history stays listed under it.
// An activity at no account or at c's, with no contact or c's contact,
// takes c's account, c's contact (unless that contact is at another
// account) and, when it names no opportunity, c's opportunity. One that
// names another account or contact keeps its links, which the rules of
// links would not let it combine with c's. Activities left as they were
// are not in the result.
func (s *Service) ConvertLead(list []Activity, c Conversion) (Unlinked, error) {
	contactFits := c.ContactAccountID == "" || c.ContactAccountID == c.AccountID
	return s.rewrite(list, func(a *Activity) {
		if (a.AccountID != "" && a.AccountID != c.AccountID) || (a.ContactID != "" && a.ContactID != c.ContactID) ||
			(a.ContactID != "" && !contactFits) {
			return
		}
		a.AccountID = c.AccountID
		if a.ContactID == "" && contactFits {
			a.ContactID = c.ContactID
		}
		if a.OpportunityID == "" {
			a.OpportunityID = c.OpportunityID
		}
	})
}

// MergeLead moves the activities of a duplicate lead being merged (list)
// to the kept lead keptID, each as an update of its own (see Unlink).
func (s *Service) MergeLead(list []Activity, keptID string) (Unlinked, error) {
	return s.rewrite(list, func(a *Activity) { a.LeadID = keptID })
}

// rewrite applies change to each of list and returns those it changed at
// their next version and update time, with their updated events.
func (s *Service) rewrite(list []Activity, change func(*Activity)) (Unlinked, error) {
	var u Unlinked
	if len(list) == 0 {
		return u, nil
	}
	now := s.now()
	for _, a := range list {
		next := a
		change(&next)
		if same(next, a) {
			continue
		}
		next.Version++
		next.UpdateTime = now
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Unlinked{}, err
		}
		u.Activities = append(u.Activities, next)
		u.Events = append(u.Events, ev)
	}
	return u, nil
}

// reminderBatch is how many reminders one transaction records.
const reminderBatch = 500

// RecordDueReminders records an activity.reminder_due event for every open
// task whose reminder time has come, in batches; it returns how many.
func (s *Service) RecordDueReminders(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := s.store.RemindDue(ctx, s.now(), reminderBatch, func(a Activity) (Event, error) {
			return s.event(EventReminderDue, a)
		})
		total += n
		if err != nil || n < reminderBatch {
			return total, err
		}
	}
}

// RunReminders records due reminders every interval until ctx ends,
// logging failures (the next pass retries them). An interval of 0 records
// none.
func (s *Service) RunReminders(ctx context.Context, interval time.Duration, logger *slog.Logger) {
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if n, err := s.RecordDueReminders(ctx); err != nil && ctx.Err() == nil {
			logger.Error("recording due reminders", "err", err)
		} else if n > 0 {
			logger.Info("recorded due reminders", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
