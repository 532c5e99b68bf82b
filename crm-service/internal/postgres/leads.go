package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/pg"
)

var _ lead.Store = (*Store)(nil)

const leadCols = `id, name, company, title, email, phone, website, source, campaign_id, status, owner,
converted_account_id, converted_contact_id, converted_opportunity_id, convert_time, version, create_time, update_time, name_fold, company_fold`

// Each filter column has an index (column, id).
var leadFilterCols = map[string]string{
	"status": "status", "owner": "owner", "email": "email_key", "source": "source", "campaign_id": "campaign_id",
	"company": "company",
}

func scanLead(row pgx.Row) (lead.Lead, error) {
	var l lead.Lead
	var acc, con, opp *string
	var converted *time.Time
	err := row.Scan(&l.ID, &l.Name, &l.Company, &l.Title, &l.Email, &l.Phone, &l.Website, &l.Source, &l.CampaignID,
		&l.Status, &l.Owner, &acc, &con, &opp, &converted, &l.Version, &l.CreateTime, &l.UpdateTime, &l.NameFold, &l.CompanyFold)
	if err != nil {
		return lead.Lead{}, err
	}
	for _, p := range []struct {
		src *string
		dst *string
	}{{acc, &l.ConvertedAccountID}, {con, &l.ConvertedContactID}, {opp, &l.ConvertedOpportunityID}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	if converted != nil {
		l.ConvertTime = *converted
	}
	return l, nil
}

// queueLeadDuplicateLookup queues the transaction lock imports take on
// the email key and the reading of the oldest lead other than self (""
// for none) with it into *existing (index leads_email_key_idx).
func queueLeadDuplicateLookup(b *pgx.Batch, emailKey, self string, existing *string) {
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($2 || $1, 0))`, emailKey, leadLockPrefix)
	b.Queue(`SELECT id FROM leads WHERE email_key = $1 AND id::text <> $2 ORDER BY id LIMIT 1`, emailKey, self).QueryRow(scanFoundID(existing))
}

// CreateLead implements lead.Store: with dedupe, the email key's lock and
// the duplicate lookup, the request id lookup, its record and the insert
// in one round trip (a replay or a duplicate rolls the insert back), the
// event in another.
func (s *Store) CreateLead(ctx context.Context, requestID, method string, l lead.Lead, ev lead.Event, dedupe bool) (lead.Lead, error) {
	key := contact.EmailKey(l.Email)
	dedupe = dedupe && key != ""
	var out lead.Lead
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			var used *usedKey
			var existing string
			// The email key's lock first: a concurrent call with the same
			// request_id that holds it has committed its key when the
			// lookup after the lock runs, so it is a replay, not a
			// duplicate.
			if dedupe {
				queueLeadDuplicateLookup(b, key, "", &existing)
			}
			if requestID != "" {
				lookupKey(b, requestID, &used)
				recordKey(ctx, b, requestID, method, l.ID)
			}
			b.Queue(`INSERT INTO leads (id, name, company, title, email, email_key, phone, website, source, campaign_id,
status, owner, version, create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
				l.ID, l.Name, l.Company, l.Title, l.Email, contact.EmailKey(l.Email), l.Phone, l.Website, l.Source, l.CampaignID,
				l.Status, l.Owner, l.Version, l.CreateTime, l.UpdateTime)
			err := tx.SendBatch(ctx, b).Close()
			if used != nil {
				return errReplayOf(used)
			}
			if existing != "" {
				return &lead.DuplicateError{ExistingID: existing, Email: l.Email}
			}
			if pg.IsForeignKeyViolation(err, "leads_campaign_id_fkey") {
				return errs.Invalid("campaign_id", "campaign %q not found", l.CampaignID)
			}
			if err != nil {
				return fmt.Errorf("insert lead: %w", err)
			}
			if err := appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
			out = l
			return nil
		})
	})
	return created(ctx, err, out, method, s.GetLead)
}

// GetLead implements lead.Store.
func (s *Store) GetLead(ctx context.Context, id string) (lead.Lead, error) {
	l, err := scanLead(s.pool.QueryRow(ctx, `SELECT `+leadCols+` FROM leads WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return lead.Lead{}, leadNotFound(ctx, s.pool, id, "")
	}
	if err != nil {
		return lead.Lead{}, fmt.Errorf("get lead %s: %w", id, err)
	}
	return l, nil
}

// leadSortFields are the orders of ListLeads; each has indexes (field,
// id) and (owner, field, id), name's on (name_fold, name) and company's
// on (company_fold, company).
var leadSortFields = map[string]sortField{
	"name":        foldedSort("name_fold", "name"),
	"company":     foldedSort("company_fold", "company"),
	"create_time": plainSort("create_time", timeKey),
	"update_time": plainSort("update_time", timeKey),
}

func listLeadsSQL(q lead.Query) (string, []any, error) {
	ks, err := listKeyset(leadSortFields, q.Order, q.AfterKey, q.After)
	if err != nil {
		return "", nil, err
	}
	return keysetQuery(`SELECT `+leadCols+` FROM leads`, leadFilterCols, q.Equal, nil, nil, ks, q.Limit)
}

// ListLeads implements lead.Store.
func (s *Store) ListLeads(ctx context.Context, q lead.Query) ([]lead.Lead, bool, error) {
	sql, args, err := listLeadsSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list leads: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (lead.Lead, error) { return scanLead(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list leads: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

func lockLead(ctx context.Context, tx pgx.Tx, id string) (lead.Lead, error) {
	l, err := lockRow(ctx, tx, "lead", "leads/"+id, `SELECT `+leadCols+` FROM leads WHERE id = $1 FOR UPDATE`, id, scanLead)
	if errs.KindOf(err) == errs.NotFound {
		return l, leadNotFound(ctx, tx, id, "")
	}
	return l, err
}

// leadNotFound is the NOT_FOUND of lead id (field, when not empty, names
// where the request gave it). A duplicate merged away says which lead it
// went into, so a client holding a link to it (a get, an update, a
// conversion, another merge) learns where its data is now.
func leadNotFound(ctx context.Context, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, id, field string) error {
	what := fmt.Sprintf("lead %q", id)
	if field != "" {
		what += " (" + field + ")"
	}
	var kept string
	switch err := q.QueryRow(ctx, `SELECT lead_id::text FROM lead_merges WHERE duplicate_id = $1`, id).Scan(&kept); {
	case err == nil:
		return errs.New(errs.NotFound, "%s not found: it was merged into lead %q", what, kept)
	case !pg.IsNoRows(err):
		return fmt.Errorf("find where lead %s was merged: %w", id, err)
	}
	return errs.New(errs.NotFound, "%s not found", what)
}

func queueUpdateLead(b *pgx.Batch, l lead.Lead) {
	b.Queue(`UPDATE leads SET name = $2, company = $3, title = $4, email = $5, email_key = $6, phone = $7, website = $8,
source = $9, campaign_id = $10, status = $11, owner = $12, converted_account_id = $13, converted_contact_id = $14,
converted_opportunity_id = $15, convert_time = $16, version = $17, update_time = $18 WHERE id = $1`,
		l.ID, l.Name, l.Company, l.Title, l.Email, contact.EmailKey(l.Email), l.Phone, l.Website, l.Source, l.CampaignID,
		l.Status, l.Owner, nullable(l.ConvertedAccountID), nullable(l.ConvertedContactID), nullable(l.ConvertedOpportunityID),
		timestamp(l.ConvertTime), l.Version, l.UpdateTime)
}

// UpdateLead implements lead.Store.
func (s *Store) UpdateLead(ctx context.Context, id string, fn func(lead.Lead) (lead.Change, error)) (lead.Lead, error) {
	var out lead.Lead
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockLead(ctx, tx, id)
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
		if ch.Dedupe {
			var existing string
			b := &pgx.Batch{}
			queueLeadDuplicateLookup(b, contact.EmailKey(ch.Lead.Email), ch.Lead.ID, &existing)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("look up duplicates of lead %s: %w", id, err)
			}
			if existing != "" {
				return &lead.DuplicateError{ExistingID: existing, Email: ch.Lead.Email}
			}
		}
		b := &pgx.Batch{}
		queueUpdateLead(b, ch.Lead)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			if pg.IsForeignKeyViolation(err, "leads_campaign_id_fkey") {
				return errs.Invalid("campaign_id", "campaign %q not found", ch.Lead.CampaignID)
			}
			return fmt.Errorf("update lead %s: %w", id, err)
		}
		if ch.Event != nil {
			if err := appendEvent(ctx, tx, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
				return err
			}
		}
		out = ch.Lead
		return nil
	})
	if err != nil {
		return lead.Lead{}, err
	}
	return out, nil
}

// DeleteLead implements lead.Store. The lead is locked FOR UPDATE first,
// so no activity write links another activity to it meanwhile (those lock
// the lead FOR KEY SHARE).
func (s *Store) DeleteLead(ctx context.Context, id string, fn func(lead.Lead, []campaign.Member, []activity.Activity) (lead.Deletion, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockLead(ctx, tx, id)
		if err != nil {
			return err
		}
		var members []campaign.Member
		var activities []activity.Activity
		b := &pgx.Batch{}
		queueLinkedMembers(b, "lead_id", id, &members)
		queueLinkedActivities(b, "lead_id", id, &activities)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock campaign members and activities of lead %s: %w", id, err)
		}
		d, err := fn(cur, members, activities)
		if err != nil {
			return err
		}
		w := &pgx.Batch{}
		if err := queueWriteLinks(ctx, w, d.Activities); err != nil {
			return err
		}
		if err := queueDeleteWithMembers(ctx, w, "leads", "lead_id", id, d.MemberEvents, d.Event.Type, d.Event.Key, d.Event.Payload); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, w).Close(); err != nil {
			return fmt.Errorf("delete lead %s: %w", id, err)
		}
		return nil
	})
}

// ConvertLead implements lead.Store. Round trips: lock the lead, its
// campaign memberships and its activities and look up the request id;
// take the duplicate-key locks and look up the account and contact; when
// the lead has memberships or activities and a contact was found, lock
// the contact's memberships in the same campaigns and read its account;
// write everything; append the events.
func (s *Store) ConvertLead(ctx context.Context, id, requestID, method string, lookup lead.Lookup, fn func(lead.Lead, lead.Found) (lead.Conversion, error)) (lead.Lead, error) {
	var out lead.Lead
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			var cur lead.Lead
			var found bool
			var used *usedKey
			b := &pgx.Batch{}
			queueActor(ctx, b)
			pg.QueueKeyLock(b, "leads/"+id)
			b.Queue(`SELECT `+leadCols+` FROM leads WHERE id = $1 FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
				l, err := scanLead(row)
				if pg.IsNoRows(err) {
					return nil
				}
				cur, found = l, err == nil
				return err
			})
			var leadMembers []campaign.Member
			queueLinkedMembers(b, "lead_id", id, &leadMembers)
			var activities []activity.Activity
			queueLinkedActivities(b, "lead_id", id, &activities)
			if requestID != "" {
				// After the lock, so a concurrent call with the same
				// request id has committed its key by now.
				lookupKey(b, requestID, &used)
			}
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("lock lead %s: %w", id, err)
			}
			if !found {
				return leadNotFound(ctx, tx, id, "")
			}
			if used != nil {
				if err := checkKey(ctx, used, method, id); err != nil {
					return err
				}
				out = cur
				return nil
			}

			f := lead.Found{LeadMembers: leadMembers, Activities: activities}
			accountKey, hasCompany, emailKey := lead.Keys(cur)
			b = &pgx.Batch{}
			switch {
			case lookup.AccountID != "":
				b.Queue(`SELECT id FROM accounts WHERE id = $1 FOR KEY SHARE`, lookup.AccountID).QueryRow(func(row pgx.Row) error {
					err := row.Scan(&f.AccountID)
					if pg.IsNoRows(err) {
						return errs.Invalid("account_id", "account %q not found", lookup.AccountID)
					}
					return err
				})
			case hasCompany:
				queueDuplicateLookup(b, accountKey, "", &f.AccountID)
			}
			switch {
			case emailKey == "":
			case lookup.AccountID != "":
				// Only a contact at the chosen account is reused.
				queueContactLookupAt(b, emailKey, lookup.AccountID, &f.ContactID)
			default:
				queueContactDuplicateLookup(b, emailKey, "", &f.ContactID)
			}
			if campaign, ok := ids.Canonical(cur.CampaignID); ok {
				b.Queue(`SELECT id::text FROM campaigns WHERE id = $1 FOR KEY SHARE`, campaign).QueryRow(func(row pgx.Row) error {
					err := row.Scan(&f.CampaignID)
					if pg.IsNoRows(err) {
						return nil // free text of an older lead
					}
					return err
				})
			}
			if b.Len() > 0 {
				if err := tx.SendBatch(ctx, b).Close(); err != nil {
					var e *errs.Error
					if errors.As(err, &e) {
						return err
					}
					return fmt.Errorf("look up records of lead %s: %w", id, err)
				}
			}

			if err := lockContactMembers(ctx, tx, &f); err != nil {
				return err
			}

			c, err := fn(cur, f)
			if err != nil {
				return err
			}
			w := &pgx.Batch{}
			if requestID != "" {
				recordKey(ctx, w, requestID, method, id)
			}
			if c.Account != nil {
				queueInsertAccount(w, *c.Account)
			}
			if c.Contact != nil {
				queueInsertContact(w, *c.Contact)
			}
			if c.Opportunity != nil {
				queueInsertOpportunity(w, *c.Opportunity)
			}
			queueTransfer(w, c.Members)
			// The activities' events are appended after the members'.
			queueActivityLinks(w, c.Activities.Activities)
			queueUpdateLead(w, c.Lead)
			if err := tx.SendBatch(ctx, w).Close(); err != nil {
				if keyTaken(err) {
					return err
				}
				if pg.IsUniqueViolation(err, "campaign_members_contact_key") {
					// The contact joined one of the lead's campaigns after
					// its memberships were read: decide again.
					return fmt.Errorf("convert lead %s: %w", id, pg.ErrRetry)
				}
				return fmt.Errorf("write conversion of lead %s: %w", id, err)
			}
			if c.Account != nil {
				if err := appendEvent(ctx, tx, c.AccountEvent.Type, c.AccountEvent.Key, c.AccountEvent.Payload); err != nil {
					return err
				}
			}
			if c.Contact != nil {
				if err := appendEvent(ctx, tx, c.ContactEvent.Type, c.ContactEvent.Key, c.ContactEvent.Payload); err != nil {
					return err
				}
			}
			if c.Opportunity != nil {
				if err := appendEvent(ctx, tx, c.OpportunityEvent.Type, c.OpportunityEvent.Key, c.OpportunityEvent.Payload); err != nil {
					return err
				}
			}
			if err := appendEvents(ctx, tx, c.Members.Events, func(e campaign.Event) (string, string, []byte) {
				return e.Type, e.Key, e.Payload
			}); err != nil {
				return err
			}
			if err := appendEvents(ctx, tx, c.Activities.Events, func(e activity.Event) (string, string, []byte) {
				return e.Type, e.Key, e.Payload
			}); err != nil {
				return err
			}
			if err := appendEvent(ctx, tx, c.LeadEvent.Type, c.LeadEvent.Key, c.LeadEvent.Payload); err != nil {
				return err
			}
			out = c.Lead
			return nil
		})
	})
	if err != nil {
		return lead.Lead{}, err
	}
	return out, nil
}

// lockContactMembers reads, locked, the memberships of the contact f found
// in the campaigns of the lead's memberships (none without either), and
// when the lead has activities, the account of the contact, locked FOR
// KEY SHARE so that the contact stays there.
func lockContactMembers(ctx context.Context, tx pgx.Tx, f *lead.Found) error {
	if f.ContactID == "" || (len(f.LeadMembers) == 0 && len(f.Activities) == 0) {
		return nil
	}
	b := &pgx.Batch{}
	if len(f.LeadMembers) > 0 {
		campaigns := make([]string, len(f.LeadMembers))
		for i, m := range f.LeadMembers {
			campaigns[i] = m.CampaignID
		}
		queueLockMembers(b, `contact_id = $1 AND campaign_id = ANY($2::uuid[])`, &f.ContactMembers, f.ContactID, campaigns)
	}
	if len(f.Activities) > 0 {
		queueAccountOf(b, contactAccountSQL, f.ContactID, &f.ContactAccountID)
	}
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return fmt.Errorf("lock campaign members of contact %s: %w", f.ContactID, err)
	}
	return nil
}

// queueLinkedLeads queues locking the leads converted into the record id
// names in link (lead.LinkAccount, ...), their key locks in id order and
// then their rows, and reading them into out. The caller has locked the
// record FOR UPDATE before, so no conversion links another lead to it
// meanwhile (conversion locks what it links FOR KEY SHARE).
func queueLinkedLeads(b *pgx.Batch, link lead.Link, id string, out *[]lead.Lead) {
	queueLockRows(b, "leads", leadCols, scanLead, out, pgx.Identifier{string(link)}.Sanitize()+` = $1`, id)
}

// queueUnlinkLeads queues writing the leads queueLinkedLeads read without
// link, at their next version and update time, with their updated events
// (the store's LeadUnlinker decides them).
func (s *Store) queueUnlinkLeads(ctx context.Context, b *pgx.Batch, list []lead.Lead, link lead.Link) error {
	if len(list) == 0 {
		return nil
	}
	if s.leads == nil {
		return fmt.Errorf("unlink %d converted leads from %s: the store has no LeadUnlinker", len(list), link)
	}
	u, err := s.leads.UnlinkAll(list, link)
	if err != nil {
		return err
	}
	n := len(u.Leads)
	ids, accounts, contacts, opps := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, times := make([]int64, n), make([]time.Time, n)
	for i, l := range u.Leads {
		ids[i], accounts[i], contacts[i], opps[i] = l.ID, l.ConvertedAccountID, l.ConvertedContactID, l.ConvertedOpportunityID
		versions[i], times[i] = l.Version, l.UpdateTime
	}
	b.Queue(`UPDATE leads l SET converted_account_id = nullif(r.account, '')::uuid,
  converted_contact_id = nullif(r.contact, '')::uuid, converted_opportunity_id = nullif(r.opportunity, '')::uuid,
  version = r.version, update_time = r.time
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[])
  AS r(id, account, contact, opportunity, version, time)
WHERE l.id = r.id`, ids, accounts, contacts, opps, versions, times)
	for _, ev := range u.Events {
		if err := queueEvent(ctx, b, ev.Type, ev.Key, ev.Payload); err != nil {
			return err
		}
	}
	return nil
}
