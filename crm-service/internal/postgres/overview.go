package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

var _ overview.Store = (*Store)(nil)

// collect queues a query whose rows scan into *out.
func collect[T any](b *pgx.Batch, sql string, scan func(pgx.Row) (T, error), out *[]T, args ...any) {
	b.Queue(sql, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return err
			}
			*out = append(*out, v)
		}
		return rows.Err()
	})
}

// snapshotTx is the transaction a read of several statements runs in
// (pg.SendTxOptions), one snapshot for all of them: in an overview, a deal
// won meanwhile is in the open opportunities or in the orders, never in
// both or neither, and a deal's lines are the ones of its amount; in the
// pipeline report, every section counts the same deals.
var snapshotTx = pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}

// overviewLine is an opportunity line and the opportunity it is of.
type overviewLine struct {
	opp  string
	line pipeline.Line
}

// AccountOverview implements overview.Store: one batch, so one round trip,
// each query on an index of the account's id. The batch is one read-only
// repeatable-read transaction, its BEGIN and COMMIT included
// (pg.SendTxOptions), so every list is of the same moment. Opportunity
// lines come in the same batch for the opportunities the other queries
// pick.
func (s *Store) AccountOverview(ctx context.Context, id string, l overview.Limits) (overview.Overview, error) {
	var ov overview.Overview
	var found bool
	var lines []overviewLine
	err := pg.SendTxOptions(ctx, s.pool, snapshotTx, func(b *pgx.Batch) {
		ov, found, lines = overview.Overview{}, false, nil
		queueOverview(b, id, l, &ov, &found, &lines)
	})
	if err != nil {
		return overview.Overview{}, fmt.Errorf("account overview %s: %w", id, err)
	}
	if !found {
		return overview.Overview{}, errs.NotFoundf("account %q", id)
	}
	at := map[string]*pipeline.Opportunity{}
	for i := range ov.OpenOpportunities {
		at[ov.OpenOpportunities[i].ID] = &ov.OpenOpportunities[i]
	}
	for i := range ov.Orders {
		at[ov.Orders[i].ID] = &ov.Orders[i]
	}
	for _, l := range lines {
		if o := at[l.opp]; o != nil {
			l.line.UnitPrice.Currency, l.line.Amount.Currency = o.Currency, o.Currency
			o.Lines = append(o.Lines, l.line)
		}
	}
	return ov, nil
}

// queueOverview queues the statements of an overview into b; their rows
// fill ov, found and lines.
func queueOverview(b *pgx.Batch, id string, l overview.Limits, ov *overview.Overview, found *bool, lines *[]overviewLine) {
	b.Queue(`SELECT `+accountCols+` FROM accounts WHERE id = $1`, id).QueryRow(func(row pgx.Row) error {
		a, err := scanAccount(row)
		if pg.IsNoRows(err) {
			return nil
		}
		ov.Account, *found = a, err == nil
		return err
	})
	collect(b, `SELECT `+contactCols+` FROM contacts WHERE account_id = $1 ORDER BY id LIMIT $2`,
		func(r pgx.Row) (contact.Contact, error) { return scanContact(r) }, &ov.Contacts, id, l.Contacts)
	const openOpps = `SELECT ` + opportunityCols + ` FROM opportunities
WHERE account_id = $1 AND stage NOT IN ('closed_won', 'closed_lost') ORDER BY id LIMIT $2`
	const orders = `SELECT ` + opportunityCols + ` FROM opportunities
WHERE account_id = $1 AND stage = 'closed_won' AND order_status IS NOT NULL ORDER BY close_time DESC, id DESC LIMIT $2`
	collect(b, openOpps, scanOpportunity, &ov.OpenOpportunities, id, l.OpenOpportunities)
	collect(b, orders, scanOpportunity, &ov.Orders, id, l.Orders)
	b.Queue(`SELECT `+lineCols+`
FROM opportunity_lines l JOIN products p ON p.sku = l.sku
WHERE l.opportunity_id IN (SELECT id FROM (`+openOpps+`) o UNION ALL SELECT id FROM (`+orders+`) w)
ORDER BY l.opportunity_id, l.position`, id, max(l.OpenOpportunities, l.Orders)).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			opp, line, err := scanLine(rows)
			if err != nil {
				return err
			}
			*lines = append(*lines, overviewLine{opp, line})
		}
		return rows.Err()
	})
	collect(b, `SELECT `+activityCols+` FROM activities WHERE account_id = $1 ORDER BY id DESC LIMIT $2`,
		func(r pgx.Row) (activity.Activity, error) { return scanActivity(r) }, &ov.RecentActivities, id, l.RecentActivities)
	collect(b, `SELECT `+caseCols+caseFrom+`
WHERE c.account_id = $1 AND c.status NOT IN ('resolved', 'closed') ORDER BY c.sla_due_time, c.id LIMIT $2`,
		func(r pgx.Row) (servicecase.Case, error) { return scanCase(r) }, &ov.OpenCases, id, l.OpenCases)
}
