package postgres

import (
	"context"
	"fmt"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/audit"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/errs"
)

var _ audit.Store = (*Store)(nil)

// The audit triggers of migration 0008 read the actor from the
// transaction-local setting crm.actor.
const setActorSQL = `SELECT set_config('crm.actor', $1, true)`

// setActor records the caller as the actor of tx's audited writes.
func setActor(ctx context.Context, tx pgx.Tx) error {
	if _, err := tx.Exec(ctx, setActorSQL, auth.Actor(ctx)); err != nil {
		return fmt.Errorf("set actor: %w", err)
	}
	return nil
}

// queueActor is setActor as part of a batch, costing no round trip.
func queueActor(ctx context.Context, b *pgx.Batch) {
	b.Queue(setActorSQL, auth.Actor(ctx))
}

// ListAuditEntries implements audit.Store.
func (s *Store) ListAuditEntries(ctx context.Context, q audit.Query) ([]audit.Entry, bool, error) {
	sql := `SELECT id, resource, field, coalesce(old_value, ''), coalesce(new_value, ''), actor, change_time FROM audit_entries WHERE id > $1`
	args := []any{q.After}
	if q.Resource != "" {
		sql += ` AND resource = $2`
		args = append(args, q.Resource)
	}
	args = append(args, q.Limit+1)
	sql += ` ORDER BY id LIMIT $` + strconv.Itoa(len(args))
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list audit entries: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.Entry, error) {
		var e audit.Entry
		err := row.Scan(&e.ID, &e.Resource, &e.Field, &e.OldValue, &e.NewValue, &e.Actor, &e.Time)
		return e, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("list audit entries: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

// ListStageChanges implements audit.Store.
func (s *Store) ListStageChanges(ctx context.Context, q audit.StageQuery) ([]audit.StageChange, bool, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, coalesce(from_stage, ''), to_stage, actor, change_time FROM opportunity_stage_changes
WHERE opportunity_id = $1 AND id > $2 ORDER BY id LIMIT $3`, q.OpportunityID, q.After, q.Limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("list stage changes: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (audit.StageChange, error) {
		var c audit.StageChange
		err := row.Scan(&c.ID, &c.From, &c.To, &c.Actor, &c.Time)
		return c, err
	})
	if err != nil {
		return nil, false, fmt.Errorf("list stage changes: %w", err)
	}
	if len(list) == 0 && q.After == 0 {
		// Every opportunity has its first stage from its create on, and
		// keeps its history when deleted: an empty first page means an
		// id no opportunity ever had, unless one still exists without.
		var exists bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM opportunities WHERE id = $1)`, q.OpportunityID).Scan(&exists); err != nil {
			return nil, false, fmt.Errorf("list stage changes: %w", err)
		}
		if !exists {
			return nil, false, errs.NotFoundf("opportunity %q", q.OpportunityID)
		}
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}
