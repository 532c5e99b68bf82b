package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

// Imports run one transaction per batch in three round trips: BEGIN with
// the key locks and the lookups, the bulk writes (one INSERT ... SELECT
// FROM unnest and one UPDATE ... FROM unnest per table), then the events
// and COMMIT. Keys are locked in sorted order, so concurrent imports of
// overlapping batches wait for each other instead of deadlocking or
// inserting the same key twice.

// lockKeysSQL takes a transaction lock on each key of $1 under the prefix
// $2, in sorted order.
const lockKeysSQL = `SELECT count(pg_advisory_xact_lock(hashtextextended($2 || k, 0)))
FROM (SELECT DISTINCT k FROM unnest($1::text[]) AS k ORDER BY k) AS keys`

// queueLockRecords queues taking the key locks (pg.QueueKeyLock, by
// resource name) of the rows of table that cond selects, in id order,
// before the import locks their rows: the feed then serves each record's
// events in order, also when an import and an update write it at once.
func queueLockRecords(b *pgx.Batch, table, cond string, args ...any) {
	b.Queue(`SELECT count(pg_advisory_xact_lock(hashtextextended('`+table+`/' || id::text, 0)))
		FROM (SELECT id FROM `+pgx.Identifier{table}.Sanitize()+` WHERE `+cond+` ORDER BY id) r`, args...)
}

// queueLockRows queues the key locks of the rows of table that cond (SQL
// over args) selects, in id order (queueLockRecords), then reading them,
// locked FOR UPDATE in the same order, by cols and scan into out.
func queueLockRows[T any](b *pgx.Batch, table, cols string, scan func(pgx.Row) (T, error), out *[]T, cond string, args ...any) {
	queueLockRecords(b, table, cond, args...)
	b.Queue(`SELECT `+cols+` FROM `+pgx.Identifier{table}.Sanitize()+` WHERE `+cond+` ORDER BY id FOR UPDATE`, args...).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return fmt.Errorf("read %s (%s): %w", table, cond, err)
			}
			*out = append(*out, v)
		}
		return rows.Err()
	})
}

// prefixRow scans a row whose first column goes to first and the others
// to the destinations the caller gives.
type prefixRow struct {
	row   pgx.Row
	first any
}

func (r prefixRow) Scan(dest ...any) error { return r.row.Scan(append([]any{r.first}, dest...)...) }

// sortedKeys returns the distinct keys in order.
func sortedKeys(keys []string) []string {
	out := slices.Clone(keys)
	slices.Sort(out)
	return slices.Compact(out)
}

// ImportAccounts implements account.Store.
func (s *Store) ImportAccounts(ctx context.Context, keys account.ImportKeys, fn func(account.ImportFound) (*account.ImportPlan, error)) error {
	accountIDs, domains, externalIDs, parents := sortedKeys(keys.IDs), sortedKeys(keys.Domains), sortedKeys(keys.ExternalIDs), sortedKeys(keys.Parents)
	var found account.ImportFound
	err := pg.InTxBatch(ctx, s.pool, func(b *pgx.Batch) {
		found = account.ImportFound{
			ByID:         make(map[string]account.Account, len(accountIDs)),
			ByDomain:     make(map[string][]account.Account, len(domains)),
			ByExternalID: make(map[string]account.Account, len(externalIDs)),
			Parents:      make(map[string]bool, len(parents)),
		}
		queueActor(ctx, b)
		// Every import takes its domain locks, then its external id locks,
		// each in key order, so two imports never wait on each other in a
		// cycle.
		b.Queue(lockKeysSQL, domains, "crm.import.account:")
		b.Queue(lockKeysSQL, externalIDs, "crm.import.account-external:")
		queueLockRecords(b, "accounts", `external_id = ANY($1) OR (website_domain = ANY($2) AND website_domain <> '') OR id = ANY($3::uuid[])`,
			externalIDs, domains, accountIDs)
		if len(accountIDs) > 0 {
			b.Queue(`SELECT `+accountCols+` FROM accounts WHERE id = ANY($1::uuid[]) FOR UPDATE`, accountIDs).
				Query(func(rows pgx.Rows) error {
					for rows.Next() {
						a, err := scanAccount(rows)
						if err != nil {
							return err
						}
						found.ByID[a.ID] = a
					}
					return rows.Err()
				})
		}
		b.Queue(`SELECT `+accountCols+` FROM accounts WHERE external_id = ANY($1) FOR UPDATE`, externalIDs).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					a, err := scanAccount(rows)
					if err != nil {
						return err
					}
					found.ByExternalID[a.ExternalID] = a
				}
				return rows.Err()
			})
		b.Queue(`SELECT website_domain, `+accountCols+` FROM accounts WHERE website_domain = ANY($1) AND website_domain <> '' ORDER BY id FOR UPDATE`, domains).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					var domain string
					a, err := scanAccount(prefixRow{rows, &domain})
					if err != nil {
						return err
					}
					found.ByDomain[domain] = append(found.ByDomain[domain], a)
				}
				return rows.Err()
			})
		queueExisting(b, "accounts", parents, found.Parents)
	}, func(tx pgx.Tx) error {
		plan, err := fn(found)
		if err != nil || plan == nil {
			return err
		}
		oldParent := make(map[string]string, len(found.ByID)+len(found.ByDomain)+len(found.ByExternalID))
		for _, list := range found.ByDomain {
			for _, a := range list {
				oldParent[a.ID] = a.ParentID
			}
		}
		for _, a := range found.ByExternalID {
			oldParent[a.ID] = a.ParentID
		}
		for _, a := range found.ByID {
			oldParent[a.ID] = a.ParentID
		}
		var reparented []string
		for _, a := range plan.Update {
			if a.ParentID != "" && a.ParentID != oldParent[a.ID] {
				reparented = append(reparented, a.ID)
			}
		}
		w := &pgx.Batch{}
		if len(reparented) > 0 {
			// Rows of one import can close a cycle between them (A under B,
			// B under A), which no check of one row against the stored
			// hierarchy sees: the hierarchy is checked once written, under
			// the lock that serializes parent changes.
			w.Queue(lockHierarchySQL)
		}
		if len(plan.Insert) > 0 {
			cols, err := accountColumns(plan.Insert)
			if err != nil {
				return err
			}
			w.Queue(`INSERT INTO accounts (id, name, website, industry, owner, parent_account_id, billing_address,
shipping_address, name_key, website_domain, version, create_time, update_time, external_id)
SELECT r.id, r.name, r.website, r.industry, r.owner, nullif(r.parent, '')::uuid, nullif(r.billing, '')::jsonb,
  nullif(r.shipping, '')::jsonb, r.name_key, r.domain, r.version, r.time, r.time, nullif(r.external, '')
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
  $9::text[], $10::text[], $11::bigint[], $12::timestamptz[], $13::text[])
  AS r(id, name, website, industry, owner, parent, billing, shipping, name_key, domain, version, time, external)`, cols...)
		}
		if len(plan.Update) > 0 {
			cols, err := accountColumns(plan.Update)
			if err != nil {
				return err
			}
			w.Queue(`UPDATE accounts a SET name = r.name, website = r.website, industry = r.industry, owner = r.owner,
  parent_account_id = nullif(r.parent, '')::uuid, billing_address = nullif(r.billing, '')::jsonb,
  shipping_address = nullif(r.shipping, '')::jsonb, name_key = r.name_key, website_domain = r.domain,
  version = r.version, update_time = r.time, external_id = nullif(r.external, '')
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[],
  $9::text[], $10::text[], $11::bigint[], $12::timestamptz[], $13::text[])
  AS r(id, name, website, industry, owner, parent, billing, shipping, name_key, domain, version, time, external)
WHERE a.id = r.id`, cols...)
		}
		var cycle *string
		if len(reparented) > 0 {
			w.Queue(cycleSQL, reparented).QueryRow(func(row pgx.Row) error {
				err := row.Scan(&cycle)
				if pg.IsNoRows(err) {
					return nil
				}
				return err
			})
		}
		if w.Len() > 0 {
			if err := tx.SendBatch(ctx, w).Close(); err != nil {
				if pg.IsUniqueViolation(err, "accounts_external_id_key") {
					// A create or update outside imports gave the id to
					// another account meanwhile: read again and decide.
					return fmt.Errorf("import accounts: an external_id was taken meanwhile: %w", pg.ErrRetry)
				}
				return fmt.Errorf("import accounts: %w", err)
			}
		}
		if cycle != nil {
			return errs.Invalid("parent_account_id", "account %s would be its own ancestor: the import's parent changes close a cycle", *cycle)
		}
		if plan.DryRun {
			return errDryRun // written and checked; roll back
		}
		return appendEvents(ctx, tx, plan.Events, func(e account.Event) (string, string, []byte) { return e.Type, e.Key, e.Payload })
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// errDryRun rolls back the transaction of a dry run that passed its checks.
var errDryRun = errors.New("dry run")

// accountColumns returns the column arrays of the import statements; the
// time is the update time (equal to the create time of a new account).
func accountColumns(list []account.Account) ([]any, error) {
	n := len(list)
	ids, names, websites, industries, owners := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	parents, billing, shipping, nameKeys, domains := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, times, externals := make([]int64, n), make([]time.Time, n), make([]string, n)
	for i, a := range list {
		var err error
		if billing[i], err = addressText(a.Billing); err != nil {
			return nil, err
		}
		if shipping[i], err = addressText(a.Shipping); err != nil {
			return nil, err
		}
		key := account.KeyOf(a.Name, a.Website)
		ids[i], names[i], websites[i], industries[i], owners[i] = a.ID, a.Name, a.Website, a.Industry, a.Owner
		parents[i], nameKeys[i], domains[i], versions[i], times[i] = a.ParentID, key.Name, key.Domain, a.Version, a.UpdateTime
		externals[i] = a.ExternalID
	}
	return []any{ids, names, websites, industries, owners, parents, billing, shipping, nameKeys, domains, versions, times, externals}, nil
}

// addressText is the stored JSON of an address, or "" for none.
func addressText(a account.Address) (string, error) {
	j := addressOut(a)
	if j == nil {
		return "", nil
	}
	b, err := json.Marshal(j)
	if err != nil {
		return "", fmt.Errorf("encode address: %w", err)
	}
	return string(b), nil
}

// ImportContacts implements contact.Store.
func (s *Store) ImportContacts(ctx context.Context, keys contact.ImportKeys, fn func(contact.ImportFound) (*contact.ImportPlan, error)) error {
	contactIDs, emailKeys, accounts := sortedKeys(keys.IDs), sortedKeys(keys.EmailKeys), sortedKeys(keys.Accounts)
	externalIDs := sortedKeys(keys.ExternalIDs)
	var found contact.ImportFound
	return pg.InTxBatch(ctx, s.pool, func(b *pgx.Batch) {
		found = contact.ImportFound{
			ByID:         make(map[string]contact.Contact, len(contactIDs)),
			ByExternalID: make(map[string]contact.Contact, len(externalIDs)),
			ByEmail:      make(map[string][]contact.Contact, len(emailKeys)),
			Accounts:     make(map[string]bool, len(accounts)),
		}
		// Every import takes its email locks (those creation takes), then
		// its external id locks, each in key order, so two imports never
		// wait on each other in a cycle; then the records' locks, all in
		// one id order.
		b.Queue(lockKeysSQL, emailKeys, contactLockPrefix)
		b.Queue(lockKeysSQL, externalIDs, "crm.import.contact-external:")
		queueLockRecords(b, "contacts", `external_id = ANY($1) OR email_key = ANY($2) OR id = ANY($3::uuid[])`,
			externalIDs, emailKeys, contactIDs)
		queueReadByKey(b, "contacts", contactCols, contactIDs, emailKeys, scanContact, func(c contact.Contact) string { return c.ID }, found.ByID, found.ByEmail)
		b.Queue(`SELECT `+contactCols+` FROM contacts WHERE external_id = ANY($1) FOR UPDATE`, externalIDs).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					c, err := scanContact(rows)
					if err != nil {
						return err
					}
					found.ByExternalID[c.ExternalID] = c
				}
				return rows.Err()
			})
		queueExisting(b, "accounts", accounts, found.Accounts)
	}, func(tx pgx.Tx) error {
		plan, err := fn(found)
		if err != nil || plan == nil {
			return err
		}
		w := &pgx.Batch{}
		if len(plan.Insert) > 0 {
			w.Queue(`INSERT INTO contacts (id, account_id, name, email, email_key, phone, title, role, owner, version,
create_time, update_time, external_id)
SELECT r.id, nullif(r.account, '')::uuid, r.name, r.email, r.email_key, r.phone, r.title, r.role, r.owner, r.version, r.time, r.time,
  nullif(r.external, '')
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::bigint[], $11::timestamptz[], $12::text[])
  AS r(id, account, name, email, email_key, phone, title, role, owner, version, time, external)`,
				contactColumns(plan.Insert)...)
		}
		if len(plan.Update) > 0 {
			w.Queue(`UPDATE contacts c SET account_id = nullif(r.account, '')::uuid, name = r.name, email = r.email,
  email_key = r.email_key, phone = r.phone, title = r.title, role = r.role, owner = r.owner, version = r.version,
  update_time = r.time, external_id = nullif(r.external, '')
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::bigint[], $11::timestamptz[], $12::text[])
  AS r(id, account, name, email, email_key, phone, title, role, owner, version, time, external)
WHERE c.id = r.id`, contactColumns(plan.Update)...)
		}
		if w.Len() > 0 {
			if err := tx.SendBatch(ctx, w).Close(); err != nil {
				if pg.IsUniqueViolation(err, contactExternalIDKey) {
					// A create or update outside imports gave the id to
					// another contact meanwhile: read again and decide.
					return fmt.Errorf("import contacts: an external_id was taken meanwhile: %w", pg.ErrRetry)
				}
				return fmt.Errorf("import contacts: %w", err)
			}
		}
		return appendEvents(ctx, tx, plan.Events, func(e contact.Event) (string, string, []byte) { return e.Type, e.Key, e.Payload })
	})
}

// queueByKey queues locking and reading the rows of table (columns cols,
// read by scan) whose id is one of ids, into byID (by their id), and
// those whose email key is one of emailKeys, into byEmail: every row per
// key, oldest first, as an import must see when several share an email.
func queueByKey[T any](b *pgx.Batch, table, cols string, ids, emailKeys []string, scan func(pgx.Row) (T, error), id func(T) string,
	byID map[string]T, byEmail map[string][]T) {
	queueLockRecords(b, table, `email_key = ANY($1) OR id = ANY($2::uuid[])`, emailKeys, ids)
	queueReadByKey(b, table, cols, ids, emailKeys, scan, id, byID, byEmail)
}

// queueReadByKey is queueByKey without the records' key locks, for a
// caller that takes them for more rows.
func queueReadByKey[T any](b *pgx.Batch, table, cols string, ids, emailKeys []string, scan func(pgx.Row) (T, error), id func(T) string,
	byID map[string]T, byEmail map[string][]T) {
	if len(ids) > 0 {
		b.Queue(`SELECT `+cols+` FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = ANY($1::uuid[]) FOR UPDATE`, ids).
			Query(func(rows pgx.Rows) error {
				for rows.Next() {
					v, err := scan(rows)
					if err != nil {
						return err
					}
					byID[id(v)] = v
				}
				return rows.Err()
			})
	}
	b.Queue(`SELECT email_key, `+cols+` FROM `+pgx.Identifier{table}.Sanitize()+` WHERE email_key = ANY($1) ORDER BY id FOR UPDATE`, emailKeys).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var key string
				v, err := scan(prefixRow{rows, &key})
				if err != nil {
					return err
				}
				byEmail[key] = append(byEmail[key], v)
			}
			return rows.Err()
		})
}

// queueExisting queues reading which of ids exist in table (locked against
// deletion) into into.
func queueExisting(b *pgx.Batch, table string, ids []string, into map[string]bool) {
	if len(ids) == 0 {
		return
	}
	b.Queue(`SELECT id::text FROM `+pgx.Identifier{table}.Sanitize()+` WHERE id = ANY($1::uuid[]) FOR KEY SHARE`, ids).
		Query(func(rows pgx.Rows) error {
			for rows.Next() {
				var id string
				if err := rows.Scan(&id); err != nil {
					return err
				}
				into[id] = true
			}
			return rows.Err()
		})
}

func contactColumns(list []contact.Contact) []any {
	n := len(list)
	ids, accounts, names, emails, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	phones, titles, roles, owners := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, times, externals := make([]int64, n), make([]time.Time, n), make([]string, n)
	for i, c := range list {
		ids[i], accounts[i], names[i], emails[i], keys[i] = c.ID, c.AccountID, c.Name, c.Email, contact.EmailKey(c.Email)
		phones[i], titles[i], roles[i], owners[i], versions[i], times[i] = c.Phone, c.Title, c.Role, c.Owner, c.Version, c.UpdateTime
		externals[i] = c.ExternalID
	}
	return []any{ids, accounts, names, emails, keys, phones, titles, roles, owners, versions, times, externals}
}

// leadLockPrefix prefixes the email key in the lock that lead creation,
// a change of a lead's email and an import of leads take on it (so they
// serialize on one email).
const leadLockPrefix = "crm.import.lead:"

// ImportLeads implements lead.Store.
func (s *Store) ImportLeads(ctx context.Context, keys lead.ImportKeys, fn func(lead.ImportFound) (*lead.ImportPlan, error)) error {
	leadIDs, emailKeys, campaigns := sortedKeys(keys.IDs), sortedKeys(keys.EmailKeys), sortedKeys(keys.Campaigns)
	var found lead.ImportFound
	return pg.InTxBatch(ctx, s.pool, func(b *pgx.Batch) {
		found = lead.ImportFound{
			ByID:       make(map[string]lead.Lead, len(leadIDs)),
			ByEmail:    make(map[string][]lead.Lead, len(emailKeys)),
			Campaigns:  make(map[string]bool, len(campaigns)),
			MergedInto: make(map[string]string),
		}
		b.Queue(lockKeysSQL, emailKeys, leadLockPrefix)
		queueByKey(b, "leads", leadCols, leadIDs, emailKeys, scanLead, func(l lead.Lead) string { return l.ID }, found.ByID, found.ByEmail)
		queueExisting(b, "campaigns", campaigns, found.Campaigns)
		if len(leadIDs) > 0 {
			b.Queue(`SELECT duplicate_id::text, lead_id::text FROM lead_merges WHERE duplicate_id = ANY($1::uuid[])`, leadIDs).
				Query(func(rows pgx.Rows) error {
					for rows.Next() {
						var dup, kept string
						if err := rows.Scan(&dup, &kept); err != nil {
							return err
						}
						found.MergedInto[dup] = kept
					}
					return rows.Err()
				})
		}
	}, func(tx pgx.Tx) error {
		plan, err := fn(found)
		if err != nil || plan == nil {
			return err
		}
		w := &pgx.Batch{}
		if len(plan.Insert) > 0 {
			w.Queue(`INSERT INTO leads (id, name, company, title, email, email_key, phone, website, source, campaign_id,
status, owner, version, create_time, update_time)
SELECT r.id, r.name, r.company, r.title, r.email, r.email_key, r.phone, r.website, r.source, r.campaign, r.status,
  r.owner, r.version, r.time, r.time
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::text[], $11::text[], $12::text[], $13::bigint[], $14::timestamptz[])
  AS r(id, name, company, title, email, email_key, phone, website, source, campaign, status, owner, version, time)`,
				leadColumns(plan.Insert)...)
		}
		if len(plan.Update) > 0 {
			w.Queue(`UPDATE leads l SET name = r.name, company = r.company, title = r.title, email = r.email,
  email_key = r.email_key, phone = r.phone, website = r.website, source = r.source, campaign_id = r.campaign,
  status = r.status, owner = r.owner, version = r.version, update_time = r.time
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[],
  $10::text[], $11::text[], $12::text[], $13::bigint[], $14::timestamptz[])
  AS r(id, name, company, title, email, email_key, phone, website, source, campaign, status, owner, version, time)
WHERE l.id = r.id`, leadColumns(plan.Update)...)
		}
		if w.Len() > 0 {
			err := tx.SendBatch(ctx, w).Close()
			if pg.IsForeignKeyViolation(err, "leads_campaign_id_fkey") {
				return errs.Invalid("campaign_id", "a campaign of this batch was deleted meanwhile; import the batch again")
			}
			if err != nil {
				return fmt.Errorf("import leads: %w", err)
			}
		}
		return appendEvents(ctx, tx, plan.Events, func(e lead.Event) (string, string, []byte) { return e.Type, e.Key, e.Payload })
	})
}

func leadColumns(list []lead.Lead) []any {
	n := len(list)
	ids, names, companies, titles, emails, keys := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	phones, websites, sources, campaigns, statuses, owners := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	versions, times := make([]int64, n), make([]time.Time, n)
	for i, l := range list {
		ids[i], names[i], companies[i], titles[i], emails[i], keys[i] = l.ID, l.Name, l.Company, l.Title, l.Email, contact.EmailKey(l.Email)
		phones[i], websites[i], sources[i], campaigns[i], statuses[i], owners[i] = l.Phone, l.Website, l.Source, l.CampaignID, string(l.Status), l.Owner
		versions[i], times[i] = l.Version, l.UpdateTime
	}
	return []any{ids, names, companies, titles, emails, keys, phones, websites, sources, campaigns, statuses, owners, versions, times}
}
