package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

// MergeLeads implements lead.Store. The two leads are locked in id order,
// so merges of a pair in either direction cannot deadlock; then their
// campaign memberships and the duplicate's activities (their leads' locks
// keep new ones out).
func (s *Store) MergeLeads(ctx context.Context, id, duplicateID string, fn func(kept, dup lead.Lead, keptMembers, dupMembers []campaign.Member, dupActivities []activity.Activity) (lead.Merge, error)) (lead.Lead, error) {
	var out lead.Lead
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		found := map[string]lead.Lead{}
		first, second := id, duplicateID
		if second < first {
			first, second = second, first
		}
		b := &pgx.Batch{}
		for _, lid := range []string{first, second} {
			pg.QueueKeyLock(b, "leads/"+lid)
			b.Queue(`SELECT `+leadCols+` FROM leads WHERE id = $1 FOR UPDATE`, lid).QueryRow(func(row pgx.Row) error {
				l, err := scanLead(row)
				if pg.IsNoRows(err) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("lock lead %s: %w", lid, err)
				}
				found[lid] = l
				return nil
			})
		}
		var mergedInto *string
		b.Queue(`SELECT lead_id::text FROM lead_merges WHERE duplicate_id = $1`, duplicateID).QueryRow(func(row pgx.Row) error {
			var into string
			err := row.Scan(&into)
			if pg.IsNoRows(err) {
				return nil
			}
			mergedInto = &into
			return err
		})
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock leads %s and %s: %w", id, duplicateID, err)
		}
		kept, ok := found[id]
		if !ok {
			return leadNotFound(ctx, tx, id, "")
		}
		dup, ok := found[duplicateID]
		if !ok {
			if mergedInto != nil && *mergedInto == id {
				out = kept // merged before: a retry
				return nil
			}
			if mergedInto != nil {
				return errs.New(errs.NotFound, "lead %q (duplicate_id) not found: it was merged into lead %q", duplicateID, *mergedInto)
			}
			return errs.NotFoundf("lead %q (duplicate_id)", duplicateID)
		}
		var keptMembers, dupMembers []campaign.Member
		b = &pgx.Batch{}
		into := map[string]*[]campaign.Member{id: &keptMembers, duplicateID: &dupMembers}
		queueLinkedMembers(b, "lead_id", first, into[first])
		queueLinkedMembers(b, "lead_id", second, into[second])
		var dupActivities []activity.Activity
		queueLinkedActivities(b, "lead_id", duplicateID, &dupActivities)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock campaign members of leads %s and %s: %w", id, duplicateID, err)
		}
		m, err := fn(kept, dup, keptMembers, dupMembers, dupActivities)
		if err != nil {
			return err
		}
		w := &pgx.Batch{}
		queueTransfer(w, m.Members)
		for _, ev := range m.Members.Events {
			if err := queueEvent(ctx, w, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
		}
		if err := queueWriteLinks(ctx, w, m.Activities); err != nil {
			return err
		}
		if m.Event != nil {
			queueUpdateLead(w, m.Lead)
			if err := queueEvent(ctx, w, m.Event.Type, m.Event.Key, m.Event.Payload); err != nil {
				return err
			}
		}
		// Earlier merges into the duplicate now lead to the kept lead;
		// then the duplicate goes (its memberships moved or deleted).
		w.Queue(`UPDATE lead_merges SET lead_id = $1 WHERE lead_id = $2`, id, duplicateID)
		w.Queue(`INSERT INTO lead_merges (duplicate_id, lead_id, merge_time) VALUES ($1, $2, $3)
ON CONFLICT (duplicate_id) DO UPDATE SET lead_id = excluded.lead_id, merge_time = excluded.merge_time`, duplicateID, id, m.Time)
		w.Queue(`DELETE FROM leads WHERE id = $1`, duplicateID)
		if err := queueEvent(ctx, w, m.DuplicateEvent.Type, m.DuplicateEvent.Key, m.DuplicateEvent.Payload); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, w).Close(); err != nil {
			return fmt.Errorf("merge lead %s into %s: %w", duplicateID, id, err)
		}
		out = m.Lead
		return nil
	})
	if err != nil {
		return lead.Lead{}, err
	}
	return out, nil
}
