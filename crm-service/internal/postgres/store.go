// Package postgres is the PostgreSQL storage of the CRM service: all of its
// SQL lives here, one file per aggregate. Driver errors are translated here
// into platform/errs errors; nothing above this package sees pgx.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/requestid"
	"github.com/seamhq/seam/platform/telemetry"
)

// Store implements the storage interfaces of the CRM domains.
type Store struct {
	pool *pgxpool.Pool
	// leads clears a deleted account, contact or opportunity from the
	// leads converted into it (SetLeadUnlinker).
	leads LeadUnlinker
}

var (
	_ account.Store  = (*Store)(nil)
	_ catalog.Store  = (*Store)(nil)
	_ pipeline.Store = (*Store)(nil)
)

// OpportunityChanges is the notification channel on which every committed
// change of an opportunity is announced as "<id> <version>" (a deletion as
// "<id>"), by the trigger of migration 0017.
const OpportunityChanges = "crm_opportunity_changes"

// New returns a Store on pool (made by pg.Connect, so numeric columns scan
// into decimal.Decimal).
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// LeadUnlinker writes a record that is being deleted out of the leads
// converted into it, each as an update of its own (lead.Service).
type LeadUnlinker interface {
	UnlinkAll(list []lead.Lead, link lead.Link) (lead.Unlinked, error)
}

// SetLeadUnlinker sets how deleting an account, contact or opportunity
// updates the leads converted into it, before the store is used. Leads
// name their records through the lead domain, which builds on the
// account, contact and pipeline domains, so their deletions cannot reach
// it themselves. Without it, such a deletion fails.
func (s *Store) SetLeadUnlinker(u LeadUnlinker) { s.leads = u }

// appendEvent records an event in the outbox in tx, with the trace context
// of the request.
func appendEvent(ctx context.Context, tx pgx.Tx, typ, key string, payload []byte) error {
	return feed.Append(ctx, tx, feed.NewEvent{
		Type: typ, Key: key, Payload: payload, TraceContext: telemetry.Inject(ctx),
	})
}

// queueEvent is appendEvent queued into a batch the caller sends in its
// transaction.
func queueEvent(ctx context.Context, b *pgx.Batch, typ, key string, payload []byte) error {
	return feed.Queue(b, feed.NewEvent{
		Type: typ, Key: key, Payload: payload, TraceContext: telemetry.Inject(ctx),
	})
}

// appendEvents is appendEvent for many events, in one statement.
func appendEvents[E any](ctx context.Context, tx pgx.Tx, events []E, fields func(E) (typ, key string, payload []byte)) error {
	if len(events) == 0 {
		return nil
	}
	trace := telemetry.Inject(ctx)
	list := make([]feed.NewEvent, len(events))
	for i, e := range events {
		typ, key, payload := fields(e)
		list[i] = feed.NewEvent{Type: typ, Key: key, Payload: payload, TraceContext: trace}
	}
	return feed.Append(ctx, tx, list...)
}

// Idempotency keys: a request_id maps to the method that used it, the
// resource it created or changed and the digest of the request
// (requestid.Digest), written in the transaction of the change.
const keyLookupSQL = `SELECT method, resource_id, digest FROM idempotency_keys WHERE request_id = $1`

// usedKey is a request_id found recorded.
type usedKey struct {
	method, resource string
	digest           []byte
}

// lookupKey queues the lookup of requestID into b; *into is set when found.
func lookupKey(b *pgx.Batch, requestID string, into **usedKey) {
	b.Queue(keyLookupSQL, requestID).QueryRow(func(row pgx.Row) error {
		var k usedKey
		err := row.Scan(&k.method, &k.resource, &k.digest)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("look up request id: %w", err)
		}
		*into = &k
		return nil
	})
}

// recordKey queues the insertion of requestID into b. A concurrent call
// that recorded the same request_id first makes it fail (keyTaken), and
// with it the transaction, even one that commits with its last batch
// (pg.InTxBatchCommit); onceMore then runs the call again, and it finds
// the key.
func recordKey(ctx context.Context, b *pgx.Batch, requestID, method, resource string) {
	b.Queue(`INSERT INTO idempotency_keys (request_id, method, resource_id, digest) VALUES ($1, $2, $3, $4)`,
		requestID, method, resource, requestid.FromContext(ctx))
}

// keyTaken reports whether err is recordKey's insertion failing because
// another call recorded the request_id first.
func keyTaken(err error) bool { return pg.IsUniqueViolation(err, "idempotency_keys_pkey") }

// checkKey validates a recorded key against the call that presents it
// (ctx carries its digest): a retry is the same method on the same
// resource, with the same body, from the same caller.
func checkKey(ctx context.Context, k *usedKey, method, resource string) error {
	if k.method != method {
		return errs.Invalid("request_id", "was already used for %s; use a new request_id for each distinct request", k.method)
	}
	if resource != "" && k.resource != resource {
		return errs.Invalid("request_id", "was already used for %s on another resource", k.method)
	}
	if !requestid.Matches(ctx, k.digest) {
		return errs.Invalid("request_id", "was already used for another %s request (a different body or caller); a retry must repeat the request exactly, and each distinct request needs a new request_id", k.method)
	}
	return nil
}

// lockRow reads the row of id FOR UPDATE with sql after taking its key
// lock (key, its resource name: pg.QueueKeyLock, so that the feed serves
// the record's events in order), in one round trip; what names the
// record in errors.
func lockRow[T any](ctx context.Context, tx pgx.Tx, what, key, sql, id string, scan func(pgx.Row) (T, error)) (T, error) {
	var out T
	found := false
	b := &pgx.Batch{}
	pg.QueueKeyLock(b, key)
	b.Queue(sql, id).QueryRow(func(row pgx.Row) error {
		v, err := scan(row)
		if pg.IsNoRows(err) {
			return nil
		}
		out, found = v, err == nil
		return err
	})
	if err := tx.SendBatch(ctx, b).Close(); err != nil {
		return out, fmt.Errorf("lock %s %s: %w", what, id, err)
	}
	if !found {
		return out, errs.NotFoundf("%s %q", what, id)
	}
	return out, nil
}

// onceMore runs f, and once more when it failed because a concurrent call
// recorded the same request_id.
func onceMore(f func() error) error {
	err := f()
	if keyTaken(err) {
		err = f()
	}
	if keyTaken(err) {
		return errs.Abortedf("request_id is being used by a concurrent request; retry")
	}
	return err
}

// listQuery builds a keyset page query: the rows of table matching the
// equality filter (fields mapped to columns by cols), after the key value,
// in key order, one more than limit to learn whether more follow.
func listQuery(selectFrom, key string, cols map[string]string, equal map[string]string, after string, limit int) (string, []any, error) {
	return listQueryWhere(selectFrom, key, cols, equal, nil, nil, after, limit)
}

// listQueryWhere is listQuery with extra conditions: where[i] is SQL with
// "$?" standing for args[i] (one argument each).
func listQueryWhere(selectFrom, key string, cols map[string]string, equal map[string]string, extra []string, extraArgs []any, after string, limit int) (string, []any, error) {
	ks := keyset{cols: []string{key}}
	if after != "" {
		ks.after = []any{after}
	}
	return keysetQuery(selectFrom, cols, equal, extra, extraArgs, ks, limit)
}

// keyset is the order of a list and where a page starts in it.
type keyset struct {
	// cols are the expressions the list sorts by, the last one unique
	// (the id), so that every row has its own place.
	cols []string
	desc bool
	// after holds the values of cols in the last row of the previous
	// page; nil on the first page.
	after []any
}

// keysetQuery builds a keyset page query: the rows of selectFrom matching
// the equality filter (fields mapped to columns by cols) and the extra
// conditions, after ks.after in ks's order, one more than limit to learn
// whether more follow.
func keysetQuery(selectFrom string, cols map[string]string, equal map[string]string, extra []string, extraArgs []any, ks keyset, limit int) (string, []any, error) {
	var where []string
	var args []any
	for i, cond := range extra {
		args = append(args, extraArgs[i])
		where = append(where, strings.Replace(cond, "$?", "$"+strconv.Itoa(len(args)), 1))
	}
	fields := make([]string, 0, len(equal))
	for f := range equal {
		fields = append(fields, f)
	}
	slices.Sort(fields) // stable SQL text, so prepared statements are reused
	for _, f := range fields {
		col, ok := cols[f]
		if !ok {
			return "", nil, errs.Invalid("filter", "cannot filter on %q", f)
		}
		args = append(args, equal[f])
		where = append(where, col+" = $"+strconv.Itoa(len(args)))
	}
	if ks.after != nil {
		params := make([]string, len(ks.after))
		for i, v := range ks.after {
			args = append(args, v)
			params[i] = "$" + strconv.Itoa(len(args))
		}
		if len(ks.cols) == 1 {
			op := " > "
			if ks.desc {
				op = " < "
			}
			where = append(where, ks.cols[0]+op+params[0])
		} else {
			// A row comparison, which a B-tree index on the columns
			// (after the equality filter's) starts its scan at. It
			// takes the last row too, which its id (the last column,
			// unique) leaves out: the planner estimates a row comparison
			// by its first column alone, and >= counts the rows tied
			// with the last one, where > would count none when the key
			// is the column's last value (the deals of no close date,
			// or closed_lost ones) and leave any index as good as the
			// one of the filter and the order.
			op := " >= "
			if ks.desc {
				op = " <= "
			}
			last := len(ks.cols) - 1
			where = append(where, "("+strings.Join(ks.cols, ", ")+")"+op+"("+strings.Join(params, ", ")+")",
				ks.cols[last]+" <> "+params[last])
		}
	}
	var b strings.Builder
	b.WriteString(selectFrom)
	if len(where) > 0 {
		b.WriteString(" WHERE ")
		b.WriteString(strings.Join(where, " AND "))
	}
	order := slices.Clone(ks.cols)
	if ks.desc {
		for i := range order {
			order[i] += " DESC"
		}
	}
	args = append(args, limit+1)
	fmt.Fprintf(&b, " ORDER BY %s LIMIT $%d", strings.Join(order, ", "), len(args))
	if len(extra) > 0 || len(equal) > 0 {
		// A filtered list is planned for each call's values (the unnamed
		// statement): a generic plan assumes every owner or stage is as
		// common as the average one, and for a rare value would walk the
		// key's index past every row instead of reading the column's.
		args = append([]any{pgx.QueryExecModeCacheDescribe}, args...)
	}
	return b.String(), args, nil
}
