package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

var _ servicecase.Store = (*Store)(nil)

// Cases are read joined to their account for its payment status.
const caseCols = `c.id, c.subject, c.description, c.account_id, c.contact_id, c.priority, c.status, c.owner,
c.sla_due_time, c.sla_paused_at, c.sla_paused_for, c.resolve_time, a.payment_status, c.version, c.create_time, c.update_time,
c.escalation_level, c.escalate_time`

const caseFrom = ` FROM cases c JOIN accounts a ON a.id = c.account_id`

// Each filter column has an index (column, id).
var caseFilterCols = map[string]string{
	"status": "c.status", "priority": "c.priority", "owner": "c.owner", "account_id": "c.account_id",
	// The account's, joined: few accounts are overdue, and their cases
	// are found through the accounts.
	"account_payment_status": "a.payment_status",
	// "true" or "false"; index cases_escalated_idx.
	"escalated": "(c.escalation_level > 0)",
}

// likeEscaper makes text match itself in a LIKE pattern.
var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

func scanCase(row pgx.Row) (servicecase.Case, error) {
	var c servicecase.Case
	var contactID *string
	var resolved, paused, escalated *time.Time
	err := row.Scan(&c.ID, &c.Subject, &c.Description, &c.AccountID, &contactID, &c.Priority, &c.Status, &c.Owner,
		&c.SLADueTime, &paused, &c.SLAPausedFor, &resolved, &c.AccountPaymentStatus, &c.Version, &c.CreateTime, &c.UpdateTime,
		&c.EscalationLevel, &escalated)
	if err != nil {
		return servicecase.Case{}, err
	}
	if escalated != nil {
		c.EscalateTime = escalated.UTC()
	}
	if paused != nil {
		c.SLAPausedAt = *paused
	}
	if contactID != nil {
		c.ContactID = *contactID
	}
	if resolved != nil {
		c.ResolveTime = resolved.UTC()
	}
	c.SLADueTime, c.CreateTime, c.UpdateTime = c.SLADueTime.UTC(), c.CreateTime.UTC(), c.UpdateTime.UTC()
	return c, nil
}

func caseLinkError(err error, c servicecase.Case) error {
	switch {
	case pg.IsForeignKeyViolation(err, "cases_account_id_fkey"):
		return errs.Invalid("account_id", "account %q not found", c.AccountID)
	case pg.IsForeignKeyViolation(err, "cases_contact_id_fkey"):
		return errs.Invalid("contact_id", "contact %q not found", c.ContactID)
	}
	return nil
}

// CreateCase implements servicecase.Store: one round trip begins the
// transaction and reads the request id and the contact's account, one
// writes the case (returning the account's payment status in the same
// statement) and its event and commits.
func (s *Store) CreateCase(ctx context.Context, requestID, method string, c servicecase.Case, ev servicecase.Event, check func(string) error) (servicecase.Case, error) {
	var out servicecase.Case
	err := onceMore(func() error {
		var used *usedKey
		var contactAccount string
		created := c
		err := pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
			used = nil
			if requestID != "" {
				lookupKey(b, requestID, &used)
			}
			queueAccountOf(b, contactAccountSQL, c.ContactID, &contactAccount)
		}, func() (*pgx.Batch, error) {
			if used != nil {
				return nil, errReplayOf(used)
			}
			if c.ContactID != "" {
				if err := check(contactAccount); err != nil {
					return nil, err
				}
			}
			w := &pgx.Batch{}
			if requestID != "" {
				recordKey(ctx, w, requestID, method, c.ID)
			}
			w.Queue(`WITH ins AS (
  INSERT INTO cases (id, subject, description, account_id, contact_id, priority, status, owner, sla_due_time,
    resolve_time, version, create_time, update_time, sla_paused_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
  RETURNING account_id)
SELECT a.payment_status FROM ins JOIN accounts a ON a.id = ins.account_id`,
				c.ID, c.Subject, c.Description, c.AccountID, nullable(c.ContactID), c.Priority, c.Status, c.Owner,
				c.SLADueTime, timestamp(c.ResolveTime), c.Version, c.CreateTime, c.UpdateTime, timestamp(c.SLAPausedAt)).
				QueryRow(func(row pgx.Row) error { return row.Scan(&created.AccountPaymentStatus) })
			if err := queueEvent(ctx, w, ev.Type, ev.Key, ev.Payload); err != nil {
				return nil, err
			}
			return w, nil
		})
		if err == nil {
			out = created
			return nil
		}
		if keyTaken(err) {
			return err
		}
		if lerr := caseLinkError(err, c); lerr != nil {
			return lerr
		}
		return err
	})
	return created(ctx, err, out, method, s.GetCase)
}

// GetCase implements servicecase.Store.
func (s *Store) GetCase(ctx context.Context, id string) (servicecase.Case, error) {
	c, err := scanCase(s.pool.QueryRow(ctx, `SELECT `+caseCols+caseFrom+` WHERE c.id = $1`, id))
	if pg.IsNoRows(err) {
		return servicecase.Case{}, errs.NotFoundf("case %q", id)
	}
	if err != nil {
		return servicecase.Case{}, fmt.Errorf("get case %s: %w", id, err)
	}
	return c, nil
}

// listCasesSQL is the query of a page of cases, and its arguments.
func listCasesSQL(q servicecase.Query) (string, []any, error) {
	var extra []string
	var extraArgs []any
	if q.Breached != nil {
		if *q.Breached {
			extra = append(extra, `c.status NOT IN ('resolved', 'closed') AND c.sla_due_time < coalesce(c.sla_paused_at, $?)`)
		} else {
			extra = append(extra, `(c.status IN ('resolved', 'closed') OR c.sla_due_time >= coalesce(c.sla_paused_at, $?))`)
		}
		extraArgs = append(extraArgs, q.BreachedAt)
	}
	if q.Open != nil {
		extra = append(extra, `(c.status IN ('resolved', 'closed')) = $?`)
		extraArgs = append(extraArgs, !*q.Open)
	}
	// Each word is looked for in the folded subject and description
	// (migration 0032), folded the same way, through the trigram index.
	for _, w := range q.Words {
		extra = append(extra, `c.search_fold LIKE ('%' || `+foldName("$?")+` || '%')`)
		extraArgs = append(extraArgs, likeEscaper.Replace(w))
	}
	return listQueryWhere(`SELECT `+caseCols+caseFrom, "c.id", caseFilterCols, q.Equal, extra, extraArgs, q.After, q.Limit)
}

// ListCases implements servicecase.Store.
func (s *Store) ListCases(ctx context.Context, q servicecase.Query) ([]servicecase.Case, bool, error) {
	sql, args, err := listCasesSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list cases: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (servicecase.Case, error) { return scanCase(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list cases: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

func lockCase(ctx context.Context, tx pgx.Tx, id string) (servicecase.Case, error) {
	return lockRow(ctx, tx, "case", "cases/"+id, `SELECT `+caseCols+caseFrom+` WHERE c.id = $1 FOR UPDATE OF c`, id, scanCase)
}

// UpdateCase implements servicecase.Store.
func (s *Store) UpdateCase(ctx context.Context, id string, fn func(servicecase.Case, servicecase.ContactAccount) (servicecase.Change, error)) (servicecase.Case, error) {
	var out servicecase.Case
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := setActor(ctx, tx); err != nil {
			return err
		}
		cur, err := lockCase(ctx, tx, id)
		if err != nil {
			return err
		}
		contactAccount := func(contactID string) (string, error) {
			var acc string
			b := &pgx.Batch{}
			queueAccountOf(b, contactAccountSQL, contactID, &acc)
			if b.Len() == 0 {
				return acc, nil
			}
			return acc, tx.SendBatch(ctx, b).Close()
		}
		ch, err := fn(cur, contactAccount)
		if err != nil {
			return err
		}
		if ch.Unchanged {
			out = cur
			return nil
		}
		c := ch.Case
		_, err = tx.Exec(ctx, `UPDATE cases SET subject = $2, description = $3, contact_id = $4, priority = $5, status = $6,
owner = $7, sla_due_time = $8, resolve_time = $9, version = $10, update_time = $11,
sla_paused_at = $12, sla_paused_for = $13 WHERE id = $1`,
			id, c.Subject, c.Description, nullable(c.ContactID), c.Priority, c.Status, c.Owner, c.SLADueTime,
			timestamp(c.ResolveTime), c.Version, c.UpdateTime, timestamp(c.SLAPausedAt), c.SLAPausedFor)
		if lerr := caseLinkError(err, c); lerr != nil {
			return lerr
		}
		if err != nil {
			return fmt.Errorf("update case %s: %w", id, err)
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
		return servicecase.Case{}, err
	}
	return out, nil
}

// EscalateCase implements servicecase.Store: one round trip begins the
// transaction, sets the actor for the audit trail, locks and reads the
// case and looks the request id up (after the lock, so a concurrent call
// with the same id has committed its key by then); one writes the case,
// its note and their events and commits.
func (s *Store) EscalateCase(ctx context.Context, id, requestID, method string, fn func(servicecase.Case) (servicecase.Escalation, error)) (servicecase.Case, error) {
	var out servicecase.Case
	err := onceMore(func() error {
		var cur servicecase.Case
		var found bool
		var used *usedKey
		var esc servicecase.Escalation
		err := pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
			cur, found, used = servicecase.Case{}, false, nil
			queueActor(ctx, b)
			pg.QueueKeyLock(b, "cases/"+id)
			b.Queue(`SELECT `+caseCols+caseFrom+` WHERE c.id = $1 FOR UPDATE OF c`, id).QueryRow(func(row pgx.Row) error {
				c, err := scanCase(row)
				if pg.IsNoRows(err) {
					return nil
				}
				if err != nil {
					return fmt.Errorf("lock case %s: %w", id, err)
				}
				cur, found = c, true
				return nil
			})
			if requestID != "" {
				lookupKey(b, requestID, &used)
			}
		}, func() (*pgx.Batch, error) {
			if !found {
				return nil, errs.NotFoundf("case %q", id)
			}
			if used != nil {
				if err := checkKey(ctx, used, method, id); err != nil {
					return nil, err
				}
				esc = servicecase.Escalation{Case: cur}
				return nil, nil
			}
			var err error
			if esc, err = fn(cur); err != nil {
				return nil, err
			}
			c := esc.Case
			w := &pgx.Batch{}
			if requestID != "" {
				recordKey(ctx, w, requestID, method, id)
			}
			w.Queue(`UPDATE cases SET escalation_level = $2, escalate_time = $3, owner = $4, version = $5, update_time = $6 WHERE id = $1`,
				id, c.EscalationLevel, timestamp(c.EscalateTime), c.Owner, c.Version, c.UpdateTime)
			queueInsertActivity(w, esc.Note)
			for _, ev := range []struct {
				typ, key string
				payload  []byte
			}{
				{esc.Event.Type, esc.Event.Key, esc.Event.Payload},
				{esc.NoteEvent.Type, esc.NoteEvent.Key, esc.NoteEvent.Payload},
			} {
				if err := queueEvent(ctx, w, ev.typ, ev.key, ev.payload); err != nil {
					return nil, err
				}
			}
			return w, nil
		})
		if err != nil {
			return err
		}
		out = esc.Case
		return nil
	})
	if err != nil {
		return servicecase.Case{}, err
	}
	return out, nil
}

// DeleteCase implements servicecase.Store: the case is locked first, so
// no write links another activity to it meanwhile (writes lock the case
// they link FOR KEY SHARE), then the activities that name it.
func (s *Store) DeleteCase(ctx context.Context, id string, fn func(servicecase.Case, []activity.Activity) (servicecase.Deletion, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockCase(ctx, tx, id)
		if err != nil {
			return err
		}
		var linked []activity.Activity
		b := &pgx.Batch{}
		queueLinkedActivities(b, "case_id", id, &linked)
		if err := tx.SendBatch(ctx, b).Close(); err != nil {
			return fmt.Errorf("lock the activities of case %s: %w", id, err)
		}
		d, err := fn(cur, linked)
		if err != nil {
			return err
		}
		w := &pgx.Batch{}
		if err := queueWriteLinks(ctx, w, d.Activities); err != nil {
			return err
		}
		w.Queue(`DELETE FROM cases WHERE id = $1`, id)
		if err := queueEvent(ctx, w, d.Event.Type, d.Event.Key, d.Event.Payload); err != nil {
			return err
		}
		if err := tx.SendBatch(ctx, w).Close(); err != nil {
			return fmt.Errorf("delete case %s: %w", id, err)
		}
		return nil
	})
}

// queueLinkedCases queues locking the cases of a contact, their key locks
// in id order and then their rows, and reading them into out. The caller
// has locked the contact FOR UPDATE before, so no write links another
// case to it meanwhile.
func queueLinkedCases(b *pgx.Batch, contactID string, out *[]servicecase.Case) {
	queueLockRecords(b, "cases", `contact_id = $1`, contactID)
	b.Queue(`SELECT `+caseCols+caseFrom+` WHERE c.contact_id = $1 ORDER BY c.id FOR UPDATE OF c`, contactID).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				return fmt.Errorf("read cases of contact %s: %w", contactID, err)
			}
			*out = append(*out, c)
		}
		return rows.Err()
	})
}

// queueWriteCaseContacts queues writing the contact, version and update
// time of cases, with their events.
func queueWriteCaseContacts(ctx context.Context, b *pgx.Batch, list []servicecase.Case, events []servicecase.Event) error {
	if len(list) == 0 {
		return nil
	}
	n := len(list)
	ids, contacts, versions, times := make([]string, n), make([]string, n), make([]int64, n), make([]time.Time, n)
	for i, c := range list {
		ids[i], contacts[i], versions[i], times[i] = c.ID, c.ContactID, c.Version, c.UpdateTime
	}
	b.Queue(`UPDATE cases c SET contact_id = nullif(r.contact, '')::uuid, version = r.version, update_time = r.time
FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::timestamptz[]) AS r(id, contact, version, time)
WHERE c.id = r.id`, ids, contacts, versions, times)
	for _, ev := range events {
		if err := queueEvent(ctx, b, ev.Type, ev.Key, ev.Payload); err != nil {
			return err
		}
	}
	return nil
}
