// Package campaign holds marketing campaigns, the source leads and
// opportunities name in campaign_id, and their statistics.
package campaign

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/report"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Event types of campaigns.
const (
	EventCreated = "campaign.created"
	EventUpdated = "campaign.updated"
	EventDeleted = "campaign.deleted"
)

// MethodCreate is the idempotency method name of a create.
const MethodCreate = "CreateCampaign"

// Status is where a campaign is in its life.
type Status string

// Statuses, as stored.
const (
	StatusUnspecified Status = ""
	StatusPlanned     Status = "planned"
	StatusActive      Status = "active"
	StatusCompleted   Status = "completed"
	StatusCancelled   Status = "cancelled"
)

// Campaign is a marketing campaign.
type Campaign struct {
	ID      string
	Name    string
	Channel string
	// Owner is who runs the campaign (a user name, as accounts and cases
	// name theirs), stored trimmed; "" for none.
	Owner string
	// Budget is nil when none is set.
	Budget     *money.Money
	StartDate  time.Time // zero: none
	EndDate    time.Time // zero: none
	Status     Status
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
	// Members and RespondedMembers count the campaign's members (all, and
	// those RESPONDED); read-only, kept by the store with every
	// membership change, which is no change of the campaign (no version).
	Members, RespondedMembers int64
	// NameFold is Name as the name order of ListCampaigns compares it: in
	// lower case, as the database folds it (name_fold). Read-only: read
	// with the campaign, and not changed with Name until it is read again.
	NameFold string
}

// ETag is the campaign's current etag.
func (c Campaign) ETag() string { return strconv.FormatInt(c.Version, 10) }

func (c Campaign) equal(o Campaign) bool {
	sameBudget := (c.Budget == nil) == (o.Budget == nil) &&
		(c.Budget == nil || c.Budget.Currency == o.Budget.Currency && c.Budget.Amount.Equal(o.Budget.Amount))
	c.Budget, o.Budget = nil, nil
	return sameBudget && c == o
}

// Field names a client-writable field (its proto name).
type Field string

// The fields a client may write.
const (
	FieldName      Field = "name"
	FieldChannel   Field = "channel"
	FieldOwner     Field = "owner"
	FieldBudget    Field = "budget"
	FieldStartDate Field = "start_date"
	FieldEndDate   Field = "end_date"
	FieldStatus    Field = "status"
)

// MutableFields are the fields Update changes when no mask is given.
var MutableFields = []Field{FieldName, FieldChannel, FieldOwner, FieldBudget, FieldStartDate, FieldEndDate, FieldStatus}

// ReadOnlyFields are fields of the resource a client can never write.
var ReadOnlyFields = []string{"id", "etag", "create_time", "update_time", "member_count", "responded_member_count"}

// FilterFields are the fields ListCampaigns filters on: status, owner
// (compared trimmed, as owners are stored), and channel ignoring case
// ("Email" is the channel "email").
var FilterFields = []string{"status", "channel", "owner"}

// OrderFields are the fields ListCampaigns sorts by (order_by); a
// campaign without a start date sorts after every date.
var OrderFields = []string{"name", "start_date", "create_time"}

// OrderKey is the value of field (one of OrderFields) in c, as a page
// token carries it: "" for no start date; the name order's is the folded
// name, then the name.
func OrderKey(c Campaign, field string) []string {
	switch field {
	case "name":
		return []string{c.NameFold, c.Name}
	case "start_date":
		if c.StartDate.IsZero() {
			return []string{""}
		}
		return []string{c.StartDate.Format(time.DateOnly)}
	case "create_time":
		return []string{c.CreateTime.Format(time.RFC3339Nano)}
	}
	return nil
}

// RangeFields are the fields ListCampaigns filters on with <, <=, > and
// >= (a date, YYYY-MM-DD): the campaigns running in a quarter are
// `start_date < "<next quarter>" AND end_date >= "<quarter>"`. A campaign
// without the date never matches. There are few campaigns (hundreds, not
// millions), so these filters read them all rather than an index.
var RangeFields = []string{"start_date", "end_date"}

// Range is a `field < date`, `<=`, `>` or `>=` filter term on one of
// RangeFields.
type Range struct {
	Field string
	Op    string
	Date  time.Time
}

// Input is what a client sends to create or update a campaign.
type Input struct {
	Name, Channel, Owner string
	// HasBudget is false when the client sent no budget.
	HasBudget                   bool
	BudgetCurrency, BudgetValue string
	StartDate, EndDate          string
	Status                      Status
}

const maxText = 200

// parse validates the fields of in and applies them to c.
func (in Input) apply(c *Campaign, fields []Field) error {
	var v errs.Violations
	for _, f := range fields {
		switch f {
		case FieldName:
			name := strings.TrimSpace(in.Name)
			switch {
			case name == "":
				v.Add(string(f), "is required")
			case len([]rune(name)) > maxText:
				v.Add(string(f), "must be at most %d characters", maxText)
			}
			c.Name = name
		case FieldChannel:
			// Stored trimmed, as names are, so the channel filter finds
			// a campaign entered as "email ".
			channel := strings.TrimSpace(in.Channel)
			if len([]rune(channel)) > maxText {
				v.Add(string(f), "must be at most %d characters", maxText)
			}
			c.Channel = channel
		case FieldOwner:
			// Stored trimmed, as every owner is, so the owner filter
			// finds a campaign assigned as " ana ".
			owner := strings.TrimSpace(in.Owner)
			if len([]rune(owner)) > maxText {
				v.Add(string(f), "must be at most %d characters", maxText)
			}
			c.Owner = owner
		case FieldBudget:
			c.Budget = nil
			if in.HasBudget {
				m, err := money.Parse(in.BudgetCurrency, in.BudgetValue)
				switch {
				case err != nil:
					if merr := v.Merge(string(f), err); merr != nil {
						return merr
					}
				case m.Amount.IsNegative():
					v.Add(string(f)+".amount", "must not be negative")
				default:
					c.Budget = &m
				}
			}
		case FieldStartDate, FieldEndDate:
			s := in.StartDate
			if f == FieldEndDate {
				s = in.EndDate
			}
			var d time.Time
			if s != "" {
				var err error
				if d, err = civil.ParseDate(s); err != nil {
					v.Add(string(f), "%v", err)
				}
			}
			if f == FieldStartDate {
				c.StartDate = d
			} else {
				c.EndDate = d
			}
		case FieldStatus:
			if in.Status == StatusUnspecified {
				v.Add(string(f), "is required")
			}
			c.Status = in.Status
		}
	}
	if v.Len() == 0 && !c.StartDate.IsZero() && !c.EndDate.IsZero() && c.EndDate.Before(c.StartDate) {
		v.Add(string(FieldEndDate), "must not be before start_date")
	}
	return v.Err()
}

// ChannelKey is the form channels are compared in by the channel filter:
// without case and surrounding space (the store compares lower(channel)).
func ChannelKey(channel string) string { return strings.ToLower(strings.TrimSpace(channel)) }

// Query selects a page of campaigns in id (creation) order.
type Query struct {
	Equal  map[string]string
	Ranges []Range
	// Order is the sort order; the zero Order is id order.
	Order listing.Order
	// After is the id of the last campaign of the previous page, or "".
	After string
	// AfterKey is OrderKey of that campaign for Order's field, when Order
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
	Campaign  Campaign
	Event     *Event
	Unchanged bool
}

// Stats are a campaign's counts and won amounts.
type Stats struct {
	Leads, ConvertedLeads, WonOpportunities int64
	// WonAmounts has one sum per currency, sorted by currency code.
	WonAmounts []money.Money
	// CostPerWonDeal is nil without a budget or a won deal.
	CostPerWonDeal *money.Money
	// Members counts the members (every contact or lead the campaign
	// reached), RespondedMembers those that responded; ResponseRate is
	// RespondedMembers / Members to 4 decimals (0 without members).
	Members, RespondedMembers int64
	ResponseRate              decimal.Decimal
}

// Store is the persistence campaigns need.
type Store interface {
	CreateCampaign(ctx context.Context, requestID, method string, c Campaign, ev Event) (Campaign, error)
	GetCampaign(ctx context.Context, id string) (Campaign, error)
	ListCampaigns(ctx context.Context, q Query) ([]Campaign, bool, error)
	UpdateCampaign(ctx context.Context, id string, fn func(cur Campaign) (Change, error)) (Campaign, error)
	// DeleteCampaign locks the campaign and its members and passes them to
	// fn; unless fn fails, it deletes the members and the campaign with the
	// events fn returns (the members' first), in one transaction. A
	// campaign named by a lead or opportunity is FAILED_PRECONDITION.
	DeleteCampaign(ctx context.Context, id string, fn func(cur Campaign, members []Member) (Deletion, error)) error
	// CampaignStats reads the campaign (with its member counts) and the
	// counts of its leads and won deals (Stats without CostPerWonDeal and
	// the member figures) in one snapshot; NOT_FOUND when it does not
	// exist.
	CampaignStats(ctx context.Context, id string) (Campaign, Stats, error)
}

// Deletion is what deleting a campaign writes: its members deleted, with
// their events, and the campaign's deleted event.
type Deletion struct {
	MemberEvents []Event
	Event        Event
}

// Encoder renders a campaign as an event payload.
type Encoder interface {
	EncodeCampaign(Campaign) ([]byte, error)
}

// Service carries out the campaign use cases.
type Service struct {
	store   Store
	enc     Encoder
	members *Members
	now     func() time.Time
}

// NewService returns a Service; a deletion removes the campaign's members
// through members; now is the clock.
func NewService(store Store, enc Encoder, members *Members, now func() time.Time) *Service {
	return &Service{store: store, enc: enc, members: members, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func (s *Service) event(typ string, c Campaign) (Event, error) {
	payload, err := s.enc.EncodeCampaign(c)
	if err != nil {
		return Event{}, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return Event{Type: typ, Key: c.ID, Payload: payload}, nil
}

// Create creates a campaign (status default PLANNED).
func (s *Service) Create(ctx context.Context, in Input, requestID string) (Campaign, error) {
	if in.Status == StatusUnspecified {
		in.Status = StatusPlanned
	}
	var c Campaign
	if err := in.apply(&c, MutableFields); err != nil {
		return Campaign{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Campaign{}, err
	}
	now := s.now()
	c.ID, c.Version, c.CreateTime, c.UpdateTime = id.String(), 1, now, now
	ev, err := s.event(EventCreated, c)
	if err != nil {
		return Campaign{}, err
	}
	return s.store.CreateCampaign(ctx, requestID, MethodCreate, c, ev)
}

// Get returns one campaign.
func (s *Service) Get(ctx context.Context, id string) (Campaign, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Campaign{}, err
	}
	return s.store.GetCampaign(ctx, id)
}

// List returns a page of campaigns and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Campaign, bool, error) {
	if ch, ok := q.Equal["channel"]; ok {
		q.Equal["channel"] = ChannelKey(ch)
	}
	if o, ok := q.Equal["owner"]; ok {
		q.Equal["owner"] = strings.TrimSpace(o)
	}
	return s.store.ListCampaigns(ctx, q)
}

// Update changes the given fields; a non-empty etag must match.
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string) (Campaign, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Campaign{}, err
	}
	var probe Campaign
	if err := in.apply(&probe, fields); err != nil {
		return Campaign{}, err
	}
	return s.store.UpdateCampaign(ctx, id, func(cur Campaign) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "campaign "+id); err != nil {
			return Change{}, err
		}
		next := cur
		if err := in.apply(&next, fields); err != nil {
			return Change{}, err
		}
		if next.equal(cur) {
			return Change{Unchanged: true}, nil
		}
		next.Version++
		next.UpdateTime = s.now()
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Campaign: next, Event: &ev}, nil
	})
}

// Delete removes a campaign and its members (they are part of it); a
// non-empty etag must match. A campaign a lead or opportunity names stays
// (FAILED_PRECONDITION, checked by the store under its lock): it is where
// they came from.
func (s *Service) Delete(ctx context.Context, id, etag string) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteCampaign(ctx, id, func(cur Campaign, members []Member) (Deletion, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "campaign "+id); err != nil {
			return Deletion{}, err
		}
		var d Deletion
		var err error
		if d.MemberEvents, err = s.members.Deleted(members); err != nil {
			return Deletion{}, err
		}
		// Its members go first: the campaign's last state has none.
		gone := cur
		gone.Members, gone.RespondedMembers = 0, 0
		gone.Version++
		gone.UpdateTime = s.now()
		d.Event, err = s.event(EventDeleted, gone)
		return d, err
	})
}

// Stats returns the statistics of a campaign.
func (s *Service) Stats(ctx context.Context, id string) (Stats, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Stats{}, err
	}
	c, st, err := s.store.CampaignStats(ctx, id)
	if err != nil {
		return Stats{}, err
	}
	slices.SortFunc(st.WonAmounts, func(a, b money.Money) int { return strings.Compare(a.Currency, b.Currency) })
	st.CostPerWonDeal = CostPerWonDeal(c.Budget, st.WonOpportunities)
	st.Members, st.RespondedMembers = c.Members, c.RespondedMembers
	st.ResponseRate = report.Rate(c.RespondedMembers, c.Members)
	return st, nil
}

// CostPerWonDeal is budget / won, rounded to the budget currency's minor
// unit; nil without a budget or a won deal.
func CostPerWonDeal(budget *money.Money, won int64) *money.Money {
	if budget == nil || won <= 0 {
		return nil
	}
	q := budget.Amount.DivRound(decimal.NewFromInt(won), 16)
	return &money.Money{Currency: budget.Currency, Amount: money.Round(q, budget.Currency)}
}
