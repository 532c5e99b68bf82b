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

// Failure is an event the bridge could not apply.
type Failure struct {
	ID        int64
	Feed      string
	Cursor    string
	EventID   string
	EventType string
	EventKey  string
	Event     []byte
	Error     string
	Attempts  int
	CreatedAt time.Time
}

// RecordFailure keeps an event that failed permanently.
func (s *Store) RecordFailure(ctx context.Context, f Failure) error {
	_, err := s.pool.Exec(ctx, `
		INSERT INTO failures (feed, cursor, event_id, event_type, event_key, event, error, attempts)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (feed, event_id) DO UPDATE SET error = EXCLUDED.error, attempts = failures.attempts + EXCLUDED.attempts`,
		f.Feed, f.Cursor, f.EventID, f.EventType, f.EventKey, f.Event, f.Error, f.Attempts)
	if err != nil {
		return fmt.Errorf("record failure of %s event %s: %w", f.Feed, f.EventID, err)
	}
	return nil
}

// Failures lists the newest parked failures.
func (s *Store) Failures(ctx context.Context, limit int) ([]Failure, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id, feed, cursor, event_id, event_type, event_key, event, error, attempts, created_at
		FROM failures ORDER BY id DESC LIMIT $1`, limit)
	if err != nil {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (Failure, error) {
		var f Failure
		err := r.Scan(&f.ID, &f.Feed, &f.Cursor, &f.EventID, &f.EventType, &f.EventKey, &f.Event, &f.Error, &f.Attempts, &f.CreatedAt)
		return f, err
	})
	if err != nil {
		return nil, fmt.Errorf("list failures: %w", err)
	}
	return out, nil
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
