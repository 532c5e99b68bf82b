package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/report"
	"github.com/seamhq/seam/platform/pg"
)

// The unfiltered pipeline report reads the totals the triggers of
// migration 0012 maintain (owners by owner at close and currency since
// 0030), summed over their slots (migration 0016), in
// the order of the raw aggregation.
const (
	totalsStagesSQL = `SELECT stage, currency_code, sum(count), sum(amount), sum(amount_times_probability)
FROM pipeline_stage_totals GROUP BY stage, currency_code HAVING sum(count) > 0
ORDER BY ` + stageOrderSQL + `, currency_code`

	totalsMonthsSQL = `SELECT month, currency_code, sum(count), sum(amount), sum(amount_times_probability)
FROM pipeline_month_totals GROUP BY month, currency_code HAVING sum(count) > 0 ORDER BY month, currency_code`

	// By owner at close (migration 0030), month and currency.
	totalsOwnersSQL = `SELECT owner, month, currency_code, sum(won), sum(lost), sum(won_cycle_seconds), sum(won_amount), sum(lost_amount)
FROM pipeline_owner_totals GROUP BY owner, month, currency_code HAVING sum(won) + sum(lost) > 0
ORDER BY owner COLLATE "C", month, currency_code COLLATE "C"`

	totalsFunnelSQL = `SELECT source, campaign_id, leads, converted, won
FROM lead_funnel_totals WHERE leads > 0 ORDER BY source COLLATE "C", campaign_id COLLATE "C"`
)

// pipelineTotals is PipelineAggregates without a filter, from the totals.
func (s *Store) pipelineTotals(ctx context.Context) (report.Raw, error) {
	var raw report.Raw
	// One snapshot for every section, in one round trip (BEGIN and
	// COMMIT travel with the queries).
	err := pg.SendTxOptions(ctx, s.pool, snapshotTx, func(b *pgx.Batch) {
		raw = report.Raw{}
		collect(b, totalsStagesSQL, scanStage, &raw.Stages)
		collect(b, totalsMonthsSQL, scanMonth, &raw.Months)
		collect(b, totalsOwnersSQL, scanOwner, &raw.Owners)
		collect(b, totalsFunnelSQL, scanFunnel, &raw.Funnel)
	})
	if err != nil {
		return report.Raw{}, fmt.Errorf("report: %w", err)
	}
	return raw, nil
}

// Scanners of the pipeline report's sections, for collect: the same
// columns whether a section is read from the maintained totals or from
// the rows.
func scanStage(row pgx.Row) (r report.StageRow, err error) {
	err = row.Scan(&r.Stage, &r.Currency, &r.Count, &r.Amount, &r.AmountTimesProbability)
	return r, err
}

func scanMonth(row pgx.Row) (r report.MonthRow, err error) {
	err = row.Scan(&r.Month, &r.Currency, &r.Count, &r.Amount, &r.AmountTimesProbability)
	return r, err
}

func scanOwner(row pgx.Row) (r report.OwnerRow, err error) {
	err = row.Scan(&r.Owner, &r.Month, &r.Currency, &r.Won, &r.Lost, &r.WonCycleSeconds, &r.WonAmount, &r.LostAmount)
	return r, err
}

func scanFunnel(row pgx.Row) (r report.FunnelRow, err error) {
	err = row.Scan(&r.Source, &r.CampaignID, &r.Leads, &r.Converted, &r.WonOpportunities)
	return r, err
}
