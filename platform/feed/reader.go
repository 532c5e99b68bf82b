package feed

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pg"
)

const (
	// DefaultLimit is the page size List uses when asked for limit <= 0,
	// and the batch size of Watch.
	DefaultLimit = 500
	// MaxLimit caps the page size of List.
	MaxLimit = 10000

	// fallbackInterval is how often Watch looks for new events without
	// being notified. Events can become readable without a notification:
	// when a transaction older than theirs ends, which may be one that
	// wrote no events at all.
	fallbackInterval = 250 * time.Millisecond
)

// Reader reads the feed of one database. It is safe for concurrent use; a
// process needs only one per database.
type Reader struct {
	pool     *pgxpool.Pool
	notifier *notifier
	fallback time.Duration
}

// NewReader returns a Reader on pool's database.
//
// Watch needs a LISTEN connection. The Reader opens a single one, outside the
// pool, when its first watcher starts and shares it among all its watchers;
// it closes it when the last watcher returns (and opens a new one for the next
// watcher), so a Reader needs no Close. The connection is reopened if it
// drops. It uses the pool's connection settings and must reach the server in
// session mode (LISTEN does not survive a transaction-pooling proxy).
func NewReader(pool *pgxpool.Pool) *Reader {
	return &Reader{
		pool: pool,
		notifier: newNotifier(func(ctx context.Context) (*pgx.Conn, error) {
			return pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
		}),
		fallback: fallbackInterval,
	}
}

// listSQL serves the events after the cursor whose transactions have ended.
//
// pg_current_snapshot() returns the active snapshot, that of the statement
// calling it. List runs this as one statement in its own READ COMMITTED
// transaction, where each statement takes one snapshot and uses it
// throughout: the xmin bound and the scan of the table come from the same
// snapshot. Every transaction below its xmin had
// ended when that snapshot was taken, so the scan sees all of their committed
// rows and none of them can add rows later; rows of transactions still
// running have an xid at or above xmin and are left for a later call. Had the
// bound come from a newer snapshot than the scan's (say, computed in a later
// statement), a transaction committing in between would fall below the
// bound yet be invisible to the scan, and the reader would step past it.
//
// The row comparison and the xmin bound are both conditions on the primary
// key index (xid, id), which also yields the order, so a page costs
// O(limit) however long the table grows.
//
// The reader runs these with generic plans (see read). The cursor is
// compared through a sub-select, which hides its value from the estimate,
// and the default page, which Watch reads, has its limit written in
// (listDefaultSQL), so that a plan for the values at hand would cost the
// same as the generic plan: a caller of the SQL that lets PostgreSQL choose
// gets the generic plan kept after a few calls.
const listSQLFormat = `
SELECT xid, id, event_id::text, type, key, payload, trace_context, created_at
FROM outbox_events
WHERE (xid, id) > (SELECT $1::xid8, $2::bigint)
  AND xid < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY xid, id
LIMIT %s`

var (
	listSQL        = fmt.Sprintf(listSQLFormat, "$3")
	listDefaultSQL = fmt.Sprintf(listSQLFormat, strconv.Itoa(DefaultLimit))
)

// List returns up to limit events after the cursor, in feed order. Fewer
// than limit (possibly none) means the reader has caught up for now. A limit
// <= 0 means DefaultLimit; limits above MaxLimit are capped.
func (r *Reader) List(ctx context.Context, after Cursor, limit int) ([]Event, error) {
	if limit <= 0 {
		limit = DefaultLimit
	}
	limit = min(limit, MaxLimit)
	sql, args := listSQL, []any{after.XID, after.ID, limit}
	if limit == DefaultLimit {
		sql, args = listDefaultSQL, args[:2]
	}
	var events []Event
	err := r.read(ctx, sql, args, func(rows pgx.Rows) error {
		var err error
		events, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (Event, error) {
			var e Event
			err := row.Scan(&e.Cursor.XID, &e.Cursor.ID, &e.ID, &e.Type, &e.Key, &e.Payload, &e.TraceContext, &e.CreatedAt)
			return e, err
		})
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("feed: list after %s: %w", after, err)
	}
	return events, nil
}

// Has reports whether an event is at c (a lookup of the primary key).
func (r *Reader) Has(ctx context.Context, c Cursor) (bool, error) {
	var ok bool
	err := r.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM outbox_events WHERE xid = $1::xid8 AND id = $2)`, c.XID, c.ID).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("feed: look up %s: %w", c, err)
	}
	return ok, nil
}

// Head returns the cursor and creation time of the newest readable event, or
// the zero cursor and time when the feed is empty. A consumer's lag is the
// distance from its cursor to the head.
func (r *Reader) Head(ctx context.Context) (Cursor, time.Time, error) {
	var c Cursor
	var at time.Time
	err := r.pool.QueryRow(ctx, `
		SELECT xid, id, created_at FROM outbox_events
		WHERE xid < pg_snapshot_xmin(pg_current_snapshot())
		ORDER BY xid DESC, id DESC
		LIMIT 1`).Scan(&c.XID, &c.ID, &at)
	if errors.Is(err, pgx.ErrNoRows) {
		return Cursor{}, time.Time{}, nil
	}
	if err != nil {
		return Cursor{}, time.Time{}, fmt.Errorf("feed: head: %w", err)
	}
	return c, at, nil
}

// Watch follows the feed from the cursor until ctx ends or send fails. It
// passes each batch of new events (up to DefaultLimit, in feed order) to
// send; send owns the slice. Once caught up, Watch waits for a notification
// from Append, or for a fallback tick of 250 ms, before looking again.
//
// An event can be committed yet not readable: an older transaction, perhaps
// one that writes no events, is still running. Its notification has already
// come, and no other may follow, so while such events wait Watch looks again
// after a few milliseconds instead of waiting for the fallback tick.
//
// Watch returns ctx.Err() when ctx ends, send's error when send fails, and a
// wrapped database error when reading fails; the caller resumes from the
// cursor of the last event it handled.
func (r *Reader) Watch(ctx context.Context, after Cursor, send func([]Event) error) error {
	r.notifier.Acquire()
	defer r.notifier.Release()

	tick := time.NewTicker(r.fallback)
	defer tick.Stop()
	pendingWait := time.Duration(0)
	for {
		// Take the wake-up channel before reading, so that a notification
		// arriving during the read is not lost.
		wake := r.notifier.wait()
		events, pending, err := r.next(ctx, after)
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return err
		}
		if len(events) > 0 {
			if err := send(events); err != nil {
				return err
			}
			after = events[len(events)-1].Cursor
			if len(events) == DefaultLimit {
				continue // probably more waiting
			}
		}
		var soon <-chan time.Time
		if pending {
			pendingWait = min(max(2*pendingWait, minPendingWait), maxPendingWait)
			soon = time.After(pendingWait)
		} else {
			pendingWait = 0
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-wake:
		case <-tick.C:
		case <-soon:
		}
	}
}

// How soon Watch looks again while committed events wait for an older
// transaction to end: starting fast, backing off while it lasts.
const (
	minPendingWait = 2 * time.Millisecond
	maxPendingWait = 20 * time.Millisecond
)

// watchSQL is Watch's read: the default page (listDefaultSQL) and, in the
// same statement and so the same snapshot, the first event after the
// cursor that has committed but is not readable yet, marked by the first
// column. Rows of running transactions are invisible here, so only
// committed ones count; they are announced already, so Watch must look
// again soon by itself. Everything the page leaves out lies at or above
// the xmin bound, which the second branch starts from: one round trip
// answers both "what is new" and "is anything held back". Events
// committing after the snapshot send their own notification.
var watchSQL = `
(SELECT false, xid, id, event_id::text, type, key, payload, trace_context, created_at
FROM outbox_events
WHERE (xid, id) > (SELECT $1::xid8, $2::bigint)
  AND xid < pg_snapshot_xmin(pg_current_snapshot())
ORDER BY xid, id
LIMIT ` + strconv.Itoa(DefaultLimit) + `)
UNION ALL
(SELECT true, xid, id, '', '', '', '{}'::jsonb, '{}'::jsonb, created_at
FROM outbox_events
WHERE (xid, id) > (SELECT $1::xid8, $2::bigint)
  AND xid >= pg_snapshot_xmin(pg_current_snapshot())
ORDER BY xid, id
LIMIT 1)`

// next returns the events after the cursor, as List with the default
// limit, and whether committed events after them are held back by an
// older transaction.
func (r *Reader) next(ctx context.Context, after Cursor) ([]Event, bool, error) {
	var events []Event
	pending := false
	err := r.read(ctx, watchSQL, []any{after.XID, after.ID}, func(rows pgx.Rows) error {
		for rows.Next() {
			var e Event
			var held bool
			if err := rows.Scan(&held, &e.Cursor.XID, &e.Cursor.ID, &e.ID, &e.Type, &e.Key, &e.Payload, &e.TraceContext, &e.CreatedAt); err != nil {
				return err
			}
			if held {
				pending = true
				continue
			}
			events = append(events, e)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, false, fmt.Errorf("feed: read after %s: %w", after, err)
	}
	return events, pending, nil
}

// read runs a page query (listSQL, listDefaultSQL, watchSQL) with args
// and hands its rows to scan, in the same round trip as the setting that
// makes it seek the primary key index: generic plans at SSD page costs
// (pg.QueueKeyedPlans). At the default page cost, a feed of a few
// thousand events of a kilobyte or two (an opportunity with its lines)
// reads the whole table and sorts it for every page, since the bounds'
// selectivity is unknown to the planner and a page may hold 500 events.
func (r *Reader) read(ctx context.Context, sql string, args []any, scan func(pgx.Rows) error) error {
	var b pgx.Batch
	pg.QueueKeyedPlans(&b)
	b.Queue(sql, args...).Query(scan)
	return r.pool.SendBatch(ctx, &b).Close()
}
