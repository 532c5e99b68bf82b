// Package postgres is the bridge's state: feed checkpoints, id links and
// parked failures, in the bridge's own small database.
package postgres

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pg"
)

// Store reads and writes the bridge's state.
type Store struct {
	pool *pgxpool.Pool
}

// New returns a store on pool.
func New(pool *pgxpool.Pool) *Store { return &Store{pool: pool} }

// Checkpoint returns the last applied cursor of a feed, "" when none.
func (s *Store) Checkpoint(ctx context.Context, feed string) (string, error) {
	var cursor string
	err := s.pool.QueryRow(ctx, `SELECT cursor FROM checkpoints WHERE feed = $1`, feed).Scan(&cursor)
	if pg.IsNoRows(err) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("read checkpoint of %s: %w", feed, err)
	}
	return cursor, nil
}

// SaveCheckpoint records that every event of feed up to cursor is applied.
func (s *Store) SaveCheckpoint(ctx context.Context, feed, cursor string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO checkpoints (feed, cursor, updated_at) VALUES ($1, $2, now())
		ON CONFLICT (feed) DO UPDATE SET cursor = EXCLUDED.cursor, updated_at = now()`, feed, cursor)
	if err != nil {
		return fmt.Errorf("save checkpoint of %s: %w", feed, err)
	}
	return nil
}

// CustomerFor returns the ERP customer linked to a CRM account.
func (s *Store) CustomerFor(ctx context.Context, accountID string) (string, bool, error) {
	var id string
	err := s.pool.QueryRow(ctx, `SELECT erp_customer_id FROM account_links WHERE crm_account_id = $1`, accountID).Scan(&id)
	if pg.IsNoRows(err) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("read customer link of account %s: %w", accountID, err)
	}
	return id, true, nil
}

// LinkCustomer records the ERP customer of a CRM account.
func (s *Store) LinkCustomer(ctx context.Context, accountID, customerID string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO account_links (crm_account_id, erp_customer_id) VALUES ($1, $2)
		ON CONFLICT (crm_account_id) DO UPDATE SET erp_customer_id = EXCLUDED.erp_customer_id, updated_at = now()
		WHERE account_links.erp_customer_id <> EXCLUDED.erp_customer_id`, accountID, customerID)
	if err != nil {
		return fmt.Errorf("link account %s to customer %s: %w", accountID, customerID, err)
	}
	return nil
}

// LinkOrder records the ERP order of a won opportunity.
func (s *Store) LinkOrder(ctx context.Context, opportunityID, orderID, number string) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO order_links (opportunity_id, erp_order_id, order_number) VALUES ($1, $2, $3)
		ON CONFLICT (opportunity_id) DO UPDATE SET erp_order_id = EXCLUDED.erp_order_id,
			order_number = EXCLUDED.order_number, updated_at = now()
		WHERE order_links.erp_order_id <> EXCLUDED.erp_order_id`, opportunityID, orderID, number)
	if err != nil {
		return fmt.Errorf("link opportunity %s to order %s: %w", opportunityID, orderID, err)
	}
	return nil
}

// Failure states.
const (
	StateFailed  = "failed"
	StateWaiting = "waiting"
)

// Failure is an event the bridge holds instead of applying: one that
// failed, or one waiting behind a failure of the same key.
type Failure struct {
	ID          int64
	Feed        string
	Cursor      string
	EventID     string
	EventType   string
	EventKey    string
	Event       []byte
	State       string
	Error       string
	Attempts    int
	NextRetryAt time.Time // zero while waiting
	CreatedAt   time.Time
}

const failureColumns = `id, feed, cursor, event_id, event_type, event_key, event, state, error, attempts,
	coalesce(next_retry_at, 'epoch'::timestamptz), created_at`

func scanFailure(r pgx.CollectableRow) (Failure, error) {
	var f Failure
	err := r.Scan(&f.ID, &f.Feed, &f.Cursor, &f.EventID, &f.EventType, &f.EventKey, &f.Event, &f.State,
		&f.Error, &f.Attempts, &f.NextRetryAt, &f.CreatedAt)
	if f.NextRetryAt.Equal(time.Unix(0, 0)) {
		f.NextRetryAt = time.Time{}
	}
	return f, err
}

func (s *Store) queryFailures(ctx context.Context, sql string, args ...any) ([]Failure, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, scanFailure)
}

// RecordFailure holds an event. Recording the same event again (a replay
// after a crash) keeps one row and adds the attempts.
func (s *Store) RecordFailure(ctx context.Context, f Failure) error {
	state := f.State
	if state == "" {
		state = StateFailed
	}
	var next *time.Time
	if !f.NextRetryAt.IsZero() {
		next = &f.NextRetryAt
	}
	_, err := s.pool.Exec(ctx, `
		INSERT INTO failures (feed, cursor, event_id, event_type, event_key, event, state, error, attempts, next_retry_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
		ON CONFLICT (feed, event_id) DO UPDATE SET error = EXCLUDED.error,
			attempts = failures.attempts + EXCLUDED.attempts, updated_at = now()`,
		f.Feed, f.Cursor, f.EventID, f.EventType, f.EventKey, f.Event, state, f.Error, f.Attempts, next)
	if err != nil {
		return fmt.Errorf("record failure of %s event %s: %w", f.Feed, f.EventID, err)
	}
	return nil
}

// Failures lists held events in the order they were held, after the id
// afterID.
func (s *Store) Failures(ctx context.Context, afterID int64, limit int) ([]Failure, error) {
	out, err := s.queryFailures(ctx, `SELECT `+failureColumns+` FROM failures WHERE id > $1 ORDER BY id LIMIT $2`, afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	return out, nil
}

// Failure returns one held event.
func (s *Store) Failure(ctx context.Context, id int64) (Failure, bool, error) {
	out, err := s.queryFailures(ctx, `SELECT `+failureColumns+` FROM failures WHERE id = $1`, id)
	if err != nil {
		return Failure{}, false, fmt.Errorf("read failure %d: %w", id, err)
	}
	if len(out) == 0 {
		return Failure{}, false, nil
	}
	return out[0], true, nil
}

// KeyFailures lists the held events of one key in order.
func (s *Store) KeyFailures(ctx context.Context, feed, key string) ([]Failure, error) {
	out, err := s.queryFailures(ctx, `SELECT `+failureColumns+` FROM failures
		WHERE feed = $1 AND event_key = $2 ORDER BY id`, feed, key)
	if err != nil {
		return nil, fmt.Errorf("list failures of %s key %s: %w", feed, key, err)
	}
	return out, nil
}

// FeedKey names a key of a feed.
type FeedKey struct{ Feed, Key string }

// ParkedKeys lists the keys that have held events.
func (s *Store) ParkedKeys(ctx context.Context) ([]FeedKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT feed, event_key FROM failures`)
	if err != nil {
		return nil, fmt.Errorf("list parked keys: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FeedKey, error) {
		var k FeedKey
		return k, r.Scan(&k.Feed, &k.Key)
	})
	if err != nil {
		return nil, fmt.Errorf("list parked keys: %w", err)
	}
	return out, nil
}

// DueKeys lists keys whose failed event is due for a retry at now.
func (s *Store) DueKeys(ctx context.Context, now time.Time, limit int) ([]FeedKey, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT feed, event_key FROM failures
		WHERE state = 'failed' AND next_retry_at <= $1
		ORDER BY next_retry_at LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("list due failures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (FeedKey, error) {
		var k FeedKey
		return k, r.Scan(&k.Feed, &k.Key)
	})
	if err != nil {
		return nil, fmt.Errorf("list due failures: %w", err)
	}
	return out, nil
}

// MarkFailed records another failed attempt of a held event, which now
// heads its key.
func (s *Store) MarkFailed(ctx context.Context, id int64, errText string, attempts int, next time.Time) error {
	_, err := s.pool.Exec(ctx, `
		UPDATE failures SET state = 'failed', error = $2, attempts = $3, next_retry_at = $4, updated_at = now()
		WHERE id = $1`, id, errText, attempts, next)
	if err != nil {
		return fmt.Errorf("update failure %d: %w", id, err)
	}
	return nil
}

// RetryNow makes the failed event heading a key due at once.
func (s *Store) RetryNow(ctx context.Context, feed, key string) error {
	_, err := s.pool.Exec(ctx, `UPDATE failures SET next_retry_at = now()
		WHERE feed = $1 AND event_key = $2 AND state = 'failed' AND next_retry_at > now()`, feed, key)
	if err != nil {
		return fmt.Errorf("retry %s key %s now: %w", feed, key, err)
	}
	return nil
}

// DeleteFailure drops a held event (applied or discarded).
//
// When the deleted event headed its key (it had failed), the next event
// waiting behind it becomes the head, failed and due at once, in the same
// statement: a key never holds only waiting events, which no scheduled
// retry would pick (the releasing process may stop before it applies
// them, or be a replica that does not hold the key).
func (s *Store) DeleteFailure(ctx context.Context, id int64) error {
	_, err := s.pool.Exec(ctx, `
		WITH gone AS (DELETE FROM failures WHERE id = $1 RETURNING feed, event_key, state)
		UPDATE failures f SET state = 'failed', next_retry_at = now(), updated_at = now()
		FROM gone
		WHERE gone.state = 'failed' AND f.state = 'waiting'
		  AND f.id = (SELECT min(x.id) FROM failures x
		              WHERE x.feed = gone.feed AND x.event_key = gone.event_key AND x.id <> $1)`, id)
	if err != nil {
		return fmt.Errorf("delete failure %d: %w", id, err)
	}
	return nil
}

// leaseKey is the advisory lock id that the active bridge holds.
var leaseKey = func() int64 {
	h := fnv.New64a()
	h.Write([]byte("seam-bridge-leader"))
	return int64(h.Sum64() >> 1)
}()

// Lease is the right to be the one active bridge, held as a session-level
// advisory lock on a dedicated connection: if the process dies, PostgreSQL
// ends the session and frees the lock for a standby.
type Lease struct {
	conn *pgxpool.Conn
}

// TryAcquireLease takes the lease if no other replica holds it; it returns
// nil without error when another replica does.
func (s *Store) TryAcquireLease(ctx context.Context) (*Lease, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("acquire lease connection: %w", err)
	}
	var ok bool
	if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, leaseKey).Scan(&ok); err != nil {
		conn.Release()
		return nil, fmt.Errorf("try lease: %w", err)
	}
	if !ok {
		conn.Release()
		return nil, nil
	}
	return &Lease{conn: conn}, nil
}

// Check reports an error when the lease's session is gone.
func (l *Lease) Check(ctx context.Context) error {
	var held bool
	err := l.conn.QueryRow(ctx, `
		SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()
			AND granted AND ((classid::bigint << 32) | objid::bigint) = $1)`, leaseKey).Scan(&held)
	if err != nil {
		return fmt.Errorf("check lease: %w", err)
	}
	if !held {
		return fmt.Errorf("lease lost")
	}
	return nil
}

// Release gives the lease up.
func (l *Lease) Release(ctx context.Context) {
	_, err := l.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, leaseKey)
	if err != nil {
		// The session is unusable; closing it frees the lock.
		l.conn.Conn().Close(ctx)
	}
	l.conn.Release()
}
