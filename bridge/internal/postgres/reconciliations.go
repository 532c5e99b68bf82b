package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconciliation is a stored report.
type Reconciliation struct {
	ID        int64
	Trigger   string
	StartedAt time.Time
	// FinishedAt is zero while the pass runs.
	FinishedAt time.Time
	// Report is the report as JSON, owned by the flow package.
	Report json.RawMessage
}

// StartReconciliation stores a pass that has begun and returns its id.
func (s *Store) StartReconciliation(ctx context.Context, r Reconciliation) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO reconciliations (trigger, started_at, report) VALUES ($1, $2, $3)
		RETURNING id`, r.Trigger, r.StartedAt, []byte(r.Report)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("start reconciliation: %w", err)
	}
	return id, nil
}

// FinishReconciliation stores the report of a pass that has ended.
func (s *Store) FinishReconciliation(ctx context.Context, r Reconciliation) error {
	_, err := s.pool.Exec(ctx, `UPDATE reconciliations SET finished_at = $2, report = $3 WHERE id = $1`,
		r.ID, r.FinishedAt, []byte(r.Report))
	if err != nil {
		return fmt.Errorf("finish reconciliation %d: %w", r.ID, err)
	}
	return nil
}

// AbandonReconciliations ends the passes stored as running, with error as
// their report's error: a new lease term begins, so the replica that ran
// them has stopped. It returns how many there were.
func (s *Store) AbandonReconciliations(ctx context.Context, error string) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		UPDATE reconciliations SET finished_at = now(), report = report || jsonb_build_object('error', $1::text)
		WHERE finished_at IS NULL`, error)
	if err != nil {
		return 0, fmt.Errorf("abandon reconciliations: %w", err)
	}
	return tag.RowsAffected(), nil
}

// Reconciliations lists reports newest first, before the id beforeID
// (0 for the newest).
func (s *Store) Reconciliations(ctx context.Context, beforeID int64, limit int) ([]Reconciliation, error) {
	if beforeID <= 0 {
		beforeID = 1<<63 - 1
	}
	rows, err := s.pool.Query(ctx, `
		SELECT id, trigger, started_at, finished_at, report FROM reconciliations
		WHERE id < $1 ORDER BY id DESC LIMIT $2`, beforeID, limit)
	if err != nil {
		return nil, fmt.Errorf("list reconciliations: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Reconciliation, error) {
		var rec Reconciliation
		var finished *time.Time
		var report []byte
		err := r.Scan(&rec.ID, &rec.Trigger, &rec.StartedAt, &finished, &report)
		if finished != nil {
			rec.FinishedAt = *finished
		}
		rec.Report = report
		return rec, err
	})
	if err != nil {
		return nil, fmt.Errorf("list reconciliations: %w", err)
	}
	return out, nil
}

// Reconciliation returns one report.
func (s *Store) Reconciliation(ctx context.Context, id int64) (Reconciliation, bool, error) {
	list, err := s.Reconciliations(ctx, id+1, 1)
	if err != nil || len(list) == 0 || list[0].ID != id {
		return Reconciliation{}, false, err
	}
	return list[0], true, nil
}
