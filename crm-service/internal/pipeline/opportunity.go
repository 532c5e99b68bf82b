// Package pipeline holds the sales pipeline: opportunities with their
// product lines, the stage rules, winning, losing and reopening deals, and
// the ERP order the bridge records on a won deal.
package pipeline

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/listing"
	"github.com/seamhq/seam/platform/money"
)

// Stage is where an opportunity is in the pipeline. The values are the
// stored form.
type Stage string

// The stages.
const (
	StageUnspecified   Stage = ""
	StageProspecting   Stage = "prospecting"
	StageQualification Stage = "qualification"
	StageProposal      Stage = "proposal"
	StageNegotiation   Stage = "negotiation"
	StageClosedWon     Stage = "closed_won"
	StageClosedLost    Stage = "closed_lost"
)

// Stages are the stages in pipeline order, the order of the proto's Stage
// values and of order_by stage.
var Stages = []Stage{StageProspecting, StageQualification, StageProposal, StageNegotiation, StageClosedWon, StageClosedLost}

var defaultProbability = map[Stage]int32{
	StageProspecting:   10,
	StageQualification: 20,
	StageProposal:      50,
	StageNegotiation:   75,
	StageClosedWon:     100,
	StageClosedLost:    0,
}

// Valid reports whether s is one of the stages.
func (s Stage) Valid() bool {
	_, ok := defaultProbability[s]
	return ok
}

// Closed reports whether s ends the pipeline (won or lost).
func (s Stage) Closed() bool { return s == StageClosedWon || s == StageClosedLost }

// DefaultProbability is the win probability of a stage unless the caller
// sets one.
func DefaultProbability(s Stage) int32 { return defaultProbability[s] }

// FulfillmentStatus is the state of the ERP sales order behind a won deal.
type FulfillmentStatus string

// The fulfillment statuses.
const (
	FulfillmentPending          FulfillmentStatus = "pending"
	FulfillmentDraft            FulfillmentStatus = "draft"
	FulfillmentConfirmed        FulfillmentStatus = "confirmed"
	FulfillmentBackordered      FulfillmentStatus = "backordered"
	FulfillmentOnCreditHold     FulfillmentStatus = "on_credit_hold"
	FulfillmentPartiallyShipped FulfillmentStatus = "partially_shipped"
	FulfillmentShipped          FulfillmentStatus = "shipped"
	FulfillmentInvoiced         FulfillmentStatus = "invoiced"
	FulfillmentPaid             FulfillmentStatus = "paid"
	FulfillmentCancelled        FulfillmentStatus = "cancelled"
)

// FulfillmentStatuses lists every status.
var FulfillmentStatuses = []FulfillmentStatus{
	FulfillmentPending, FulfillmentDraft, FulfillmentConfirmed, FulfillmentBackordered,
	FulfillmentOnCreditHold, FulfillmentPartiallyShipped, FulfillmentShipped,
	FulfillmentInvoiced, FulfillmentPaid, FulfillmentCancelled,
}

// Event types of opportunities.
const (
	EventCreated  = "opportunity.created"
	EventUpdated  = "opportunity.updated"
	EventDeleted  = "opportunity.deleted"
	EventWon      = "opportunity.won"
	EventLost     = "opportunity.lost"
	EventReopened = "opportunity.reopened"
)

// Method names recorded with a request_id for idempotency.
const (
	MethodCreate = "CreateOpportunity"
	MethodWin    = "WinOpportunity"
	MethodLose   = "LoseOpportunity"
	MethodReopen = "ReopenOpportunity"
)

// Opportunity is a potential deal with an account.
type Opportunity struct {
	ID                string
	AccountID         string
	Name              string
	Stage             Stage
	Probability       int32
	Currency          string
	ExpectedCloseDate time.Time // zero when unset
	Owner             string
	// CampaignID is the source campaign, "" for none.
	CampaignID string
	Lines      []Line
	// Amount is the sum of the line amounts.
	Amount     money.Money
	LostReason string
	// Read-only, set by the bridge.
	Order         *Order
	PaymentStatus account.PaymentStatus
	// PaymentVersion is the source version of PaymentStatus (0: none
	// reported yet); older or equal reports are ignored.
	PaymentVersion int64
	// Version increases with every write; the etag is its decimal form.
	Version    int64
	CreateTime time.Time
	UpdateTime time.Time
	CloseTime  time.Time // zero while open
	// CloseOwner is the owner when the deal last entered a closed stage
	// (won, or lost), "" while open; it stays when a closed deal changes
	// owner. Read-only: the database maintains it (migration 0030), and
	// Win, Lose and Reopen set it as the database does, for their answers.
	CloseOwner string
	// NameFold is Name as the name order of ListOpportunities compares
	// it: in lower case, as the database folds it (name_fold). Read-only:
	// read with the opportunity, and not changed with Name until it is
	// read again.
	NameFold string
}

// ETag is the opportunity's current etag.
func (o Opportunity) ETag() string { return strconv.FormatInt(o.Version, 10) }

// Line is one product on an opportunity.
type Line struct {
	SKU             string
	Quantity        decimal.Decimal
	UnitPrice       money.Money
	DiscountPercent decimal.Decimal
	// Amount is money.LineAmount of the line.
	Amount money.Money

	// Joined from the product whenever the line is read (not copies).
	ProductName string
	// ProductUnit is the product's unit of measure, "" while the catalog
	// does not know it.
	ProductUnit string
	// ProductWholeQuantities is the product's flag, as the ERP item says
	// (catalog.Product.WholeQuantities): the line takes a whole quantity
	// only.
	ProductWholeQuantities bool
	Available              decimal.NullDecimal // invalid while the ERP reported nothing
	ProductPromiseDate     time.Time
	ProductSchedule        catalog.Schedule

	// PromiseDate is derived when read, by the product's schedule
	// (catalog.Schedule.PromiseDate): the earliest date the line's quantity
	// can be delivered, zero when none is known.
	PromiseDate time.Time

	// Fulfilment is what the won deal's ERP order did with the line, as
	// the bridge last reported it; nil while the deal is not won, has no
	// order yet, or the line is not on its order. It is no part of the
	// line's content: sameLine ignores it.
	Fulfilment *Fulfilment
}

// Fulfilment is how far an ERP order line has got, copied from the order.
type Fulfilment struct {
	// Reserved is held in stock for the line and not shipped yet.
	Reserved decimal.Decimal
	// Backordered is confirmed but waits for stock.
	Backordered decimal.Decimal
	Shipped     decimal.Decimal
}

func sameFulfilment(a, b *Fulfilment) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Reserved.Equal(b.Reserved) && a.Backordered.Equal(b.Backordered) && a.Shipped.Equal(b.Shipped)
}

// orderLine is the fulfilment of one line of an ERP order; f is nil when
// the order reported none for it.
type orderLine struct {
	sku string
	f   *Fulfilment
}

// fulfil returns lines showing the fulfilment of the order's lines (none
// for a nil order), and whether any line shows something else than
// before. The n-th line of a SKU takes the n-th order line of that SKU;
// an order placed from the deal, or amended in the ERP and taken over by
// the deal, has the deal's lines in the deal's order, so each line meets
// its own order line. lines is left as it is.
func fulfil(lines []Line, order []orderLine) ([]Line, bool) {
	out := slices.Clone(lines)
	seen := map[string]int{}
	changed := false
	for i := range out {
		l := &out[i]
		var f *Fulfilment
		n := seen[l.SKU]
		seen[l.SKU] = n + 1
		for _, ol := range order {
			if ol.sku != l.SKU {
				continue
			}
			if n == 0 {
				f = ol.f
				break
			}
			n--
		}
		if !sameFulfilment(l.Fulfilment, f) {
			changed = true
		}
		l.Fulfilment = f
	}
	return out, changed
}

// Order points at the ERP sales order of a won opportunity.
type Order struct {
	ID         string
	Number     string
	Status     FulfillmentStatus
	UpdateTime time.Time
	// SourceVersion is the ERP order revision the copy was taken from.
	SourceVersion int64
}

// joinProduct copies the read-only product facts onto a line.
func (l *Line) joinProduct(p catalog.Product) {
	l.ProductName = p.Name
	l.ProductUnit = p.UnitOfMeasure
	l.ProductWholeQuantities = p.WholeQuantities
	l.Available = decimal.NullDecimal{Decimal: p.Availability.Available, Valid: p.Availability.Known}
	l.ProductPromiseDate = p.Availability.PromiseDate
	l.ProductSchedule = p.Availability.Schedule
}

// derive fills the fields computed at read time.
func derive(o *Opportunity, today time.Time) {
	for i := range o.Lines {
		l := &o.Lines[i]
		l.PromiseDate = l.ProductSchedule.PromiseDate(l.Available, l.ProductPromiseDate, l.Quantity, today)
	}
}

func sameLine(a, b Line) bool {
	return a.SKU == b.SKU && a.Quantity.Equal(b.Quantity) &&
		a.UnitPrice.Currency == b.UnitPrice.Currency && a.UnitPrice.Amount.Equal(b.UnitPrice.Amount) &&
		a.DiscountPercent.Equal(b.DiscountPercent)
}

func sameLines(a, b []Line) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !sameLine(a[i], b[i]) {
			return false
		}
	}
	return true
}

// sameContent reports whether two states differ in nothing a client writes.
func sameContent(a, b Opportunity) bool {
	return a.Name == b.Name && a.Stage == b.Stage && a.Probability == b.Probability &&
		a.Currency == b.Currency && a.ExpectedCloseDate.Equal(b.ExpectedCloseDate) &&
		a.Owner == b.Owner && a.CampaignID == b.CampaignID && sameLines(a.Lines, b.Lines)
}

// FilterFields are the fields ListOpportunities filters on (by equality).
var FilterFields = []string{"account_id", "stage", "owner", "currency_code", "campaign_id"}

// OrderFields are the fields ListOpportunities sorts by (order_by).
// amount sorts within one currency, so it needs a currency_code filter;
// close_date is the expected close date, none sorting after every date;
// stage sorts in pipeline order (Stages). Not update_time: an index on it
// would make every update of an opportunity a non-heap-only one, the
// bridge's order status write-back of each won deal included.
var OrderFields = []string{"amount", "close_date", "name", "stage", "create_time"}

// OrderAliases name order fields as the Opportunity names the field they
// sort by: expected_close_date is the close_date order.
var OrderAliases = map[string]string{"expected_close_date": "close_date"}

// OrderKey is the value of field (one of OrderFields) in o, as a page
// token carries it: "" for no expected close date; the name order's is
// the folded name, then the name.
func OrderKey(o Opportunity, field string) []string {
	switch field {
	case "amount":
		return []string{o.Amount.Amount.String()}
	case "close_date":
		if o.ExpectedCloseDate.IsZero() {
			return []string{""}
		}
		return []string{o.ExpectedCloseDate.Format(time.DateOnly)}
	case "name":
		return []string{o.NameFold, o.Name}
	case "stage":
		return []string{string(o.Stage)}
	case "create_time":
		return []string{o.CreateTime.Format(time.RFC3339Nano)}
	}
	return nil
}

// Query selects a page of opportunities in id (creation) order, or sorted
// by one of OrderFields, ties broken by id.
type Query struct {
	// Equal maps filter fields to the value they must equal; a stage is
	// given in its stored form ("proposal").
	Equal map[string]string
	// Order is the sort order; the zero Order is id order.
	Order listing.Order
	// After is the id of the last opportunity of the previous page, or "".
	After string
	// AfterKey is OrderKey of that opportunity for Order's field, when
	// Order names one.
	AfterKey []string
	Limit    int
}

// Event is a change to record in the feed, in the transaction of the change.
type Event struct {
	Type    string
	Key     string
	Payload []byte
}

// Refs are the facts a new opportunity is validated against.
type Refs struct {
	AccountExists bool
	// Products holds the catalog entries of the requested SKUs that exist.
	Products map[string]catalog.Product
}

// Mutation describes a read-modify-write to the store.
type Mutation struct {
	// RequestID, when set, makes the write idempotent: it is recorded with
	// Method, and a later call with the same RequestID writes nothing.
	RequestID string
	Method    string
	// SKUs lists products to load besides those of the current lines.
	SKUs []string
}

// Change is what a read-modify-write decided.
type Change struct {
	// Opportunity is the new state; ignored when Unchanged.
	Opportunity Opportunity
	// LinesChanged says the lines must be rewritten.
	LinesChanged bool
	// FulfilmentChanged says the lines' Fulfilment must be written (when
	// the lines are not rewritten anyway).
	FulfilmentChanged bool
	// Event is recorded with the change; nil records none.
	Event *Event
	// Unchanged means nothing is written (not even the request id).
	Unchanged bool
}

// Store is the persistence the pipeline needs. Opportunities come back
// with their lines joined to the products (ProductName, ProductUnit,
// Available, ProductPromiseDate filled).
type Store interface {
	// CreateOpportunity loads the Refs for accountID and m.SKUs, calls
	// build, and inserts what it returns with its event, in one
	// transaction. If m.RequestID was recorded before, build is not called,
	// nothing is written and the opportunity the first call created is
	// returned.
	CreateOpportunity(ctx context.Context, m Mutation, accountID string, build func(Refs) (Opportunity, Event, error)) (Opportunity, error)
	GetOpportunity(ctx context.Context, id string) (Opportunity, error)
	// ListOpportunities returns up to q.Limit opportunities with their
	// lines and whether more follow.
	ListOpportunities(ctx context.Context, q Query) ([]Opportunity, bool, error)
	// MutateOpportunity locks the opportunity, loads it with its lines and
	// the products of its lines and of m.SKUs, calls fn and applies the
	// Change, in one transaction. If m.RequestID was recorded before for
	// the same method and opportunity, fn is not called and the current
	// state is returned.
	MutateOpportunity(ctx context.Context, id string, m Mutation, fn func(cur Opportunity, products map[string]catalog.Product) (Change, error)) (Opportunity, error)
	// DeleteOpportunity locks the opportunity, then the activities that
	// name it, and passes them to fn; unless fn fails, it writes the
	// Deletion fn returns (the activities without the opportunity, their
	// events, the opportunity and its lines deleted and its event), in one
	// transaction.
	DeleteOpportunity(ctx context.Context, id string, fn func(cur Opportunity, activities []activity.Activity) (Deletion, error)) error
}

// Deletion is what deleting an opportunity writes: the activities that
// named it, without it, each at its next version with its updated event
// (recorded first), and the opportunity's deleted event.
type Deletion struct {
	Activities activity.Unlinked
	Event      Event
}

// Encoder renders an opportunity as an event payload (the API's JSON form).
type Encoder interface {
	EncodeOpportunity(Opportunity) ([]byte, error)
}
