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
	ID         int64
	Trigger    string
	StartedAt  time.Time
	FinishedAt time.Time
	// Report is the report as JSON, owned by the flow package.
	Report json.RawMessage
}

// SaveReconciliation stores a report and returns its id.
func (s *Store) SaveReconciliation(ctx context.Context, r Reconciliation) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `
		INSERT INTO reconciliations (trigger, started_at, finished_at, report) VALUES ($1, $2, $3, $4)
		RETURNING id`, r.Trigger, r.StartedAt, r.FinishedAt, []byte(r.Report)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("save reconciliation: %w", err)
	}
	return id, nil
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
		var report []byte
		err := r.Scan(&rec.ID, &rec.Trigger, &rec.StartedAt, &rec.FinishedAt, &report)
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
