package postgres

import (
	"context"
	"fmt"

	"github.com/seamhq/seam/platform/pg"
)

// DecisionTask returns the CRM task recorded as raised for a person to
// decide on order orderID of an opportunity.
func (s *Store) DecisionTask(ctx context.Context, opportunityID, orderID string) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT task_id FROM decision_tasks WHERE opportunity_id = $1 AND erp_order_id = $2`,
		opportunityID, orderID).Scan(&id)
	if pg.IsNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read the decision task of order %s: %w", orderID, err)
	}
	return id, true, nil
}

// RecordDecisionTask records the CRM task raised for a person to decide on
// order orderID (number) of an opportunity, replacing an earlier one.
func (s *Store) RecordDecisionTask(ctx context.Context, opportunityID, orderID, number, taskID string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO decision_tasks (opportunity_id, erp_order_id, order_number, task_id) VALUES ($1, $2, $3, $4)
		ON CONFLICT (opportunity_id, erp_order_id) DO UPDATE SET order_number = EXCLUDED.order_number,
			task_id = EXCLUDED.task_id, updated_at = now()
		WHERE decision_tasks.task_id <> EXCLUDED.task_id OR decision_tasks.order_number <> EXCLUDED.order_number`,
		opportunityID, orderID, number, taskID)
	if err != nil {
		return fmt.Errorf("record task %s for order %s of opportunity %s: %w", taskID, orderID, opportunityID, err)
	}
	return nil
}

// ForgetDecisionTask removes the record of task taskID for order orderID
// of an opportunity; a record of another task stays.
func (s *Store) ForgetDecisionTask(ctx context.Context, opportunityID, orderID, taskID string) error {
	_, err := s.pool.Exec(ctx, `DELETE FROM decision_tasks WHERE opportunity_id = $1 AND erp_order_id = $2 AND task_id = $3`,
		opportunityID, orderID, taskID)
	if err != nil {
		return fmt.Errorf("forget task %s of order %s: %w", taskID, orderID, err)
	}
	return nil
}
