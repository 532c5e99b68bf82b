package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/platform/civil"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
)

var _ campaign.Store = (*Store)(nil)

// campaignWriteCols are the columns a campaign write sets; campaignCols
// adds the member counters the trigger of migration 0028 keeps and the
// folded name of the name order (0039).
const (
	campaignWriteCols = `id, name, channel, budget_currency, budget, start_date, end_date, status, version, create_time, update_time, owner`
	campaignCols      = campaignWriteCols + `, member_count, responded_count, name_fold`
)

// Each filter column has an index (column, id): campaigns_status_idx,
// campaigns_channel_idx, campaigns_owner_idx.
var campaignFilterCols = map[string]string{"status": "status", "channel": "lower(channel)", "owner": "owner"}

func scanCampaign(row pgx.Row) (campaign.Campaign, error) {
	var c campaign.Campaign
	var cur *string
	var budget *decimal.Decimal
	var start, end *time.Time
	err := row.Scan(&c.ID, &c.Name, &c.Channel, &cur, &budget, &start, &end, &c.Status, &c.Version, &c.CreateTime, &c.UpdateTime,
		&c.Owner, &c.Members, &c.RespondedMembers, &c.NameFold)
	if err != nil {
		return campaign.Campaign{}, err
	}
	if cur != nil && budget != nil {
		c.Budget = &money.Money{Currency: *cur, Amount: *budget}
	}
	if start != nil {
		c.StartDate = dateUTC(*start)
	}
	if end != nil {
		c.EndDate = dateUTC(*end)
	}
	return c, nil
}

func campaignArgs(c campaign.Campaign) []any {
	var cur *string
	var budget *decimal.Decimal
	if c.Budget != nil {
		cur, budget = &c.Budget.Currency, &c.Budget.Amount
	}
	return []any{c.ID, c.Name, c.Channel, cur, budget, date(c.StartDate), date(c.EndDate), c.Status, c.Version, c.CreateTime, c.UpdateTime, c.Owner}
}

// CreateCampaign implements campaign.Store.
func (s *Store) CreateCampaign(ctx context.Context, requestID, method string, c campaign.Campaign, ev campaign.Event) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			var used *usedKey
			if requestID != "" {
				lookupKey(b, requestID, &used)
				recordKey(ctx, b, requestID, method, c.ID)
			}
			b.Queue(`INSERT INTO campaigns (`+campaignWriteCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, campaignArgs(c)...)
			err := tx.SendBatch(ctx, b).Close()
			if used != nil {
				return errReplayOf(used)
			}
			if err != nil {
				if keyTaken(err) {
					return err
				}
				return fmt.Errorf("insert campaign: %w", err)
			}
			if err := appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
			out = c
			return nil
		})
	})
	return created(ctx, err, out, method, s.GetCampaign)
}

// GetCampaign implements campaign.Store.
func (s *Store) GetCampaign(ctx context.Context, id string) (campaign.Campaign, error) {
	c, err := scanCampaign(s.pool.QueryRow(ctx, `SELECT `+campaignCols+` FROM campaigns WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return campaign.Campaign{}, errs.NotFoundf("campaign %q", id)
	}
	if err != nil {
		return campaign.Campaign{}, fmt.Errorf("get campaign %s: %w", id, err)
	}
	return c, nil
}

// campaignSortFields are the orders of ListCampaigns; each has indexes
// (field, id) and (owner, field, id) (0039), name's on (name_fold, name).
var campaignSortFields = map[string]sortField{
	"name":        foldedSort("name_fold", "name"),
	"start_date":  plainSort(startDateSortSQL, dateOrLastKey),
	"create_time": plainSort("create_time", timeKey),
}

// startDateSortSQL sorts campaigns without a start date after every date,
// as campaigns_start_date_idx spells it.
const startDateSortSQL = `coalesce(start_date, 'infinity'::date)`

func listCampaignsSQL(q campaign.Query) (string, []any, error) {
	var extra []string
	var extraArgs []any
	for _, r := range q.Ranges {
		if !slices.Contains(campaign.RangeFields, r.Field) {
			return "", nil, errs.Invalid("filter", "cannot compare %q", r.Field)
		}
		switch r.Op {
		case "<", "<=", ">", ">=":
		default:
			return "", nil, errs.Invalid("filter", "cannot compare %q with %s", r.Field, r.Op)
		}
		extra = append(extra, r.Field+" "+r.Op+" $?::date")
		extraArgs = append(extraArgs, r.Date.Format(civil.Layout))
	}
	ks, err := listKeyset(campaignSortFields, q.Order, q.AfterKey, q.After)
	if err != nil {
		return "", nil, err
	}
	return keysetQuery(`SELECT `+campaignCols+` FROM campaigns`, campaignFilterCols, q.Equal, extra, extraArgs, ks, q.Limit)
}

// ListCampaigns implements campaign.Store.
func (s *Store) ListCampaigns(ctx context.Context, q campaign.Query) ([]campaign.Campaign, bool, error) {
	sql, args, err := listCampaignsSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list campaigns: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (campaign.Campaign, error) { return scanCampaign(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list campaigns: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

func lockCampaign(ctx context.Context, tx pgx.Tx, id string) (campaign.Campaign, error) {
	return lockRow(ctx, tx, "campaign", "campaigns/"+id, `SELECT `+campaignCols+` FROM campaigns WHERE id = $1 FOR UPDATE`, id, scanCampaign)
}

// UpdateCampaign implements campaign.Store.
func (s *Store) UpdateCampaign(ctx context.Context, id string, fn func(campaign.Campaign) (campaign.Change, error)) (campaign.Campaign, error) {
	var out campaign.Campaign
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockCampaign(ctx, tx, id)
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
		if _, err := tx.Exec(ctx, `UPDATE campaigns SET name = $2, channel = $3, budget_currency = $4, budget = $5,
start_date = $6, end_date = $7, status = $8, version = $9, create_time = $10, update_time = $11, owner = $12 WHERE id = $1`,
			campaignArgs(ch.Campaign)...); err != nil {
			return fmt.Errorf("update campaign %s: %w", id, err)
		}
		if ch.Event != nil {
			if err := appendEvent(ctx, tx, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
				return err
			}
		}
		out = ch.Campaign
		return nil
	})
	if err != nil {
		return campaign.Campaign{}, err
	}
	return out, nil
}

// DeleteCampaign implements campaign.Store. The campaign's lock comes
// first: it keeps members from being added (their foreign key's share
// lock waits for it) until the transaction ends, so the members read are
// all it has.
func (s *Store) DeleteCampaign(ctx context.Context, id string, fn func(campaign.Campaign, []campaign.Member) (campaign.Deletion, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockCampaign(ctx, tx, id)
		if err != nil {
			return err
		}
		var used bool
		var members []campaign.Member
		b := &pgx.Batch{}
		b.Queue(`SELECT EXISTS (SELECT 1 FROM leads WHERE campaign_id = $1::text)
OR EXISTS (SELECT 1 FROM opportunities WHERE campaign_id = $1::uuid)`, id).QueryRow(func(row pgx.Row) error { return row.Scan(&used) })
		queueLinkedMembers(b, "campaign_id", id, &members)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock campaign %s's leads, opportunities and members: %w", id, err)
		}
		d, err := fn(cur, members)
		if err != nil {
			return err
		}
		if used {
			return errs.FailedPreconditionf("campaign %s is the source of leads or opportunities", id)
		}
		w := &pgx.Batch{}
		if err := queueDeleteWithMembers(ctx, w, "campaigns", "campaign_id", id, d.MemberEvents, d.Event.Type, d.Event.Key, d.Event.Payload); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, w).Close(); err != nil {
			return fmt.Errorf("delete campaign %s: %w", id, err)
		}
		return nil
	})
}

// CampaignStats implements campaign.Store: one statement, one snapshot.
// Sums are numeric in the database, so exact.
func (s *Store) CampaignStats(ctx context.Context, id string) (campaign.Campaign, campaign.Stats, error) {
	var st campaign.Stats
	var currencies, sums []string
	var counts []int64
	row := s.pool.QueryRow(ctx, `WITH won AS (
  SELECT currency_code, count(*) AS n, sum(amount) AS total FROM opportunities
  WHERE campaign_id = $1 AND stage = 'closed_won' GROUP BY currency_code
)
SELECT `+campaignCols+`,
  (SELECT count(*) FROM leads WHERE campaign_id = $1::text),
  (SELECT count(*) FROM leads WHERE campaign_id = $1::text AND status = 'converted'),
  ARRAY(SELECT currency_code FROM won ORDER BY currency_code),
  ARRAY(SELECT n FROM won ORDER BY currency_code),
  ARRAY(SELECT total::text FROM won ORDER BY currency_code)
FROM campaigns WHERE id = $1`, id)
	var c campaign.Campaign
	var cur *string
	var budget *decimal.Decimal
	var start, end *time.Time
	err := row.Scan(&c.ID, &c.Name, &c.Channel, &cur, &budget, &start, &end, &c.Status, &c.Version, &c.CreateTime, &c.UpdateTime,
		&c.Owner, &c.Members, &c.RespondedMembers, &c.NameFold, &st.Leads, &st.ConvertedLeads, &currencies, &counts, &sums)
	if pg.IsNoRows(err) {
		return campaign.Campaign{}, campaign.Stats{}, errs.NotFoundf("campaign %q", id)
	}
	if err != nil {
		return campaign.Campaign{}, campaign.Stats{}, fmt.Errorf("campaign stats %s: %w", id, err)
	}
	if cur != nil && budget != nil {
		c.Budget = &money.Money{Currency: *cur, Amount: *budget}
	}
	for i, code := range currencies {
		total, err := decimal.NewFromString(sums[i])
		if err != nil {
			return campaign.Campaign{}, campaign.Stats{}, fmt.Errorf("campaign stats %s: %w", id, err)
		}
		st.WonOpportunities += counts[i]
		st.WonAmounts = append(st.WonAmounts, money.Money{Currency: code, Amount: total})
	}
	return c, st, nil
}
