package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/platform/pg"
)

// Read-through lists: the stock ledger (ListMoves) and the journal
// (ListEntries) are append-only, and partners and finance page through
// them to the end to copy or reconcile them, then continue later from the
// token of their last page. Their rows are ordered by the id of the
// transaction that wrote them (column xid, pg_current_xact_id()), then
// their own id, and a page reads, in the same statement and so the same
// snapshot, whether each row is settled: its xid is below the snapshot's
// xmin, the oldest transaction still running (anywhere on the server).
// Every transaction that may still commit has an xid at or above that, so
// nothing can ever commit before a settled row. (Row ids alone cannot do
// this: the writer makes them before it commits, so in id order a move
// could commit behind a page already read and be skipped.)
//
// cutAtHorizon applies that to a page: a next page token only ever points
// at a settled row, so continuing from any token reads every row that
// commits later. What is committed is still shown at once: the last page
// holds every row the snapshot sees, settled or not (it gets no token; a
// reader continues from the token it asked with, reading that page again
// and whatever came after).

// heldWaits are the pauses before a page that reaches past the horizon is
// read again: the transactions holding it back usually end within
// milliseconds. After the last, the page is cut.
var heldWaits = []time.Duration{2 * time.Millisecond, 5 * time.Millisecond, 10 * time.Millisecond, 20 * time.Millisecond}

// cutAtHorizon decides a page of a read-through list from its rows in
// list order, read with a limit of n+1, by whether each is settled (a
// prefix, since rows are in xid order). It returns how many rows to keep,
// whether the page gets a next token (after its last kept row), and
// whether the page was cut short by rows not yet settled.
//
// A full page (more than n rows read) whose first n are settled is
// served as usual. One that reaches past the horizon ends with a token at
// its last settled row; when its first row is not settled yet, it serves
// the n rows it has without a token: the list ends there for now, and the
// token the reader asked with stays the point to continue from.
func cutAtHorizon(settled []bool, n int) (keep int, more, cut bool) {
	if len(settled) <= n {
		return len(settled), false, false
	}
	k := 0
	for k < n && settled[k] {
		k++
	}
	switch {
	case k == n:
		return n, true, false
	case k > 0:
		return k, true, true
	default:
		return n, false, true
	}
}

// readThrough runs read, which reads one page and reports whether it was
// cut at the horizon, and reads it again after each of heldWaits while it
// was, so that a page is rarely cut by transactions that end at once.
func readThrough(ctx context.Context, read func() (cut bool, err error)) error {
	for i := 0; ; i++ {
		cut, err := read()
		if err != nil || !cut || i == len(heldWaits) {
			return err
		}
		t := time.NewTimer(heldWaits[i])
		select {
		case <-ctx.Done():
			t.Stop()
			return nil // the page read last stands
		case <-t.C:
		}
	}
}

// readPage runs a page query of a read-through list with args and hands
// its rows to scan, in the same round trip as the setting that makes it
// seek its index in order (pg.QueueKeyedPlans): the token's place is a
// sub-select, whose value the planner does not know, so at the default
// page cost it would rather sort an item's card than walk its index.
func (s *Store) readPage(ctx context.Context, sql string, args []any, scan func(pgx.Rows) error) error {
	var b pgx.Batch
	pg.QueueKeyedPlans(&b)
	b.Queue(sql, args...).Query(scan)
	return s.pool.SendBatch(ctx, &b).Close()
}

// readList reads a page of a list as readPage does, with the query (and
// any error) its builder returned: up to pageSize rows read by scan, and
// whether there are more (the query asks for pageSize + 1). what names the
// list in errors.
func readList[T any](ctx context.Context, s *Store, what string, pageSize int, scan func(pgx.Rows) ([]T, error)) func(sql string, args []any, err error) ([]T, bool, error) {
	return func(sql string, args []any, err error) ([]T, bool, error) {
		if err != nil {
			return nil, false, err
		}
		var out []T
		err = s.readPage(ctx, sql, args, func(rows pgx.Rows) error {
			var err error
			out, err = scan(rows)
			return err
		})
		if err != nil {
			return nil, false, fmt.Errorf("list %s: %w", what, err)
		}
		if len(out) > pageSize {
			return out[:pageSize], true, nil
		}
		return out, false, nil
	}
}
