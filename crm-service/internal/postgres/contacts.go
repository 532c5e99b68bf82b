package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

var _ contact.Store = (*Store)(nil)

const contactCols = `id, account_id, name, email, phone, title, role, owner, version, create_time, update_time,
coalesce(external_id, ''), name_fold`

// Each filter column has an index (column, id), or, for external_id, a
// unique one.
var contactFilterCols = map[string]string{"account_id": "account_id", "email": "email_key", "owner": "owner", "external_id": "external_id"}

// contactExternalIDKey is the unique index on contacts' external ids.
const contactExternalIDKey = "contacts_external_id_key"

func scanContact(row pgx.Row) (contact.Contact, error) {
	var c contact.Contact
	var accountID *string
	err := row.Scan(&c.ID, &accountID, &c.Name, &c.Email, &c.Phone, &c.Title, &c.Role, &c.Owner,
		&c.Version, &c.CreateTime, &c.UpdateTime, &c.ExternalID, &c.NameFold)
	if accountID != nil {
		c.AccountID = *accountID
	}
	return c, err
}

// contactLockPrefix prefixes the email key in the transaction lock taken
// on it (so two creates, updates or imports with one email serialize).
const contactLockPrefix = "crm.contact:"

// queueContactDuplicateLookup queues a transaction lock on the email key
// and the reading of the oldest contact other than self ("" for none) with
// it into *existing.
func queueContactDuplicateLookup(b *pgx.Batch, emailKey, self string, existing *string) {
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($2 || $1, 0))`, emailKey, contactLockPrefix)
	b.Queue(`SELECT id FROM contacts WHERE email_key = $1 AND id::text <> $2 ORDER BY id LIMIT 1`, emailKey, self).QueryRow(scanFoundID(existing))
}

// queueContactLookupAt queues the transaction lock on the email key that
// queueContactDuplicateLookup takes and the reading of the oldest contact
// at accountID with it into *existing, locked FOR SHARE so that it stays
// at that account until the transaction ends.
func queueContactLookupAt(b *pgx.Batch, emailKey, accountID string, existing *string) {
	b.Queue(`SELECT pg_advisory_xact_lock(hashtextextended($2 || $1, 0))`, emailKey, contactLockPrefix)
	b.Queue(`SELECT id FROM contacts WHERE email_key = $1 AND account_id = $2 ORDER BY id LIMIT 1 FOR SHARE`, emailKey, accountID).
		QueryRow(scanFoundID(existing))
}

// scanFoundID scans a row's id into *id, leaving it "" without a row.
func scanFoundID(id *string) func(pgx.Row) error {
	return func(row pgx.Row) error {
		err := row.Scan(id)
		if pg.IsNoRows(err) {
			return nil
		}
		return err
	}
}

func queueInsertContact(b *pgx.Batch, c contact.Contact) {
	b.Queue(`INSERT INTO contacts (id, account_id, name, email, email_key, phone, title, role, owner, version,
create_time, update_time, external_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		c.ID, nullable(c.AccountID), c.Name, c.Email, contact.EmailKey(c.Email), c.Phone, c.Title, c.Role, c.Owner,
		c.Version, c.CreateTime, c.UpdateTime, nullable(c.ExternalID))
}

// contactExternalIDTaken is the error for an external_id another contact
// has; withContactHolder names that contact once the transaction has
// ended.
func contactExternalIDTaken(id string) error {
	return &contact.ExternalIDError{ExternalID: id}
}

// withContactHolder fills in the contact that has the external_id of a
// *contact.ExternalIDError (read after the failed transaction, as the
// holder may have committed concurrently); other errors pass unchanged.
func (s *Store) withContactHolder(ctx context.Context, err error) error {
	var taken *contact.ExternalIDError
	if !errors.As(err, &taken) || taken.ExistingID != "" {
		return err
	}
	var id string
	if qerr := s.pool.QueryRow(ctx, `SELECT id FROM contacts WHERE external_id = $1`, taken.ExternalID).Scan(&id); qerr == nil {
		return &contact.ExternalIDError{ExternalID: taken.ExternalID, ExistingID: id}
	}
	return err
}

// CreateContact implements contact.Store: one round trip for the request
// id and the duplicate check, one to write, one for the event.
func (s *Store) CreateContact(ctx context.Context, requestID, method string, c contact.Contact, ev contact.Event, dedupe bool) (contact.Contact, error) {
	key := contact.EmailKey(c.Email)
	dedupe = dedupe && key != ""
	var out contact.Contact
	err := onceMore(func() error {
		return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
			b := &pgx.Batch{}
			var used *usedKey
			var existing string
			// The duplicate key's lock first: a concurrent call with the
			// same request_id that holds it has committed its key when the
			// lookup after the lock runs, so it is a replay, not a
			// duplicate.
			if dedupe {
				queueContactDuplicateLookup(b, key, "", &existing)
			}
			if requestID != "" {
				lookupKey(b, requestID, &used)
			}
			if b.Len() > 0 {
				if err := tx.SendBatch(ctx, b).Close(); err != nil {
					return fmt.Errorf("prepare contact: %w", err)
				}
			}
			if used != nil {
				return errReplayOf(used)
			}
			if existing != "" {
				return &contact.DuplicateError{ExistingID: existing, Email: c.Email}
			}
			w := &pgx.Batch{}
			if requestID != "" {
				recordKey(ctx, w, requestID, method, c.ID)
			}
			queueInsertContact(w, c)
			if err := tx.SendBatch(ctx, w).Close(); err != nil {
				if keyTaken(err) {
					return err
				}
				if pg.IsForeignKeyViolation(err, "contacts_account_id_fkey") {
					return errs.Invalid("account_id", "account %q not found", c.AccountID)
				}
				if pg.IsUniqueViolation(err, contactExternalIDKey) {
					return contactExternalIDTaken(c.ExternalID)
				}
				return fmt.Errorf("insert contact: %w", err)
			}
			if err := appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload); err != nil {
				return err
			}
			out = c
			return nil
		})
	})
	return created(ctx, s.withContactHolder(ctx, err), out, method, s.GetContact)
}

// GetContact implements contact.Store.
func (s *Store) GetContact(ctx context.Context, id string) (contact.Contact, error) {
	c, err := scanContact(s.pool.QueryRow(ctx, `SELECT `+contactCols+` FROM contacts WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return contact.Contact{}, errs.NotFoundf("contact %q", id)
	}
	if err != nil {
		return contact.Contact{}, fmt.Errorf("get contact %s: %w", id, err)
	}
	return c, nil
}

// contactSortFields are the orders of ListContacts; each has indexes
// (field, id) and (owner, field, id) (0039), name's on (name_fold, name).
var contactSortFields = map[string]sortField{
	"name":        foldedSort("name_fold", "name"),
	"create_time": plainSort("create_time", timeKey),
}

func listContactsSQL(q contact.Query) (string, []any, error) {
	ks, err := listKeyset(contactSortFields, q.Order, q.AfterKey, q.After)
	if err != nil {
		return "", nil, err
	}
	return keysetQuery(`SELECT `+contactCols+` FROM contacts`, contactFilterCols, q.Equal, nil, nil, ks, q.Limit)
}

// ListContacts implements contact.Store.
func (s *Store) ListContacts(ctx context.Context, q contact.Query) ([]contact.Contact, bool, error) {
	sql, args, err := listContactsSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list contacts: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (contact.Contact, error) { return scanContact(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list contacts: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

func lockContact(ctx context.Context, tx pgx.Tx, id string) (contact.Contact, error) {
	return lockRow(ctx, tx, "contact", "contacts/"+id, `SELECT `+contactCols+` FROM contacts WHERE id = $1 FOR UPDATE`, id, scanContact)
}

// UpdateContact implements contact.Store.
func (s *Store) UpdateContact(ctx context.Context, id string, fn func(contact.Contact) (contact.Change, error)) (contact.Contact, error) {
	var out contact.Contact
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockContact(ctx, tx, id)
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
		c := ch.Contact
		if ch.Dedupe {
			var existing string
			b := &pgx.Batch{}
			queueContactDuplicateLookup(b, contact.EmailKey(c.Email), c.ID, &existing)
			if err := tx.SendBatch(ctx, b).Close(); err != nil {
				return fmt.Errorf("look up duplicates of contact %s: %w", id, err)
			}
			if existing != "" {
				return &contact.DuplicateError{ExistingID: existing, Email: c.Email}
			}
		}
		_, err = tx.Exec(ctx, `UPDATE contacts SET account_id = $2, name = $3, email = $4, email_key = $5, phone = $6,
title = $7, role = $8, owner = $9, version = $10, update_time = $11, external_id = $12 WHERE id = $1`,
			id, nullable(c.AccountID), c.Name, c.Email, contact.EmailKey(c.Email), c.Phone, c.Title, c.Role, c.Owner,
			c.Version, c.UpdateTime, nullable(c.ExternalID))
		if pg.IsForeignKeyViolation(err, "contacts_account_id_fkey") {
			return errs.Invalid("account_id", "account %q not found", c.AccountID)
		}
		if pg.IsUniqueViolation(err, contactExternalIDKey) {
			return contactExternalIDTaken(c.ExternalID)
		}
		if err != nil {
			return fmt.Errorf("update contact %s: %w", id, err)
		}
		if ch.Event != nil {
			if err := appendEvent(ctx, tx, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
				return err
			}
		}
		out = c
		return nil
	})
	if err != nil {
		return contact.Contact{}, s.withContactHolder(ctx, err)
	}
	return out, nil
}

// DeleteContact implements contact.Store. The leads converted into the
// contact lose it too, each as an update of its own (SetLeadUnlinker).
func (s *Store) DeleteContact(ctx context.Context, id string, fn func(contact.Contact, contact.Linked) (contact.Deletion, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		var cur contact.Contact
		var found bool
		var linked contact.Linked
		b := &pgx.Batch{}
		queueActor(ctx, b) // the cases' audit entries name the caller
		pg.QueueKeyLock(b, "contacts/"+id)
		b.Queue(`SELECT `+contactCols+` FROM contacts WHERE id = $1 FOR UPDATE`, id).QueryRow(func(row pgx.Row) error {
			c, err := scanContact(row)
			if pg.IsNoRows(err) {
				return nil
			}
			cur, found = c, err == nil
			return err
		})
		queueLinkedActivities(b, "contact_id", id, &linked.Activities)
		queueLinkedCases(b, id, &linked.Cases)
		queueLinkedMembers(b, "contact_id", id, &linked.CampaignMembers)
		var leads []lead.Lead
		queueLinkedLeads(b, lead.LinkContact, id, &leads)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock contact %s: %w", id, err)
		}
		if !found {
			return errs.NotFoundf("contact %q", id)
		}
		d, err := fn(cur, linked)
		if err != nil {
			return err
		}
		w := &pgx.Batch{}
		if err := queueWriteLinks(ctx, w, d.Activities); err != nil {
			return err
		}
		if err := queueWriteCaseContacts(ctx, w, d.Cases, d.CaseEvents); err != nil {
			return err
		}
		if err := s.queueUnlinkLeads(ctx, w, leads, lead.LinkContact); err != nil {
			return err
		}
		if err := queueDeleteWithMembers(ctx, w, "contacts", "contact_id", id, d.MemberEvents, d.Event.Type, d.Event.Key, d.Event.Payload); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, w).Close(); err != nil {
			return fmt.Errorf("delete contact %s: %w", id, err)
		}
		return nil
	})
}
