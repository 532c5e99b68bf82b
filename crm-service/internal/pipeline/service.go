package pipeline

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// Service carries out the pipeline use cases.
type Service struct {
	store      Store
	enc        Encoder
	activities *activity.Service
	now        func() time.Time
	changes    Changes // for Watch; nil: watching is not available
}

// NewService returns a Service; a deletion clears the opportunity from
// the activities that name it through their service; now is the clock
// (time.Now in production).
func NewService(store Store, enc Encoder, activities *activity.Service, now func() time.Time) *Service {
	// Timestamps are kept at the database's microsecond precision, so
	// what a write returns equals what a later read returns.
	return &Service{store: store, enc: enc, activities: activities, now: func() time.Time { return now().UTC().Truncate(time.Microsecond) }}
}

func (s *Service) today() time.Time { return civil.Today(s.now()) }

// finish fills the derived fields of what the store returned.
func (s *Service) finish(o Opportunity, err error) (Opportunity, error) {
	if err != nil {
		return Opportunity{}, err
	}
	derive(&o, s.today())
	return o, nil
}

func (s *Service) event(typ string, o Opportunity) (*Event, error) {
	derive(&o, s.today())
	payload, err := s.enc.EncodeOpportunity(o)
	if err != nil {
		return nil, fmt.Errorf("encode %s event: %w", typ, err)
	}
	return &Event{Type: typ, Key: o.ID, Payload: payload}, nil
}

// Create validates in against the account and the catalog and creates the
// opportunity. A retry with the same requestID returns the opportunity the
// first call created and writes nothing.
func (s *Service) Create(ctx context.Context, in Input, requestID string) (Opportunity, error) {
	// An id that cannot exist is not looked up; build reports it.
	lookupAccount, err := ids.UUID("account_id", in.AccountID)
	if err == nil {
		in.AccountID = lookupAccount
	}
	m := Mutation{RequestID: requestID, Method: MethodCreate, SKUs: skus(in.Lines)}
	return s.finish(s.store.CreateOpportunity(ctx, m, lookupAccount, func(refs Refs) (Opportunity, Event, error) {
		o, err := s.build(in, refs)
		if err != nil {
			return Opportunity{}, Event{}, err
		}
		ev, err := s.event(EventCreated, o)
		if err != nil {
			return Opportunity{}, Event{}, err
		}
		return o, *ev, nil
	}))
}

func (s *Service) build(in Input, refs Refs) (Opportunity, error) {
	var v errs.Violations
	if _, err := ids.UUID("account_id", in.AccountID); err != nil {
		_ = v.Merge("", err)
	} else if !refs.AccountExists {
		v.Add("account_id", "account %q not found", in.AccountID)
	}
	in.Name = strings.TrimSpace(in.Name)
	validName(&v, in.Name)
	in.Owner = strings.TrimSpace(in.Owner)
	validOwner(&v, in.Owner)
	ids.Normalize(&v, string(FieldCampaignID), &in.CampaignID)
	stage := in.Stage
	switch {
	case stage == StageUnspecified:
		stage = StageProspecting
	case !stage.Valid():
		v.Add(string(FieldStage), "unknown stage %q", in.Stage)
	case stage.Closed():
		v.Add(string(FieldStage), "an opportunity cannot be created closed; create it open, then win or lose it")
	}
	probability := DefaultProbability(stage)
	if in.Probability != nil {
		validProbability(&v, *in.Probability)
		probability = *in.Probability
	}
	closeDate := parseCloseDate(&v, in.ExpectedCloseDate)
	currencyOK := validCurrency(&v, in.Currency)
	lines := buildLines(&v, in.Currency, currencyOK, in.Lines, refs.Products)
	wholeQuantities(&v, lines)
	if err := v.Err(); err != nil {
		return Opportunity{}, err
	}
	amount, err := total(in.Currency, lines)
	if err != nil {
		return Opportunity{}, err
	}
	id, err := uuid.NewV7()
	if err != nil {
		return Opportunity{}, err
	}
	now := s.now().UTC()
	return Opportunity{
		ID: id.String(), AccountID: in.AccountID, Name: in.Name, Stage: stage, Probability: probability,
		Currency: in.Currency, ExpectedCloseDate: closeDate, Owner: in.Owner, Lines: lines, Amount: amount, CampaignID: in.CampaignID,
		PaymentStatus: account.PaymentUnspecified, Version: 1, CreateTime: now, UpdateTime: now,
	}, nil
}

// Get returns one opportunity.
func (s *Service) Get(ctx context.Context, id string) (Opportunity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Opportunity{}, err
	}
	return s.finish(s.store.GetOpportunity(ctx, id))
}

// List returns a page of opportunities and whether more follow.
func (s *Service) List(ctx context.Context, q Query) ([]Opportunity, bool, error) {
	for _, f := range []string{"account_id", "campaign_id"} {
		if id, ok := q.Equal[f]; ok {
			c, valid := ids.Canonical(id)
			if !valid {
				return nil, false, errs.Invalid("filter", "%s %s", f, ids.NotUUID)
			}
			q.Equal[f] = c
		}
	}
	if st, ok := q.Equal["stage"]; ok && !Stage(st).Valid() {
		return nil, false, errs.Invalid("filter", "unknown stage %q", st)
	}
	if q.Order.Field == "amount" && q.Equal["currency_code"] == "" {
		return nil, false, errs.Invalid("order_by", `amounts of different currencies do not compare: sorting by amount needs a currency_code filter (e.g. currency_code = "EUR")`)
	}
	list, more, err := s.store.ListOpportunities(ctx, q)
	if err != nil {
		return nil, false, err
	}
	today := s.today()
	for i := range list {
		derive(&list[i], today)
	}
	return list, more, nil
}

// Update changes the given fields. Read-only fields are not in Field, so
// they cannot be written. A non-empty etag must match the current one.
// Closed stages are reached only through Win and Lose, an open stage from
// a closed one only through Reopen, and the lines of a won opportunity are
// locked. An update that changes nothing writes nothing.
func (s *Service) Update(ctx context.Context, id string, in Input, fields []Field, etag string) (Opportunity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Opportunity{}, err
	}
	var m Mutation
	if slices.Contains(fields, FieldLines) {
		m.SKUs = skus(in.Lines)
	}
	return s.finish(s.store.MutateOpportunity(ctx, id, m, func(cur Opportunity, products map[string]catalog.Product) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Change{}, err
		}
		next, err := s.apply(cur, in, fields, products)
		if err != nil {
			return Change{}, err
		}
		if sameContent(cur, next) {
			return Change{Unchanged: true}, nil
		}
		next.Version++
		next.UpdateTime = s.now().UTC()
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Opportunity: next, LinesChanged: !sameLines(cur.Lines, next.Lines), Event: ev}, nil
	}))
}

// apply returns cur with the given fields of in applied, or the violations
// and broken rules.
func (s *Service) apply(cur Opportunity, in Input, fields []Field, products map[string]catalog.Product) (Opportunity, error) {
	next := cur
	var v errs.Violations
	var rule error
	for _, f := range fields {
		switch f {
		case FieldName:
			next.Name = strings.TrimSpace(in.Name)
			validName(&v, next.Name)
		case FieldOwner:
			// Stored without surrounding white space, so "ana " is the
			// same owner as "ana" in the reports and their filters.
			next.Owner = strings.TrimSpace(in.Owner)
			validOwner(&v, next.Owner)
		case FieldCampaignID:
			ids.Normalize(&v, string(FieldCampaignID), &in.CampaignID)
			next.CampaignID = in.CampaignID
		case FieldAccountID:
			if named, _ := ids.Canonical(in.AccountID); named != cur.AccountID {
				v.Add("update_mask", "names account_id, which is set at creation and cannot change (opportunity %s is at account %s); "+
					"leave it out, or create the deal at the other account", cur.ID, cur.AccountID)
			}
		case FieldExpectedCloseDate:
			next.ExpectedCloseDate = parseCloseDate(&v, in.ExpectedCloseDate)
		case FieldCurrency:
			if validCurrency(&v, in.Currency) {
				next.Currency = in.Currency
			}
		case FieldStage:
			switch {
			case in.Stage == StageUnspecified || in.Stage == cur.Stage:
				// not given, or unchanged
			case !in.Stage.Valid():
				v.Add(string(FieldStage), "unknown stage %q", in.Stage)
			case in.Stage.Closed():
				v.Add(string(FieldStage), "%s cannot be set by update; use :win or :lose", in.Stage)
			case cur.Stage.Closed():
				rule = errs.FailedPreconditionf("opportunity %s is %s; use :reopen to put it back into the pipeline", cur.ID, cur.Stage)
			default:
				next.Stage = in.Stage
			}
		}
	}
	if slices.Contains(fields, FieldProbability) && in.Probability != nil {
		validProbability(&v, *in.Probability)
		next.Probability = *in.Probability
		// A closed deal's probability is its stage's (won 100, lost 0),
		// as :win and :lose set it; only a write that leaves it as it is
		// (or puts the stage's back) goes through.
		if cur.Stage.Closed() && next.Probability != cur.Probability && next.Probability != DefaultProbability(cur.Stage) && rule == nil {
			rule = errs.FailedPreconditionf("opportunity %s is %s and its probability is fixed at %d; use :reopen to change it", cur.ID, cur.Stage, DefaultProbability(cur.Stage))
		}
	} else if next.Stage != cur.Stage {
		next.Probability = DefaultProbability(next.Stage)
	}
	_, currencyOK := lookupCurrency(next.Currency)
	switch {
	case slices.Contains(fields, FieldLines):
		next.Lines = buildLines(&v, next.Currency, currencyOK, in.Lines, products)
		// Lines sent back as stored pass, even with a fraction stored
		// before the rule (:win names it); new lines are held to it.
		if !sameLines(cur.Lines, next.Lines) {
			wholeQuantities(&v, next.Lines)
		}
	case next.Currency != cur.Currency && len(cur.Lines) > 0:
		v.Add(string(FieldCurrency), "the lines are priced in %s; send the lines with prices in %s to change the currency", cur.Currency, next.Currency)
	}
	if err := v.Err(); err != nil {
		return Opportunity{}, err
	}
	if rule != nil {
		return Opportunity{}, rule
	}
	if cur.Stage == StageClosedWon && !sameLines(cur.Lines, next.Lines) {
		return Opportunity{}, errs.FailedPreconditionf("the lines of won opportunity %s are locked; lose or reopen it to change them", cur.ID)
	}
	amount, err := total(next.Currency, next.Lines)
	if err != nil {
		return Opportunity{}, err
	}
	next.Amount = amount
	return next, nil
}

// Delete removes an opportunity and its lines. A won opportunity has an
// ERP order behind it and cannot be deleted; lose it first. The
// activities that name it lose it, each as an update of its own.
func (s *Service) Delete(ctx context.Context, id, etag string) error {
	id, err := ids.UUID("id", id)
	if err != nil {
		return err
	}
	return s.store.DeleteOpportunity(ctx, id, func(cur Opportunity, activities []activity.Activity) (Deletion, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Deletion{}, err
		}
		if cur.Stage == StageClosedWon {
			return Deletion{}, errs.FailedPreconditionf("opportunity %s is won and has an ERP order; lose it before deleting it", id)
		}
		var d Deletion
		var err error
		// Activities lose the opportunity as an update of their own.
		if d.Activities, err = s.activities.UnlinkAll(activities, activity.FieldOpportunityID); err != nil {
			return Deletion{}, err
		}
		gone := cur
		gone.Version++
		gone.UpdateTime = s.now().UTC()
		ev, err := s.event(EventDeleted, gone)
		if err != nil {
			return Deletion{}, err
		}
		d.Event = *ev
		return d, nil
	})
}

// Win closes the deal as won: probability 100, close time now and an ERP
// order pending. It needs at least one line, and whole quantities of
// products counted in a count unit (a line stored before that rule must
// be fixed first, or the ERP would refuse the order); a lost deal must be
// reopened first. Winning a won deal returns it unchanged and writes nothing.
func (s *Service) Win(ctx context.Context, id, requestID, etag string) (Opportunity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Opportunity{}, err
	}
	m := Mutation{RequestID: requestID, Method: MethodWin}
	return s.finish(s.store.MutateOpportunity(ctx, id, m, func(cur Opportunity, _ map[string]catalog.Product) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Change{}, err
		}
		switch {
		case cur.Stage == StageClosedWon:
			return Change{Unchanged: true}, nil
		case cur.Stage == StageClosedLost:
			return Change{}, errs.FailedPreconditionf("opportunity %s is closed lost; reopen first", id)
		case len(cur.Lines) == 0:
			return Change{}, errs.FailedPreconditionf("opportunity %s has no lines; add at least one line before winning it", id)
		}
		if err := fractionalLine(cur); err != nil {
			return Change{}, err
		}
		now := s.now().UTC()
		next := cur
		next.Stage = StageClosedWon
		next.Probability = DefaultProbability(StageClosedWon)
		next.CloseTime = now
		next.CloseOwner = cur.Owner
		next.LostReason = ""
		next.Order = rewonOrder(cur.Order, now)
		next.Version++
		next.UpdateTime = now
		ev, err := s.event(EventWon, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Opportunity: next, Event: ev}, nil
	}))
}

// rewonOrder is the order a deal shows when it is won: pending, until the
// bridge writes back the ERP order it places. A deal won again after a
// reopen or a loss had an order already, which keeps its identity (the
// bridge keys orders by opportunity) and its revision guard: a cancelled
// one is followed by a new order, whose revisions are all newer. One that
// is still live (it had started shipping, so it was not cancelled, and
// the deal is won again to keep it) is the deal's order again: it keeps
// its status, and its guard moves back one revision, so that the bridge's
// write of the order's current revision applies again and the lines show
// the fulfilment that losing or reopening the deal cleared.
func rewonOrder(prev *Order, now time.Time) *Order {
	order := &Order{Status: FulfillmentPending, UpdateTime: now}
	if prev == nil {
		return order
	}
	order.ID, order.Number, order.SourceVersion = prev.ID, prev.Number, prev.SourceVersion
	if prev.ID != "" && prev.Status != FulfillmentCancelled && prev.Status != FulfillmentPending {
		order.Status = prev.Status
		order.SourceVersion = max(0, prev.SourceVersion-1)
	}
	return order
}

// Lose closes the deal as lost, from an open stage or from won (the bridge
// then cancels the ERP order, and the lines no longer show its
// fulfilment). Losing a lost deal returns it unchanged.
func (s *Service) Lose(ctx context.Context, id, requestID, etag, reason string) (Opportunity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Opportunity{}, err
	}
	if len([]rune(reason)) > maxLostReason {
		return Opportunity{}, errs.Invalid("lost_reason", "must be at most %d characters", maxLostReason)
	}
	m := Mutation{RequestID: requestID, Method: MethodLose}
	return s.finish(s.store.MutateOpportunity(ctx, id, m, func(cur Opportunity, _ map[string]catalog.Product) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Change{}, err
		}
		if cur.Stage == StageClosedLost {
			return Change{Unchanged: true}, nil
		}
		now := s.now().UTC()
		next := cur
		next.Stage = StageClosedLost
		next.Probability = DefaultProbability(StageClosedLost)
		next.CloseTime = now
		next.CloseOwner = cur.Owner
		next.LostReason = reason
		next.Version++
		next.UpdateTime = now
		var changed bool
		next.Lines, changed = fulfil(cur.Lines, nil)
		ev, err := s.event(EventLost, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Opportunity: next, FulfilmentChanged: changed, Event: ev}, nil
	}))
}

// Reopen puts a closed deal back into the pipeline at stage (negotiation
// when unspecified), with that stage's default probability; its lines no
// longer show the fulfilment of a won deal's order.
func (s *Service) Reopen(ctx context.Context, id, requestID, etag string, stage Stage) (Opportunity, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Opportunity{}, err
	}
	switch {
	case stage == StageUnspecified:
		stage = StageNegotiation
	case !stage.Valid():
		return Opportunity{}, errs.Invalid("stage", "unknown stage %q", stage)
	case stage.Closed():
		return Opportunity{}, errs.Invalid("stage", "must be an open stage, got %s", stage)
	}
	m := Mutation{RequestID: requestID, Method: MethodReopen}
	return s.finish(s.store.MutateOpportunity(ctx, id, m, func(cur Opportunity, _ map[string]catalog.Product) (Change, error) {
		if err := errs.CheckEtag(etag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Change{}, err
		}
		if !cur.Stage.Closed() {
			return Change{}, errs.FailedPreconditionf("opportunity %s is not closed (stage %s)", id, cur.Stage)
		}
		next := cur
		next.Stage = stage
		next.Probability = DefaultProbability(stage)
		next.CloseTime = time.Time{}
		next.CloseOwner = ""
		next.LostReason = ""
		next.Version++
		next.UpdateTime = s.now().UTC()
		var changed bool
		next.Lines, changed = fulfil(cur.Lines, nil)
		ev, err := s.event(EventReopened, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Opportunity: next, FulfilmentChanged: changed, Event: ev}, nil
	}))
}

// SetOrder records the ERP order of an opportunity (a write of the bridge)
// when in.SourceVersion is newer than the revision stored; otherwise it
// returns the opportunity unchanged. It bumps the version but records no
// event, so the bridge does not hear back its own write, unless the
// order's lines (in.Lines) change a won deal's lines and amount: that is
// news for every reader of the feed (the bridge ignores it). A won deal's
// lines also show the fulfilment of the order's lines (see fulfil), which
// is no news: it changes as stock is reserved and shipped. A non-empty
// in.ResetEtag makes the order replace the stored one whatever revision is
// stored, as long as the opportunity's etag is that one (the
// reconciliation's correction of a copy ahead of its source, or of lines
// that show less than the revision's order).
func (s *Service) SetOrder(ctx context.Context, id string, in OrderInput) (Opportunity, error) {
	var v errs.Violations
	id, err := ids.UUID("opportunity_id", id)
	_ = v.Merge("", err)
	if !slices.Contains(FulfillmentStatuses, in.Status) {
		v.Add("status", "is required (a FulfillmentStatus other than UNSPECIFIED)")
	}
	if in.SourceVersion <= 0 {
		v.Add("source_version", "must be positive")
	}
	if len(in.ID) > maxText {
		v.Add("order_id", "must be at most %d characters", maxText)
	}
	if len(in.Number) > maxText {
		v.Add("order_number", "must be at most %d characters", maxText)
	}
	order := orderLines(&v, in.Lines)
	reset, err := errs.ParseEtag("reset_etag", in.ResetEtag)
	_ = v.Merge("", err)
	if err := v.Err(); err != nil {
		return Opportunity{}, err
	}
	var m Mutation
	if len(in.Lines) > 0 {
		m.SKUs = skus(in.Lines)
	}
	return s.finish(s.store.MutateOpportunity(ctx, id, m, func(cur Opportunity, products map[string]catalog.Product) (Change, error) {
		if err := errs.CheckEtag(in.ResetEtag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Change{}, err
		}
		if reset == 0 && cur.Order != nil && cur.Order.SourceVersion >= in.SourceVersion {
			return Change{Unchanged: true}, nil
		}
		now := s.now().UTC()
		next := cur
		next.Order = &Order{ID: in.ID, Number: in.Number, Status: in.Status, UpdateTime: now, SourceVersion: in.SourceVersion}
		next.Version++
		next.UpdateTime = now
		// A won deal's lines follow its order (amended in ERP); the lines
		// are locked against people, not against the order.
		if cur.Stage != StageClosedWon {
			return Change{Opportunity: next}, nil
		}
		// Lines the CRM cannot take (a SKU not in its catalog yet, a price
		// in another currency) leave the deal's lines as they are; the
		// order itself is recorded all the same.
		var v errs.Violations
		lines := buildLines(&v, cur.Currency, true, in.Lines, products)
		if len(in.Lines) == 0 || v.Len() > 0 || sameLines(cur.Lines, lines) {
			var changed bool
			next.Lines, changed = fulfil(cur.Lines, order)
			return Change{Opportunity: next, FulfilmentChanged: changed}, nil
		}
		amount, err := total(cur.Currency, lines)
		if err != nil {
			return Change{}, err
		}
		next.Lines, _ = fulfil(lines, order)
		next.Amount = amount
		ev, err := s.event(EventUpdated, next)
		if err != nil {
			return Change{}, err
		}
		return Change{Opportunity: next, LinesChanged: true, Event: ev}, nil
	}))
}

// SetPaymentStatus records the payment status of a deal's invoices (a
// write of the bridge) when sourceVersion is newer than the version stored;
// otherwise it returns the opportunity unchanged. A newer report with the
// same status only records its version and keeps the etag. No event is
// recorded. A non-empty resetEtag makes the status and sourceVersion
// replace the stored ones whatever version is stored, as long as the
// opportunity's etag is that one (the reconciliation's correction of a
// copy ahead of its source).
func (s *Service) SetPaymentStatus(ctx context.Context, id string, status account.PaymentStatus, sourceVersion int64, resetEtag string) (Opportunity, error) {
	var v errs.Violations
	id, err := ids.UUID("opportunity_id", id)
	_ = v.Merge("", err)
	account.ValidatePaymentStatus(&v, "payment_status", status)
	if sourceVersion <= 0 {
		v.Add("source_version", "must be positive")
	}
	reset, err := errs.ParseEtag("reset_etag", resetEtag)
	_ = v.Merge("", err)
	if err := v.Err(); err != nil {
		return Opportunity{}, err
	}
	return s.finish(s.store.MutateOpportunity(ctx, id, Mutation{}, func(cur Opportunity, _ map[string]catalog.Product) (Change, error) {
		if err := errs.CheckEtag(resetEtag, cur.ETag(), "opportunity "+cur.ID); err != nil {
			return Change{}, err
		}
		if reset == 0 && cur.PaymentVersion >= sourceVersion || cur.PaymentVersion == sourceVersion && cur.PaymentStatus == status {
			return Change{Unchanged: true}, nil
		}
		next := cur
		next.PaymentVersion = sourceVersion
		if status != cur.PaymentStatus {
			next.PaymentStatus = status
			next.Version++
			next.UpdateTime = s.now().UTC()
		}
		return Change{Opportunity: next}, nil
	}))
}

// placeholderAccount stands in for the account of a draft validated before
// the account is known.
const placeholderAccount = "00000000-0000-7000-8000-000000000000"

// CheckDraft validates an opportunity without lines whose account is not
// known yet (lead conversion validates before its transaction). Violations
// name the opportunity's fields.
func (s *Service) CheckDraft(in Input) error {
	if len(in.Lines) > 0 {
		return errs.Invalid("lines", "are not taken here; add them once the opportunity exists")
	}
	in.AccountID = placeholderAccount
	_, err := s.build(in, Refs{AccountExists: true})
	return err
}

// NewDraft builds an opportunity without lines for an account that exists
// (checked by the caller's transaction), with its created event.
func (s *Service) NewDraft(in Input, accountID string) (Opportunity, Event, error) {
	if err := s.CheckDraft(in); err != nil {
		return Opportunity{}, Event{}, err
	}
	in.AccountID = accountID
	o, err := s.build(in, Refs{AccountExists: true})
	if err != nil {
		return Opportunity{}, Event{}, err
	}
	ev, err := s.event(EventCreated, o)
	if err != nil {
		return Opportunity{}, Event{}, err
	}
	return o, *ev, nil
}

// Derive fills the read-time fields (line promise dates) of opportunities
// read by another package's store query.
func (s *Service) Derive(list []Opportunity) {
	today := s.today()
	for i := range list {
		derive(&list[i], today)
	}
}
