// Package report computes the sales reports: pipeline by stage, forecast
// by close month, win rate and sales cycle per owner and month, and the
// lead funnel by source and campaign. Amounts are decimals, grouped per
// currency, never summed across currencies.
package report

import (
	"context"
	"strings"
	"time"

	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/money"
)

// Sums are the raw exact sums the store returns for a group.
type Sums struct {
	Currency string
	Count    int64
	Amount   decimal.Decimal
	// AmountTimesProbability is the sum of amount x probability (percent).
	AmountTimesProbability decimal.Decimal
}

// StageRow is a stage's sums in one currency.
type StageRow struct {
	Stage pipeline.Stage
	Sums
}

// MonthRow is an expected close month's open sums in one currency.
type MonthRow struct {
	Month string // YYYY-MM or ""
	Sums
}

// OwnerRow is the closed deals of an owner (the owner at close) in a
// month in one currency: counts, and sums of amounts.
type OwnerRow struct {
	Owner, Month, Currency string
	Won, Lost              int64
	// WonCycleSeconds is the sum over won deals of close - create time.
	WonCycleSeconds decimal.Decimal
	// WonAmount and LostAmount are the sums of the amounts of the won and
	// the lost deals.
	WonAmount, LostAmount decimal.Decimal
}

// FunnelRow counts leads of a source and campaign.
type FunnelRow struct {
	Source, CampaignID string
	Leads, Converted   int64
	WonOpportunities   int64
}

// Raw is everything the store aggregates, in report order (owners by
// owner, month and currency).
type Raw struct {
	Stages []StageRow
	Months []MonthRow
	Owners []OwnerRow
	Funnel []FunnelRow
}

// DateRange is an inclusive range of dates (YYYY-MM-DD); an empty end is
// open.
type DateRange struct {
	Start, End string
}

// Filter narrows a report; empty fields do not filter.
type Filter struct {
	// Owner narrows opportunities and leads.
	Owner string
	// Currency narrows opportunities.
	Currency string
	// CampaignID narrows opportunities and leads.
	CampaignID string
	// Source narrows leads.
	Source string
	// ExpectedClose narrows the opportunities of the stages and forecast.
	ExpectedClose DateRange
	// Closed narrows the closed deals per owner by the date of close in
	// TimeZone. Owner narrows them by the owner at close.
	Closed DateRange
	// LeadCreated narrows the leads of the funnel by the date of creation
	// in TimeZone.
	LeadCreated DateRange
	// TimeZone is the IANA zone in which close and lead creation times
	// fall into dates and months (the owners' months, Closed and
	// LeadCreated); empty is UTC, and Check writes a name of UTC as empty.
	TimeZone string
}

// Zone is the zone the store groups and filters times in: TimeZone, or
// UTC.
func (f Filter) Zone() string {
	if f.TimeZone == "" {
		return "UTC"
	}
	return f.TimeZone
}

// Field names of the filter, as the request names them.
const (
	FieldOwner              = "owner"
	FieldCurrency           = "currency_code"
	FieldCampaignID         = "campaign_id"
	FieldSource             = "source"
	FieldExpectedCloseStart = "expected_close_start_date"
	FieldExpectedCloseEnd   = "expected_close_end_date"
	FieldCloseStart         = "close_start_date"
	FieldCloseEnd           = "close_end_date"
	FieldLeadCreateStart    = "lead_create_start_date"
	FieldLeadCreateEnd      = "lead_create_end_date"
	FieldTimeZone           = "time_zone"
)

const maxText = 200

// Check validates f, naming every bad field, and writes its owner without
// surrounding white space and its campaign id in the canonical form.
func (f *Filter) Check() error {
	var v errs.Violations
	// Owners are stored trimmed; so is the one asked for.
	f.Owner = strings.TrimSpace(f.Owner)
	for _, t := range []struct{ field, value string }{{FieldOwner, f.Owner}, {FieldSource, f.Source}} {
		if len([]rune(t.value)) > maxText {
			v.Add(t.field, "must be at most %d characters", maxText)
		}
	}
	if f.Currency != "" {
		if err := money.CheckCode(f.Currency); err != nil {
			v.Add(FieldCurrency, "%v", err)
		}
	}
	ids.Normalize(&v, FieldCampaignID, &f.CampaignID)
	f.ExpectedClose.check(&v, FieldExpectedCloseStart, FieldExpectedCloseEnd)
	f.Closed.check(&v, FieldCloseStart, FieldCloseEnd)
	f.LeadCreated.check(&v, FieldLeadCreateStart, FieldLeadCreateEnd)
	f.checkZone(&v)
	return v.Err()
}

// checkZone validates TimeZone: an IANA zone name the time zone database
// knows ("Local", the server's own zone, is not one a caller can mean).
// Names of UTC become empty, so such a filter is no filter.
func (f *Filter) checkZone(v *errs.Violations) {
	if f.TimeZone == "" {
		return
	}
	loc, err := time.LoadLocation(f.TimeZone)
	switch {
	case len(f.TimeZone) > maxText:
		v.Add(FieldTimeZone, "must be at most %d characters", maxText)
	case err != nil || f.TimeZone == "Local" || strings.ContainsAny(f.TimeZone, " \t\n"):
		v.Add(FieldTimeZone, "unknown time zone %q: give an IANA name such as \"Europe/Berlin\" or \"America/New_York\"", f.TimeZone)
	case loc == time.UTC || f.TimeZone == "Etc/UTC":
		f.TimeZone = ""
	}
}

func (r DateRange) check(v *errs.Violations, startField, endField string) {
	var start, end time.Time
	var err error
	if r.Start != "" {
		if start, err = civil.ParseDate(r.Start); err != nil {
			v.Add(startField, "%v", err)
		}
	}
	if r.End != "" {
		if end, err = civil.ParseDate(r.End); err != nil {
			v.Add(endField, "%v", err)
		}
	}
	if !start.IsZero() && !end.IsZero() && end.Before(start) {
		v.Add(endField, "%s is before %s %s", r.End, startField, r.Start)
	}
}

// Store aggregates in one snapshot.
type Store interface {
	// PipelineAggregates aggregates what f selects (f is valid).
	PipelineAggregates(ctx context.Context, f Filter) (Raw, error)
}

// Total is a group's count and amounts in one currency.
type Total struct {
	Count            int64
	Amount, Weighted money.Money
}

// Stage is a stage's totals in one currency.
type Stage struct {
	Stage pipeline.Stage
	Total
}

// Month is a close month's open totals in one currency.
type Month struct {
	Month string
	Total
}

// Owner is an owner's results in a month: the deals the owner closed.
type Owner struct {
	Owner, Month string
	Won, Lost    int64
	WinRate      decimal.Decimal
	// AverageCycleDays is nil without a won deal.
	AverageCycleDays *decimal.Decimal
	// WonAmounts and LostAmounts are the sums of the amounts of the won
	// and the lost deals, one per currency that has such a deal, in
	// currency order.
	WonAmounts, LostAmounts []money.Money
}

// Funnel is a source and campaign's conversion.
type Funnel struct {
	FunnelRow
	ConversionRate decimal.Decimal
}

// Pipeline is the pipeline report.
type Pipeline struct {
	Stages []Stage
	Months []Month
	Owners []Owner
	Funnel []Funnel
}

// Service computes reports.
type Service struct{ store Store }

// NewService returns a Service on store.
func NewService(store Store) *Service { return &Service{store: store} }

var hundred = decimal.NewFromInt(100)

// TotalOf turns raw sums into money: the weighted amount is rounded once.
func TotalOf(s Sums) Total {
	return Total{
		Count:    s.Count,
		Amount:   money.Money{Currency: s.Currency, Amount: s.Amount},
		Weighted: money.Money{Currency: s.Currency, Amount: money.Round(s.AmountTimesProbability.Div(hundred), s.Currency)},
	}
}

// Owners merges the rows of each owner and month (consecutive in rows)
// over their currencies: counts, win rate and sales cycle of all of them,
// amounts per currency.
func Owners(rows []OwnerRow) []Owner {
	var out []Owner
	var cycle decimal.Decimal
	day := decimal.NewFromInt(86400)
	finish := func() {
		o := &out[len(out)-1]
		o.WinRate = Rate(o.Won, o.Won+o.Lost)
		if o.Won > 0 {
			avg := cycle.DivRound(day.Mul(decimal.NewFromInt(o.Won)), 2)
			o.AverageCycleDays = &avg
		}
	}
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].Owner != r.Owner || out[n-1].Month != r.Month {
			if n > 0 {
				finish()
			}
			out = append(out, Owner{Owner: r.Owner, Month: r.Month})
			cycle = decimal.Zero
		}
		o := &out[len(out)-1]
		o.Won += r.Won
		o.Lost += r.Lost
		cycle = cycle.Add(r.WonCycleSeconds)
		if r.Won > 0 {
			o.WonAmounts = append(o.WonAmounts, money.Money{Currency: r.Currency, Amount: r.WonAmount})
		}
		if r.Lost > 0 {
			o.LostAmounts = append(o.LostAmounts, money.Money{Currency: r.Currency, Amount: r.LostAmount})
		}
	}
	if len(out) > 0 {
		finish()
	}
	return out
}

// Rate is part / whole to 4 decimals (0 when whole is 0).
func Rate(part, whole int64) decimal.Decimal {
	if whole == 0 {
		return decimal.Zero
	}
	return decimal.NewFromInt(part).DivRound(decimal.NewFromInt(whole), 4)
}

// Pipeline computes the pipeline report of what f selects.
func (s *Service) Pipeline(ctx context.Context, f Filter) (Pipeline, error) {
	if err := f.Check(); err != nil {
		return Pipeline{}, err
	}
	raw, err := s.store.PipelineAggregates(ctx, f)
	if err != nil {
		return Pipeline{}, err
	}
	var out Pipeline
	for _, r := range raw.Stages {
		out.Stages = append(out.Stages, Stage{Stage: r.Stage, Total: TotalOf(r.Sums)})
	}
	for _, r := range raw.Months {
		out.Months = append(out.Months, Month{Month: r.Month, Total: TotalOf(r.Sums)})
	}
	out.Owners = Owners(raw.Owners)
	for _, r := range raw.Funnel {
		out.Funnel = append(out.Funnel, Funnel{FunnelRow: r, ConversionRate: Rate(r.Converted, r.Leads)})
	}
	return out, nil
}
