package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/erp-service/internal/ledger"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
)

// periodChangeCols selects a ledger_period_changes row.
const periodChangeCols = `id, action, through_date, previous_through_date, reason, actor, change_time`

func scanPeriodChange(row pgx.Row) (ledger.PeriodChange, error) {
	var c ledger.PeriodChange
	var through, previous *time.Time
	if err := row.Scan(&c.ID, &c.Action, &through, &previous, &c.Reason, &c.Actor, &c.Time); err != nil {
		return ledger.PeriodChange{}, err
	}
	if through != nil {
		c.Through = *through
	}
	if previous != nil {
		c.Previous = *previous
	}
	return c, nil
}

// GetPeriod implements ledger.PeriodStore.
func (s *Store) GetPeriod(ctx context.Context) (ledger.Period, error) {
	var p ledger.Period
	var closed *time.Time
	err := s.pool.QueryRow(ctx, `SELECT closed_through FROM ledger_period`).Scan(&closed)
	if err != nil {
		return ledger.Period{}, fmt.Errorf("get ledger period: %w", err)
	}
	if closed != nil {
		p.ClosedThrough = *closed
	}
	p.LastChange, err = scanPeriodChange(s.pool.QueryRow(ctx, `SELECT `+periodChangeCols+`
		FROM ledger_period_changes ORDER BY seq DESC LIMIT 1`))
	if err != nil && !pg.IsNoRows(err) {
		return ledger.Period{}, fmt.Errorf("get ledger period: %w", err)
	}
	return p, nil
}

// periodAfter is the period a change left: closed through its day.
func (s *Store) periodAfter(ctx context.Context, id string) (ledger.Period, error) {
	c, err := scanPeriodChange(s.pool.QueryRow(ctx, `SELECT `+periodChangeCols+`
		FROM ledger_period_changes WHERE id = $1`, id))
	if err != nil {
		return ledger.Period{}, fmt.Errorf("ledger period change %s: %w", id, err)
	}
	return ledger.Period{ClosedThrough: c.Through, LastChange: c}, nil
}

// ClosePeriod implements ledger.PeriodStore.
func (s *Store) ClosePeriod(ctx context.Context, through time.Time, id, requestID string) (ledger.Period, error) {
	return s.changePeriod(ctx, "ClosePeriod", ledger.PeriodChange{ID: id, Action: ledger.ActionClose, Through: through}, requestID)
}

// ReopenPeriod implements ledger.PeriodStore.
func (s *Store) ReopenPeriod(ctx context.Context, through time.Time, reason, id, requestID string) (ledger.Period, error) {
	return s.changePeriod(ctx, "ReopenPeriod", ledger.PeriodChange{ID: id, Action: ledger.ActionReopen, Through: through, Reason: reason}, requestID)
}

// changePeriod closes or reopens: it takes the period's advisory lock
// exclusively, which waits for every posting holding it shared to commit
// and makes every later one wait for the change, then the period row FOR
// UPDATE; it checks the move against the day it finds, and records it.
func (s *Store) changePeriod(ctx context.Context, method string, c ledger.PeriodChange, requestID string) (ledger.Period, error) {
	c.Actor = auth.Actor(ctx)
	var cl claim
	var current *time.Time
	var today time.Time
	err := inTx(ctx, s.pool, func(b *pgx.Batch) {
		cl = claim{requestID: requestID, method: method, resourceID: c.ID, digest: requestid.FromContext(ctx)}
		current = nil
		b.Queue(`SELECT pg_advisory_xact_lock(` + periodLockSpace + `, 0)`)
		b.Queue(`SELECT closed_through, (now() AT TIME ZONE 'UTC')::date FROM ledger_period FOR UPDATE`).
			QueryRow(func(row pgx.Row) error { return row.Scan(&current, &today) })
		cl.queue(b)
	}, func(tx pgx.Tx) error {
		var cur time.Time
		if current != nil {
			cur = *current
		}
		var err error
		if c.Action == ledger.ActionClose {
			err = ledger.CheckClose(cur, c.Through, today)
		} else {
			err = ledger.CheckReopen(cur, c.Through)
		}
		if err != nil {
			return err
		}
		through, previous := nullDate(c.Through), nullDate(cur)
		var b pgx.Batch
		b.Queue(`UPDATE ledger_period SET closed_through = $1`, through)
		b.Queue(`INSERT INTO ledger_period_changes (id, action, through_date, previous_through_date, reason, actor)
			VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Action, through, previous, c.Reason, c.Actor)
		if err := tx.SendBatch(ctx, &b).Close(); err != nil {
			return fmt.Errorf("%s: %w", method, err)
		}
		return nil
	})
	switch {
	case claimLost(err):
		prev, err := s.previous(ctx, requestID, method)
		if err != nil {
			return ledger.Period{}, err
		}
		return s.periodAfter(ctx, prev)
	case err != nil:
		return ledger.Period{}, err
	}
	return s.periodAfter(ctx, c.ID)
}

// nullDate is t as a date argument, NULL for the zero time.
func nullDate(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// ListPeriodChanges implements ledger.PeriodStore.
func (s *Store) ListPeriodChanges(ctx context.Context, q ledger.PeriodQuery) ([]ledger.PeriodChange, bool, error) {
	var after any
	if q.After != "" {
		if !canonicalID(&q.After) {
			return nil, false, errs.Invalid("page_token", "is not a token returned by this list")
		}
		after = q.After
	}
	rows, err := s.pool.Query(ctx, `SELECT `+periodChangeCols+` FROM ledger_period_changes
		WHERE $1::uuid IS NULL OR seq < (SELECT seq FROM ledger_period_changes WHERE id = $1::uuid)
		ORDER BY seq DESC LIMIT $2`, after, q.PageSize+1)
	if err != nil {
		return nil, false, fmt.Errorf("list ledger period changes: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (ledger.PeriodChange, error) { return scanPeriodChange(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list ledger period changes: %w", err)
	}
	more := len(out) > q.PageSize
	if more {
		out = out[:q.PageSize]
	}
	return out, more, nil
}
