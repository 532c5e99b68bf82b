package campaign

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// Event types of campaign members.
const (
	MemberEventCreated = "campaign_member.created"
	MemberEventUpdated = "campaign_member.updated"
	MemberEventDeleted = "campaign_member.deleted"
)

// MethodCreateMember is the idempotency method name of adding a member.
const MethodCreateMember = "CreateCampaignMember"

// MemberStatus is how far a member got with the campaign.
type MemberStatus string

// Member statuses, as stored.
const (
	MemberStatusUnspecified MemberStatus = ""
	// MemberStatusSent: the campaign reached the member (the default).
	MemberStatusSent MemberStatus = "sent"
	// MemberStatusResponded: the member responded; RespondTime says when.
	MemberStatusResponded MemberStatus = "responded"
)

// Member is a contact or a lead (exactly one) a campaign reached.
type Member struct {
	ID         string
	CampaignID string
	ContactID  string // empty for a lead
	LeadID     string // empty for a contact
	Status     MemberStatus
	// RespondTime is when the member became RESPONDED; zero otherwise.
	RespondTime time.Time
	Version     int64
	CreateTime  time.Time
	UpdateTime  time.Time
}

// ETag is the member's current etag.
func (m Member) ETag() string { return strconv.FormatInt(m.Version, 10) }

// MemberInput is what a client sends to add or update a member.
type MemberInput struct {
	ContactID, LeadID string
	Status            MemberStatus
}

// MemberFilterFields are the fields ListCampaignMembers filters on.
var MemberFilterFields = []string{"status", "contact_id", "lead_id"}

// MemberMutableFields are the fields UpdateMember may change.
var MemberMutableFields = []string{"status"}

// MemberReadOnlyFields are fields of a member a client can never write by
// update (contact_id and lead_id are set on create only).
var MemberReadOnlyFields = []string{"id", "campaign_id", "contact_id", "lead_id", "respond_time", "etag", "create_time", "update_time"}

// MemberQuery selects a page of a campaign's members in id (creation)
// order.
type MemberQuery struct {
	CampaignID string
	Equal      map[string]string
	After      string
	Limit      int
}

// MemberChange is what a read-modify-write of a member decided.
type MemberChange struct {
	Member    Member
	Event     *Event
	Unchanged bool
}

// MemberStore is the persistence campaign members need.
type MemberStore interface {
	// CreateCampaignMember inserts m with ev (and requestID for method) in
	// one transaction; a requestID used before for method returns the
	// member it created. An unknown campaign is NOT_FOUND, an unknown
	// contact or lead INVALID_ARGUMENT naming contact_id or lead_id; a
	// contact or lead already a member is ALREADY_EXISTS; a converted lead
	// is FAILED_PRECONDITION (its contact is the member to add), also when
	// the conversion commits while m is being added.
	CreateCampaignMember(ctx context.Context, requestID, method string, m Member, ev Event) (Member, error)
	// ListCampaignMembers pages through a campaign's members; NOT_FOUND
	// when the campaign does not exist.
	ListCampaignMembers(ctx context.Context, q MemberQuery) ([]Member, bool, error)
	// UpdateCampaignMember locks the member, passes it to fn and applies
	// the change, in one transaction.
	UpdateCampaignMember(ctx context.Context, campaignID, id string, fn func(cur Member) (MemberChange, error)) (Member, error)
	// DeleteCampaignMember locks the member and deletes it with the event
	// fn returns.
	DeleteCampaignMember(ctx context.Context, campaignID, id string, fn func(cur Member) (Event, error)) error
}

// MemberEncoder renders a member as an event payload.
type MemberEncoder interface {
	EncodeCampaignMember(Member) ([]byte, error)
}

// Members carries out the campaign member use cases.
type Members struct {
	store MemberStore
	enc   MemberEncoder
	now   func() time.Time
}

// NewMembers returns a Members; now is the clock.
func NewMembers(store MemberStore, enc MemberEncoder, now func() time.Time) *Members {
	return &Members{store: store, enc: enc, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func (s *Members) event(typ string, m Member) (Event, error) {
	payload, err := s.enc.EncodeCampaignMember(m)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Type: typ, Key: m.ID, Payload: payload}, nil
}

// setStatus sets m's status at now, with its respond time.
func (m *Member) setStatus(st MemberStatus, now time.Time) {
	if st == m.Status {
		return
	}
	m.Status = st
	m.RespondTime = time.Time{}
	if st == MemberStatusResponded {
		m.RespondTime = now
	}
}

// Create adds a contact or a lead (exactly one) to a campaign.
func (s *Members) Create(ctx context.Context, campaignID string, in MemberInput, requestID string) (Member, error) {
	campaignID, err := ids.UUID("campaign_id", campaignID)
	if err != nil {
		return Member{}, err
	}
	var v errs.Violations
	var m Member
	switch {
	case in.ContactID == "" && in.LeadID == "":
		v.Add("contact_id", "one of contact_id and lead_id is required")
	case in.ContactID != "" && in.LeadID != "":
		v.Add("lead_id", "must be empty when contact_id is set: a member is a contact or a lead")
	case in.ContactID != "":
		if m.ContactID, err = ids.UUID("contact_id", in.ContactID); err != nil {
			if merr := v.Merge("", err); merr != nil {
				return Member{}, merr
			}
		}
	default:
		if m.LeadID, err = ids.UUID("lead_id", in.LeadID); err != nil {
			if merr := v.Merge("", err); merr != nil {
				return Member{}, merr
			}
		}
	}
	if err := v.Err(); err != nil {
		return Member{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Member{}, err
	}
	now := s.now()
	m.ID, m.CampaignID, m.Version, m.CreateTime, m.UpdateTime = id.String(), campaignID, 1, now, now
	m.Status = MemberStatusSent
	if in.Status != MemberStatusUnspecified {
		m.setStatus(in.Status, now)
	}
	ev, err := s.event(MemberEventCreated, m)
	if err != nil {
		return Member{}, err
	}
	return s.store.CreateCampaignMember(ctx, requestID, MethodCreateMember, m, ev)
}

// List returns a page of a campaign's members and whether more follow.
func (s *Members) List(ctx context.Context, q MemberQuery) ([]Member, bool, error) {
	id, err := ids.UUID("campaign_id", q.CampaignID)
	if err != nil {
		return nil, false, err
	}
	q.CampaignID = id
	return s.store.ListCampaignMembers(ctx, q)
}

func memberIDs(campaignID, id string) (string, string, error) {
	var v errs.Violations
	campaignID, err := ids.UUID("campaign_id", campaignID)
	if merr := v.Merge("", err); merr != nil {
		return "", "", merr
	}
	id, err = ids.UUID("id", id)
	if merr := v.Merge("", err); merr != nil {
		return "", "", merr
	}
	return campaignID, id, v.Err()
}

// Update changes a member's status (the only field it has to change); a
// non-empty etag must match. An unspecified status changes nothing.
func (s *Members) Update(ctx context.Context, campaignID, id string, in MemberInput, etag string) (Member, error) {
	campaignID, id, err := memberIDs(campaignID, id)
	if err != nil {
		return Member{}, err
	}
	return s.store.UpdateCampaignMember(ctx, campaignID, id, func(cur Member) (MemberChange, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "campaign member "+id); err != nil {
			return MemberChange{}, err
		}
		if in.Status == MemberStatusUnspecified || in.Status == cur.Status {
			return MemberChange{Unchanged: true}, nil
		}
		next := cur
		next.UpdateTime = s.now()
		next.setStatus(in.Status, next.UpdateTime)
		next.Version++
		ev, err := s.event(MemberEventUpdated, next)
		if err != nil {
			return MemberChange{}, err
		}
		return MemberChange{Member: next, Event: &ev}, nil
	})
}

// Delete removes a member from its campaign; a non-empty etag must match.
func (s *Members) Delete(ctx context.Context, campaignID, id, etag string) error {
	campaignID, id, err := memberIDs(campaignID, id)
	if err != nil {
		return err
	}
	return s.store.DeleteCampaignMember(ctx, campaignID, id, func(cur Member) (Event, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "campaign member "+id); err != nil {
			return Event{}, err
		}
		return s.deleted(cur)
	})
}

func (s *Members) deleted(cur Member) (Event, error) {
	gone := cur
	gone.Version++
	gone.UpdateTime = s.now()
	return s.event(MemberEventDeleted, gone)
}

// Deleted returns the deleted events of the memberships of a contact, lead
// or campaign being deleted (each at its next version), in the order given.
func (s *Members) Deleted(members []Member) ([]Event, error) {
	events := make([]Event, 0, len(members))
	for _, m := range members {
		ev, err := s.deleted(m)
		if err != nil {
			return nil, err
		}
		events = append(events, ev)
	}
	return events, nil
}

// Transfer is what a lead's conversion writes of the campaign memberships:
// the lead's memberships are the contact's from then on.
type Transfer struct {
	// Dropped are the lead's memberships in campaigns the contact is a
	// member of already: they are deleted.
	Dropped []Member
	// Written are the memberships written as they now are: the lead's
	// moved to the contact (same id, status and times), and the contact's
	// that took the response of a dropped one.
	Written []Member
	// Events are the changes' events, in the order to record them.
	Events []Event
}

// Transfer moves a converted lead's memberships (leadMembers) to its
// contact: each keeps its id, status, create and respond time, and names
// the contact instead of the lead. Where the contact is a member of the
// campaign already (contactMembers, the contact's memberships; others are
// ignored), the contact's membership stays and the lead's is deleted; the
// contact's becomes RESPONDED, at the lead's respond time, when only the
// lead's had responded.
func (s *Members) Transfer(leadMembers, contactMembers []Member, contactID string) (Transfer, error) {
	return s.transfer(leadMembers, contactMembers, func(m Member) bool { return m.ContactID == contactID },
		func(m *Member) { m.ContactID, m.LeadID = contactID, "" })
}

// TransferToLead moves the memberships of a duplicate lead being merged
// (from) to the lead it is merged into (leadID, whose memberships are
// to) as Transfer moves a converted lead's to its contact: where both are
// members of a campaign, the kept lead's membership stays (RESPONDED if
// either responded) and the duplicate's is deleted.
func (s *Members) TransferToLead(from, to []Member, leadID string) (Transfer, error) {
	return s.transfer(from, to, func(m Member) bool { return m.LeadID == leadID },
		func(m *Member) { m.ContactID, m.LeadID = "", leadID })
}

// transfer moves the memberships from to the member that target makes
// them name; existing are that member's memberships (ours tells them).
func (s *Members) transfer(from, existing []Member, ours func(Member) bool, target func(*Member)) (Transfer, error) {
	var t Transfer
	if len(from) == 0 {
		return t, nil
	}
	have := make(map[string]Member, len(existing))
	for _, m := range existing {
		if ours(m) {
			have[m.CampaignID] = m
		}
	}
	now := s.now()
	for _, lm := range from {
		cm, ok := have[lm.CampaignID]
		if !ok {
			moved := lm
			target(&moved)
			moved.Version++
			moved.UpdateTime = now
			if err := t.write(s, MemberEventUpdated, moved); err != nil {
				return Transfer{}, err
			}
			continue
		}
		ev, err := s.deleted(lm)
		if err != nil {
			return Transfer{}, err
		}
		t.Dropped = append(t.Dropped, lm)
		t.Events = append(t.Events, ev)
		if lm.Status == MemberStatusResponded && cm.Status != MemberStatusResponded {
			cm.Status, cm.RespondTime = MemberStatusResponded, lm.RespondTime
			cm.Version++
			cm.UpdateTime = now
			if err := t.write(s, MemberEventUpdated, cm); err != nil {
				return Transfer{}, err
			}
		}
	}
	return t, nil
}

func (t *Transfer) write(s *Members, typ string, m Member) error {
	ev, err := s.event(typ, m)
	if err != nil {
		return err
	}
	t.Written = append(t.Written, m)
	t.Events = append(t.Events, ev)
	return nil
}
