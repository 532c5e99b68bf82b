package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/pg"
)

var _ activity.Store = (*Store)(nil)

const activityCols = `id, type, subject, description, account_id, contact_id, opportunity_id, owner,
activity_time, due_time, reminder_time, done, done_time, version, create_time, update_time, case_id, lead_id`

// Filter columns; (owner, done, id), (type, id) and each link (column, id)
// are indexed.
var activityFilterCols = map[string]string{
	"type": "type", "owner": "owner", "done": "done", "account_id": "account_id",
	"contact_id": "contact_id", "opportunity_id": "opportunity_id", "case_id": "case_id",
	"lead_id": "lead_id",
}

func scanActivity(row pgx.Row) (activity.Activity, error) {
	var a activity.Activity
	var acc, con, opp, cas, ld *string
	var at, due, remind, done *time.Time
	err := row.Scan(&a.ID, &a.Type, &a.Subject, &a.Description, &acc, &con, &opp, &a.Owner,
		&at, &due, &remind, &a.Done, &done, &a.Version, &a.CreateTime, &a.UpdateTime, &cas, &ld)
	if err != nil {
		return activity.Activity{}, err
	}
	for _, p := range []struct {
		src *string
		dst *string
	}{{acc, &a.AccountID}, {con, &a.ContactID}, {opp, &a.OpportunityID}, {cas, &a.CaseID}, {ld, &a.LeadID}} {
		if p.src != nil {
			*p.dst = *p.src
		}
	}
	for _, p := range []struct {
		src *time.Time
		dst *time.Time
	}{{at, &a.ActivityTime}, {due, &a.DueTime}, {remind, &a.ReminderTime}, {done, &a.DoneTime}} {
		if p.src != nil {
			*p.dst = p.src.UTC()
		}
	}
	a.CreateTime, a.UpdateTime = a.CreateTime.UTC(), a.UpdateTime.UTC()
	return a, nil
}

// linkError turns a foreign key violation of a link into a violation of
// its field.
func linkError(err error, a activity.Activity) error {
	switch {
	case pg.IsForeignKeyViolation(err, "activities_account_id_fkey"):
		return errs.Invalid("account_id", "account %q not found", a.AccountID)
	case pg.IsForeignKeyViolation(err, "activities_contact_id_fkey"):
		return errs.Invalid("contact_id", "contact %q not found", a.ContactID)
	case pg.IsForeignKeyViolation(err, "activities_opportunity_id_fkey"):
		return errs.Invalid("opportunity_id", "opportunity %q not found", a.OpportunityID)
	case pg.IsForeignKeyViolation(err, "activities_case_id_fkey"):
		return errs.Invalid("case_id", "case %q not found", a.CaseID)
	case pg.IsForeignKeyViolation(err, "activities_lead_id_fkey"):
		return errs.Invalid("lead_id", "lead %q not found", a.LeadID)
	}
	return nil
}

// Reading the account of a linked record locks it FOR KEY SHARE: it
// cannot be deleted before the write commits, nor move to another account
// (contacts change only after a FOR UPDATE lock; an opportunity's account
// never changes, nor does a case's).
const (
	opportunityAccountSQL = `SELECT account_id::text FROM opportunities WHERE id = $1 FOR KEY SHARE`
	caseAccountSQL        = `SELECT account_id::text FROM cases WHERE id = $1 FOR KEY SHARE`
	contactAccountSQL     = `SELECT account_id::text FROM contacts WHERE id = $1 FOR KEY SHARE`
)

// queueLinkAccounts queues reading the accounts of the records of links
// into *acc (see queueAccountOf), and the state of the lead (see
// queueLeadState).
func queueLinkAccounts(b *pgx.Batch, links activity.LinkIDs, acc *activity.LinkAccounts) {
	queueAccountOf(b, opportunityAccountSQL, links.Opportunity, &acc.Opportunity)
	queueAccountOf(b, caseAccountSQL, links.Case, &acc.Case)
	queueAccountOf(b, contactAccountSQL, links.Contact, &acc.Contact)
	queueLeadState(b, links.Lead, &acc.Lead)
}

// queueLeadState queues reading the lead id into *into (nothing for ""):
// whether it exists, locked FOR KEY SHARE so that it is neither deleted
// nor converted nor merged away before the write commits (those lock it
// FOR UPDATE), whether it is converted and into what, and for a lead not
// found the lead it was merged into.
func queueLeadState(b *pgx.Batch, id string, into *activity.LeadState) {
	*into = activity.LeadState{}
	if id == "" {
		return
	}
	b.Queue(`SELECT status, converted_account_id::text, converted_contact_id::text FROM leads WHERE id = $1 FOR KEY SHARE`, id).QueryRow(func(row pgx.Row) error {
		var status string
		var acc, con *string
		err := row.Scan(&status, &acc, &con)
		if pg.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read lead %s: %w", id, err)
		}
		into.Found, into.Converted = true, status == "converted"
		if acc != nil {
			into.ConvertedAccountID = *acc
		}
		if con != nil {
			into.ConvertedContactID = *con
		}
		return nil
	})
	b.Queue(`SELECT lead_id::text FROM lead_merges WHERE duplicate_id = $1`, id).QueryRow(func(row pgx.Row) error {
		err := row.Scan(&into.MergedInto)
		if pg.IsNoRows(err) {
			return nil
		}
		return err
	})
}

// queueAccountOf queues the reading of the account of one record with
// sql (opportunityAccountSQL, contactAccountSQL) into *into: "" when id
// is "", names no record, or a record at no account.
func queueAccountOf(b *pgx.Batch, sql, id string, into *string) {
	*into = ""
	if id == "" {
		return
	}
	b.Queue(sql, id).QueryRow(func(row pgx.Row) error {
		var acc *string
		err := row.Scan(&acc)
		if pg.IsNoRows(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read the account of %s: %w", id, err)
		}
		if acc != nil {
			*into = *acc
		}
		return nil
	})
}

// CreateActivity implements activity.Store: one round trip begins the
// transaction and reads the request id and the accounts of the links, one
// writes the activity and its event and commits.
func (s *Store) CreateActivity(ctx context.Context, requestID, method string, links activity.LinkIDs, build func(activity.LinkAccounts) (activity.Activity, activity.Event, error)) (activity.Activity, error) {
	var out activity.Activity
	err := onceMore(func() error {
		var used *usedKey
		var acc activity.LinkAccounts
		var a activity.Activity
		err := pg.InTxBatchCommit(ctx, s.pool, func(b *pgx.Batch) {
			used = nil
			if requestID != "" {
				lookupKey(b, requestID, &used)
			}
			queueLinkAccounts(b, links, &acc)
		}, func() (*pgx.Batch, error) {
			if used != nil {
				return nil, errReplayOf(used)
			}
			var ev activity.Event
			var err error
			if a, ev, err = build(acc); err != nil {
				return nil, err
			}
			w := &pgx.Batch{}
			if requestID != "" {
				recordKey(ctx, w, requestID, method, a.ID)
			}
			queueInsertActivity(w, a)
			if err := queueEvent(ctx, w, ev.Type, ev.Key, ev.Payload); err != nil {
				return nil, err
			}
			return w, nil
		})
		if err == nil {
			out = a
			return nil
		}
		if keyTaken(err) {
			return err
		}
		if lerr := linkError(err, a); lerr != nil {
			return lerr
		}
		return err
	})
	return created(ctx, err, out, method, s.GetActivity)
}

// queueInsertActivity queues the insertion of a.
func queueInsertActivity(b *pgx.Batch, a activity.Activity) {
	b.Queue(`INSERT INTO activities (id, type, subject, description, account_id, contact_id, opportunity_id, owner,
activity_time, due_time, reminder_time, done, done_time, version, create_time, update_time, case_id, lead_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)`,
		a.ID, a.Type, a.Subject, a.Description, nullable(a.AccountID), nullable(a.ContactID), nullable(a.OpportunityID),
		a.Owner, timestamp(a.ActivityTime), timestamp(a.DueTime), timestamp(a.ReminderTime), a.Done, timestamp(a.DoneTime),
		a.Version, a.CreateTime, a.UpdateTime, nullable(a.CaseID), nullable(a.LeadID))
}

// GetActivity implements activity.Store.
func (s *Store) GetActivity(ctx context.Context, id string) (activity.Activity, error) {
	a, err := scanActivity(s.pool.QueryRow(ctx, `SELECT `+activityCols+` FROM activities WHERE id = $1`, id))
	if pg.IsNoRows(err) {
		return activity.Activity{}, errs.NotFoundf("activity %q", id)
	}
	if err != nil {
		return activity.Activity{}, fmt.Errorf("get activity %s: %w", id, err)
	}
	return a, nil
}

// listActivitiesSQL is the query of a page of activities, and its
// arguments.
func listActivitiesSQL(q activity.Query) (string, []any, error) {
	var extra []string
	var extraArgs []any
	for _, r := range q.Ranges {
		if r.Field != "due_time" {
			return "", nil, errs.Invalid("filter", "cannot compare %q", r.Field)
		}
		switch r.Op {
		case "<", "<=", ">", ">=":
		default:
			return "", nil, errs.Invalid("filter", "cannot compare %q with %s", r.Field, r.Op)
		}
		extra = append(extra, "due_time "+r.Op+" $?")
		extraArgs = append(extraArgs, r.At)
	}
	return listQueryWhere(`SELECT `+activityCols+` FROM activities`, "id", activityFilterCols, q.Equal, extra, extraArgs, q.After, q.Limit)
}

// ListActivities implements activity.Store.
func (s *Store) ListActivities(ctx context.Context, q activity.Query) ([]activity.Activity, bool, error) {
	sql, args, err := listActivitiesSQL(q)
	if err != nil {
		return nil, false, err
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, false, fmt.Errorf("list activities: %w", err)
	}
	list, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (activity.Activity, error) { return scanActivity(row) })
	if err != nil {
		return nil, false, fmt.Errorf("list activities: %w", err)
	}
	if len(list) > q.Limit {
		return list[:q.Limit], true, nil
	}
	return list, false, nil
}

func lockActivity(ctx context.Context, tx pgx.Tx, id string) (activity.Activity, error) {
	return lockRow(ctx, tx, "activity", "activities/"+id, `SELECT `+activityCols+` FROM activities WHERE id = $1 FOR UPDATE`, id, scanActivity)
}

// UpdateActivity implements activity.Store.
func (s *Store) UpdateActivity(ctx context.Context, id string, fn func(activity.Activity, activity.Links) (activity.Change, error)) (activity.Activity, error) {
	var out activity.Activity
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockActivity(ctx, tx, id)
		if err != nil {
			return err
		}
		links := func(ids activity.LinkIDs) (activity.LinkAccounts, error) {
			var acc activity.LinkAccounts
			b := &pgx.Batch{}
			queueLinkAccounts(b, ids, &acc)
			if b.Len() == 0 {
				return acc, nil
			}
			return acc, tx.SendBatch(ctx, b).Close()
		}
		ch, err := fn(cur, links)
		if err != nil {
			return err
		}
		if ch.Unchanged {
			out = cur
			return nil
		}
		a := ch.Activity
		_, err = tx.Exec(ctx, `UPDATE activities SET subject = $2, description = $3, account_id = $4, contact_id = $5,
opportunity_id = $6, owner = $7, activity_time = $8, due_time = $9, reminder_time = $10, done = $11, done_time = $12,
version = $13, update_time = $14, case_id = $15, lead_id = $16 WHERE id = $1`,
			id, a.Subject, a.Description, nullable(a.AccountID), nullable(a.ContactID), nullable(a.OpportunityID), a.Owner,
			timestamp(a.ActivityTime), timestamp(a.DueTime), timestamp(a.ReminderTime), a.Done, timestamp(a.DoneTime),
			a.Version, a.UpdateTime, nullable(a.CaseID), nullable(a.LeadID))
		if lerr := linkError(err, a); lerr != nil {
			return lerr
		}
		if err != nil {
			return fmt.Errorf("update activity %s: %w", id, err)
		}
		if ch.Event != nil {
			if err := appendEvent(ctx, tx, ch.Event.Type, ch.Event.Key, ch.Event.Payload); err != nil {
				return err
			}
		}
		out = a
		return nil
	})
	if err != nil {
		return activity.Activity{}, err
	}
	return out, nil
}

// DeleteActivity implements activity.Store.
func (s *Store) DeleteActivity(ctx context.Context, id string, fn func(activity.Activity) (activity.Event, error)) error {
	return pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		cur, err := lockActivity(ctx, tx, id)
		if err != nil {
			return err
		}
		ev, err := fn(cur)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM activities WHERE id = $1`, id); err != nil {
			return fmt.Errorf("delete activity %s: %w", id, err)
		}
		return appendEvent(ctx, tx, ev.Type, ev.Key, ev.Payload)
	})
}

// RemindDue implements activity.Store. It reads the partial index of due
// reminders, oldest first.
func (s *Store) RemindDue(ctx context.Context, now time.Time, limit int, fn func(activity.Activity) (activity.Event, error)) (int, error) {
	n := 0
	err := pg.InTx(ctx, s.pool, func(tx pgx.Tx) error {
		n = 0
		// The activities' key locks first, as every writer of an activity
		// takes them before its transaction has an id (pg.QueueKeyLock);
		// one another writer holds is skipped this time, like a locked row.
		rows, err := tx.Query(ctx, `SELECT id FROM (
				SELECT id FROM activities
				WHERE NOT done AND reminder_time IS NOT NULL AND reminded_for IS DISTINCT FROM reminder_time
				  AND reminder_time <= $1
				ORDER BY reminder_time LIMIT $2) due
			WHERE pg_try_advisory_xact_lock(hashtextextended('activities/' || id::text, 0))`, now, limit)
		if err != nil {
			return fmt.Errorf("find due reminders: %w", err)
		}
		keyed, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil || len(keyed) == 0 {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT `+activityCols+` FROM activities
			WHERE id = ANY($3::uuid[]) AND NOT done AND reminder_time IS NOT NULL AND reminded_for IS DISTINCT FROM reminder_time
			  AND reminder_time <= $1
			ORDER BY reminder_time LIMIT $2 FOR UPDATE SKIP LOCKED`, now, limit, keyed)
		if err != nil {
			return fmt.Errorf("find due reminders: %w", err)
		}
		due, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (activity.Activity, error) { return scanActivity(row) })
		if err != nil {
			return fmt.Errorf("find due reminders: %w", err)
		}
		if len(due) == 0 {
			return nil
		}
		ids := make([]string, len(due))
		for i := range due {
			due[i].Version++
			due[i].UpdateTime = now
			ids[i] = due[i].ID
		}
		if _, err := tx.Exec(ctx, `UPDATE activities SET reminded_for = reminder_time, version = version + 1, update_time = $2
			WHERE id = ANY($1)`, ids, now); err != nil {
			return fmt.Errorf("mark reminders recorded: %w", err)
		}
		events := make([]activity.Event, len(due))
		for i, a := range due {
			if events[i], err = fn(a); err != nil {
				return err
			}
		}
		n = len(due)
		return appendEvents(ctx, tx, events, func(e activity.Event) (string, string, []byte) { return e.Type, e.Key, e.Payload })
	})
	return n, err
}

// queueLinkedActivities queues locking the activities whose link column
// col (account_id, contact_id, opportunity_id, case_id, lead_id) names id, their key locks
// in id order and then their rows, and reading them into out. The caller
// has locked the record they name FOR UPDATE before, so no write links
// another activity to it meanwhile (writes lock what they link FOR KEY
// SHARE).
func queueLinkedActivities(b *pgx.Batch, col, id string, out *[]activity.Activity) {
	queueLockRows(b, "activities", activityCols, scanActivity, out, col+` = $1`, id)
}

// queueWriteLinks queues writing the links, version and update time of
// activities whose links another record's write changed
// (activity.Unlinked: a deletion, a lead's conversion or merge), with
// their events.
func queueWriteLinks(ctx context.Context, b *pgx.Batch, u activity.Unlinked) error {
	queueActivityLinks(b, u.Activities)
	for _, ev := range u.Events {
		if err := queueEvent(ctx, b, ev.Type, ev.Key, ev.Payload); err != nil {
			return err
		}
	}
	return nil
}

// queueActivityLinks queues writing the links, version and update time
// of list, without their events.
func queueActivityLinks(b *pgx.Batch, list []activity.Activity) {
	if len(list) == 0 {
		return
	}
	n := len(list)
	ids, accounts, contacts, opps, cases := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	leads := make([]string, n)
	versions, times := make([]int64, n), make([]time.Time, n)
	for i, a := range list {
		ids[i], accounts[i], contacts[i], opps[i], cases[i] = a.ID, a.AccountID, a.ContactID, a.OpportunityID, a.CaseID
		leads[i], versions[i], times[i] = a.LeadID, a.Version, a.UpdateTime
	}
	b.Queue(`UPDATE activities a SET account_id = nullif(r.account, '')::uuid, contact_id = nullif(r.contact, '')::uuid,
  opportunity_id = nullif(r.opportunity, '')::uuid, case_id = nullif(r.case_id, '')::uuid,
  lead_id = nullif(r.lead_id, '')::uuid, version = r.version, update_time = r.time
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::timestamptz[], $7::text[], $8::text[])
  AS r(id, account, contact, opportunity, version, time, case_id, lead_id)
WHERE a.id = r.id`, ids, accounts, contacts, opps, versions, times, cases, leads)
}
