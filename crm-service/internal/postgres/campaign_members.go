package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

var _ campaign.MemberStore = (*Store)(nil)

const memberCols = `id, campaign_id, coalesce(contact_id::text, ''), coalesce(lead_id::text, ''), status, respond_time, version, create_time, update_time`

var memberFilterCols = map[string]string{"status": "status", "contact_id": "contact_id::text", "lead_id": "lead_id::text"}

func scanMember(row pgx.Row) (campaign.Member, error) {
	var m campaign.Member
	var responded *time.Time
	if err := row.Scan(&m.ID, &m.CampaignID, &m.ContactID, &m.LeadID, &m.Status, &responded, &m.Version, &m.CreateTime, &m.UpdateTime); err != nil {
		return campaign.Member{}, err
	}
	if responded != nil {
		m.RespondTime = *responded
	}
	return m, nil
}

func optionalTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// memberError translates the constraint violations of inserting m: an
// unknown campaign (the path's) is NOT_FOUND, an unknown contact or lead
// (the body's) a violation of its field, as every unknown id in a body.
func memberError(m campaign.Member, err error) error {
	switch {
	case pg.IsForeignKeyViolation(err, "campaign_members_campaign_id_fkey"):
		return errs.NotFoundf("campaign %q", m.CampaignID)
	case pg.IsForeignKeyViolation(err, "campaign_members_contact_id_fkey"):
		return errs.Invalid("contact_id", "contact %q not found", m.ContactID)
	case pg.IsForeignKeyViolation(err, "campaign_members_lead_id_fkey"):
		return errs.Invalid("lead_id", "lead %q not found", m.LeadID)
	case pg.IsUniqueViolation(err, "campaign_members_contact_key"):
		return errs.AlreadyExistsf("contact %s is already a member of campaign %s", m.ContactID, m.CampaignID)
	case pg.IsUniqueViolation(err, "campaign_members_lead_key"):
		return errs.AlreadyExistsf("lead %s is already a member of campaign %s", m.LeadID, m.CampaignID)
	}
	return fmt.Errorf("insert campaign member: %w", err)
}

// CreateCampaignMember implements campaign.MemberStore. The insert's
// foreign keys lock the campaign and the contact or lead against deletion
// (FOR KEY SHARE); a lead is locked against conversion before
// (queueMemberLead); the counts trigger updates the campaign's counters.
func (s *Store) CreateCampaignMember(ctx context.Context, requestID, method string, m campaign.Member, ev campaign.Event) (campaign.Member, error) {
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			var used *usedKey
			if requestID != "" {
				lookupKey(b, requestID, &used)
				recordKey(ctx, b, requestID, method, m.ID)
			}
			if m.LeadID != "" {
				queueMemberLead(b, m)
			}
			b.Queue(`INSERT INTO campaign_members (id, campaign_id, contact_id, lead_id, status, respond_time, version, create_time, update_time)
VALUES ($1, $2, nullif($3, '')::uuid, nullif($4, '')::uuid, $5, $6, $7, $8, $9)`,
				m.ID, m.CampaignID, m.ContactID, m.LeadID, m.Status, optionalTime(m.RespondTime), m.Version, m.CreateTime, m.UpdateTime)
			if err := queueEvent(ctx, b, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
			err := tx.SendBatch(ctx, b).Close()
			if used != nil {
				return errReplayOf(used)
			}
			if err != nil {
				if keyTaken(err) || errs.KindOf(err) == errs.FailedPrecondition || errs.KindOf(err) == errs.InvalidArgument {
					return err
				}
				return memberError(m, err)
			}
			return nil
		})
	})
	return created(ctx, err, m, method, s.getCampaignMember)
}

// queueMemberLead queues locking the lead m adds FOR SHARE and refusing it
// when converted. A conversion locks the lead FOR UPDATE and moves the
// lead's memberships to its contact, so the lock waits for a conversion
// under way (and then reads the converted lead) or holds one off until
// the membership is committed, when the conversion moves it with the
// others: no membership is left on a converted lead. An unknown lead
// reads nothing; the insert's foreign key reports it.
func queueMemberLead(b *pgx.Batch, m campaign.Member) {
	// A duplicate merged away is named with the lead it went into, as
	// an activity's lead_id is, so the caller can add that one instead.
	var mergedInto string
	b.Queue(`SELECT lead_id::text FROM lead_merges WHERE duplicate_id = $1`, m.LeadID).QueryRow(func(row pgx.Row) error {
		if err := row.Scan(&mergedInto); err != nil && !pg.IsNoRows(err) {
			return fmt.Errorf("find where lead %s was merged: %w", m.LeadID, err)
		}
		return nil
	})
	b.Queue(`SELECT status, coalesce(converted_contact_id::text, '') FROM leads WHERE id = $1 FOR SHARE`, m.LeadID).QueryRow(func(row pgx.Row) error {
		var status lead.Status
		var contactID string
		err := row.Scan(&status, &contactID)
		switch {
		case pg.IsNoRows(err) && mergedInto != "":
			return errs.Invalid("lead_id", "lead %q not found: it was merged into lead %q", m.LeadID, mergedInto)
		case pg.IsNoRows(err):
			return nil
		case err != nil:
			return fmt.Errorf("lock lead %s: %w", m.LeadID, err)
		case status != lead.StatusConverted:
			return nil
		case contactID != "":
			return errs.FailedPreconditionf("lead %s was converted to contact %s: add the contact to campaign %s instead", m.LeadID, contactID, m.CampaignID)
		}
		return errs.FailedPreconditionf("lead %s was converted: add its contact to campaign %s instead", m.LeadID, m.CampaignID)
	})
}

func (s *Store) getCampaignMember(ctx context.Context, id string) (campaign.Member, error) {
	m, err := scanMember(s.pool.QueryRow(ctx, `SELECT `+memberCols+` FROM campaign_members WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return campaign.Member{}, errs.NotFoundf("campaign member %q", id)
	}
	if err != nil {
		return campaign.Member{}, fmt.Errorf("get campaign member %s: %w", id, err)
	}
	return m, nil
}

// ListCampaignMembers implements campaign.MemberStore. A page is a range
// scan of campaign_members_campaign_idx (or _status_idx with a status).
func (s *Store) ListCampaignMembers(ctx context.Context, q campaign.MemberQuery) ([]campaign.Member, bool, error) {
	sql, args, err := listQueryWhere(`SELECT `+memberCols+` FROM campaign_members`, "id", memberFilterCols, q.Equal,
		[]string{"campaign_id = $?"}, []any{q.CampaignID}, q.After, q.Limit)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list campaign members: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaign.Member, error) { return scanMember(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list campaign members: %w", err)
	}
	if len(list) == 0 {
		// Nothing: tell an empty campaign from none.
		if _, err := s.GetCampaign(ctx, q.CampaignID); err != nil {
			return nil, false, err
		}
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

// Lock order of memberships. A membership's write locks its campaign's
// row last (the counts trigger of migration 0028), while a campaign's
// deletion locks the campaign's key and row first and its memberships'
// keys and rows after. So that the two never wait on each other in a
// cycle, every writer of existing memberships first takes the shared key
// lock of their campaigns (campaignShareLockSQL: a transaction advisory
// lock on the key pg.QueueKeyLock takes exclusively, in campaign id
// order), before the memberships' own key locks. Shared, it lets writers
// of one campaign's memberships run together, and waits for (and holds
// off) a deletion or update of the campaign; like every key lock, it
// writes nothing, so it costs no transaction id (see platform/pg).
const campaignShareLockSQL = `SELECT pg_advisory_xact_lock_shared(hashtextextended('campaigns/' || $1::text, 0))`

// lockMember takes the shared key lock of the campaign (see
// campaignShareLockSQL), the member's key lock and its row FOR UPDATE, in
// one round trip.
func lockMember(ctx context.Context, tx pgx.Tx, campaignID, id string) (campaign.Member, error) {
	var m campaign.Member
	found := false
	b := &pgx.Batch{}
	b.Queue(campaignShareLockSQL, campaignID)
	pg.QueueKeyLock(b, "campaign_members/"+id)
	b.Queue(`SELECT `+memberCols+` FROM campaign_members WHERE id = $1 FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
		v, err := scanMember(row)
		if pg.IsNoRows(err) {
			return nil
		}
		m, found = v, err == nil
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return campaign.Member{}, fmt.Errorf("lock campaign member %s: %w", id, err)
	}
	if !found || m.CampaignID != campaignID {
		return campaign.Member{}, errs.NotFoundf("campaign member %q", id)
	}
	return m, nil
}

// UpdateCampaignMember implements campaign.MemberStore.
func (s *Store) UpdateCampaignMember(ctx context.Context, campaignID, id string, fn func(campaign.Member) (campaign.MemberChange, error)) (campaign.Member, error) {
	var out campaign.Member
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockMember(ctx, tx, campaignID, id)
		if err != nil {
			return err
		}
		ch, err := fn(cur)
		if err != nil {
			return err
		}
		if ch.Unchanged {
			out = cur
			return nil
		}
		m := ch.Member
		b := &pgx.Batch{}
		queueWriteMember(b, m)
		if ch.Event != nil {
			if err := queueEvent(ctx, b, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
				return err
			}
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("update campaign member %s: %w", id, err)
		}
		out = m
		return nil
	})
	if err != nil {
		return campaign.Member{}, err
	}
	return out, nil
}

// DeleteCampaignMember implements campaign.MemberStore.
func (s *Store) DeleteCampaignMember(ctx context.Context, campaignID, id string, fn func(campaign.Member) (campaign.Event, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockMember(ctx, tx, campaignID, id)
		if err != nil {
			return err
		}
		ev, err := fn(cur)
		if err != nil {
			return err
		}
		b := &pgx.Batch{}
		b.Queue(`DELETE FROM campaign_members WHERE id = $1`, id)
		if err := queueEvent(ctx, b, ev.Type, ev.Key, ev.Payload); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("delete campaign member %s: %w", id, err)
		}
		return nil
	})
}

// queueLinkedMembers queues taking the key locks and reading (FOR UPDATE,
// in id order) of the memberships whose col (contact_id or lead_id) is id.
func queueLinkedMembers(b *pgx.Batch, col, id string, out *[]campaign.Member) {
	queueLockMembers(b, col+` = $1`, out, id)
}

// queueLockMembers queues taking the key locks and reading (FOR UPDATE, in
// id order) of the memberships cond (SQL over args) selects, after the
// shared key locks of their campaigns (campaignShareLockSQL; a no-op for a
// campaign's deletion, which holds its campaign's exclusively). The caller
// holds what keeps new memberships matching cond out (the lock of their
// contact, lead or campaign), or restricts cond to campaigns it holds the
// shared locks of already.
func queueLockMembers(b *pgx.Batch, cond string, out *[]campaign.Member, args ...any) {
	b.Queue(`SELECT count(pg_advisory_xact_lock_shared(hashtextextended('campaigns/' || campaign_id::text, 0)))
FROM (SELECT DISTINCT campaign_id FROM campaign_members WHERE `+cond+` ORDER BY campaign_id) r`, args...)
	queueLockRows(b, "campaign_members", memberCols, scanMember, out, cond, args...)
}

// queueWriteMember queues writing m as it is (its campaign stays).
func queueWriteMember(b *pgx.Batch, m campaign.Member) {
	b.Queue(`UPDATE campaign_members SET contact_id = nullif($2, '')::uuid, lead_id = nullif($3, '')::uuid, status = $4,
respond_time = $5, version = $6, update_time = $7 WHERE id = $1`,
		m.ID, m.ContactID, m.LeadID, m.Status, optionalTime(m.RespondTime), m.Version, m.UpdateTime)
}

// queueTransfer queues the writes of a lead's conversion to its
// memberships: the dropped ones deleted, then the others written. The
// events are the caller's.
func queueTransfer(b *pgx.Batch, t campaign.Transfer) {
	if len(t.Dropped) > 0 {
		dropped := make([]string, len(t.Dropped))
		for i, m := range t.Dropped {
			dropped[i] = m.ID
		}
		b.Queue(`DELETE FROM campaign_members WHERE id = ANY($1::uuid[])`, dropped)
	}
	for _, m := range t.Written {
		queueWriteMember(b, m)
	}
}

// queueDeleteMembers queues deleting the memberships queueLinkedMembers
// read, with their events (recorded before the deletion's own).
func queueDeleteMembers(ctx context.Context, b *pgx.Batch, col, id string, events []campaign.Event) error {
	if len(events) == 0 {
		return nil
	}
	b.Queue(`DELETE FROM campaign_members WHERE `+col+` = $1`, id)
	for _, ev := range events {
		if err := queueEvent(ctx, b, ev.Type, ev.Key, ev.Payload); err != nil {
			return err
		}
	}
	return nil
}

// queueDeleteWithMembers queues deleting the record id of table whose
// memberships col names: the memberships with their events
// (queueDeleteMembers), then the record with its event.
func queueDeleteWithMembers(ctx context.Context, b *pgx.Batch, table, col, id string, memberEvents []campaign.Event, typ, key string, payload []byte) error {
	if err := queueDeleteMembers(ctx, b, col, id, memberEvents); err != nil {
		return err
	}
	b.Queue(`DELETE FROM `+table+` WHERE id = $1`, id)
	return queueEvent(ctx, b, typ, key, payload)
}
