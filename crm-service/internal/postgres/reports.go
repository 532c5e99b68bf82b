package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seamhq/seam/crm-service/internal/report"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

var _ report.Store = (*Store)(nil)

// Report queries aggregate whole tables (numeric sums, exact); they run in
// one read-only repeatable-read transaction so the sections agree. Each
// filter is a parameter that does not filter when it is empty.
const (
	stageOrderSQL = `array_position(ARRAY['prospecting', 'qualification', 'proposal', 'negotiation', 'closed_won', 'closed_lost'], stage)`

	// opportunityFilterSQL: $1 owner, $2 currency, $3 campaign id.
	opportunityFilterSQL = `($1 = '' OR owner = $1) AND ($2 = '' OR currency_code = $2)
  AND ($3 = '' OR campaign_id = nullif($3, '')::uuid)`

	// expectedCloseSQL: $4 and $5, the range of expected close dates.
	expectedCloseSQL = ` AND ($4 = '' OR expected_close_date >= nullif($4, '')::date)
  AND ($5 = '' OR expected_close_date <= nullif($5, '')::date)`

	reportStagesSQL = `SELECT stage, currency_code, count(*), sum(amount), sum(amount * probability)
FROM opportunities WHERE ` + opportunityFilterSQL + expectedCloseSQL + `
GROUP BY stage, currency_code ORDER BY ` + stageOrderSQL + `, currency_code`

	reportMonthsSQL = `SELECT coalesce(to_char(expected_close_date, 'YYYY-MM'), '') AS month, currency_code, count(*),
  sum(amount), sum(amount * probability)
FROM opportunities WHERE stage NOT IN ('closed_won', 'closed_lost') AND ` + opportunityFilterSQL + expectedCloseSQL + `
GROUP BY month, currency_code ORDER BY month, currency_code`

	// $6: the time zone whose dates and months the close times fall in.
	closedAtSQL = `coalesce(close_time, update_time) AT TIME ZONE $6`

	// Closed deals count for the owner who closed them (close_owner, kept
	// by a trigger of migration 0030), whoever owns them now. $1 owner,
	// $2 currency, $3 campaign id, $4 and $5 the range of close dates.
	reportOwnersSQL = `SELECT close_owner, to_char(` + closedAtSQL + `, 'YYYY-MM') AS month, currency_code,
  count(*) FILTER (WHERE stage = 'closed_won'), count(*) FILTER (WHERE stage = 'closed_lost'),
  coalesce(sum(extract(epoch FROM coalesce(close_time, update_time) - create_time)) FILTER (WHERE stage = 'closed_won'), 0),
  coalesce(sum(amount) FILTER (WHERE stage = 'closed_won'), 0), coalesce(sum(amount) FILTER (WHERE stage = 'closed_lost'), 0)
FROM opportunities WHERE stage IN ('closed_won', 'closed_lost') AND close_owner IS NOT NULL
  AND ($1 = '' OR close_owner = $1) AND ($2 = '' OR currency_code = $2)
  AND ($3 = '' OR campaign_id = nullif($3, '')::uuid)
  AND ($4 = '' OR (` + closedAtSQL + `)::date >= nullif($4, '')::date)
  AND ($5 = '' OR (` + closedAtSQL + `)::date <= nullif($5, '')::date)
GROUP BY close_owner, month, currency_code ORDER BY close_owner COLLATE "C", month, currency_code COLLATE "C"`

	// $1 owner, $2 campaign id, $3 source, $4 and $5 the range of
	// creation dates in the time zone $6.
	reportFunnelSQL = `SELECT l.source, l.campaign_id, count(*), count(*) FILTER (WHERE l.status = 'converted'),
  count(o.id) FILTER (WHERE o.stage = 'closed_won')
FROM leads l LEFT JOIN opportunities o ON o.id = l.converted_opportunity_id
WHERE ($1 = '' OR l.owner = $1) AND ($2 = '' OR l.campaign_id = $2) AND ($3 = '' OR l.source = $3)
  AND ($4 = '' OR (l.create_time AT TIME ZONE $6)::date >= nullif($4, '')::date)
  AND ($5 = '' OR (l.create_time AT TIME ZONE $6)::date <= nullif($5, '')::date)
GROUP BY l.source, l.campaign_id ORDER BY l.source COLLATE "C", l.campaign_id COLLATE "C"`
)

// PipelineAggregates implements report.Store.
func (s *Store) PipelineAggregates(ctx context.Context, f report.Filter) (report.Raw, error) {
	if f == (report.Filter{}) {
		return s.pipelineTotals(ctx) // maintained totals, no scan
	}
	var raw report.Raw
	// One snapshot for every section, in one round trip (BEGIN and
	// COMMIT travel with the queries).
	err := pg.SendTxOptions(ctx, s.pool, snapshotTx, func(b *pgx.Batch) {
		raw = report.Raw{}
		collect(b, reportStagesSQL, scanStage, &raw.Stages, f.Owner, f.Currency, f.CampaignID, f.ExpectedClose.Start, f.ExpectedClose.End)
		collect(b, reportMonthsSQL, scanMonth, &raw.Months, f.Owner, f.Currency, f.CampaignID, f.ExpectedClose.Start, f.ExpectedClose.End)
		collect(b, reportOwnersSQL, scanOwner, &raw.Owners, f.Owner, f.Currency, f.CampaignID, f.Closed.Start, f.Closed.End, f.Zone())
		collect(b, reportFunnelSQL, scanFunnel, &raw.Funnel, f.Owner, f.CampaignID, f.Source, f.LeadCreated.Start, f.LeadCreated.End, f.Zone())
	})
	if err != nil {
		// A zone Go knows but this server's time zone database does not.
		if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "22023" && f.TimeZone != "" {
			return report.Raw{}, errs.Invalid(report.FieldTimeZone, "unknown time zone %q: the database does not know it", f.TimeZone)
		}
		return report.Raw{}, fmt.Errorf("report: %w", err)
	}
	return raw, nil
}
