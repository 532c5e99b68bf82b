package pg

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// Key locks keep the event feed in order per key.
//
// The feed (platform/feed) orders events by the id of the transaction
// that wrote them, and PostgreSQL gives a transaction its id when it
// first writes, or when it waits for a row another transaction changed:
// a plain UPDATE takes its id before it waits for the row, and so does a
// SELECT ... FOR UPDATE queued behind another waiter. Two writers of one
// record can then hold ids in the opposite order of their changes, and
// the feed serves that record's events out of version order. A
// transaction advisory lock taken first, before any write, costs no id:
// the writers of a key queue on it without ids, and each takes its id
// only once every earlier writer of the key has ended. So every writer
// of a record that emits events takes the record's key lock as its first
// statement.

// keyLockSQL takes the transaction advisory lock of a key, a text such
// as "crm.account:<id>".
const keyLockSQL = `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`

// QueueKeyLock queues, into b, taking the transaction lock of key.
func QueueKeyLock(b *pgx.Batch, key string) {
	b.Queue(keyLockSQL, key)
}

// LockKey takes the transaction lock of key in tx.
func LockKey(ctx context.Context, tx pgx.Tx, key string) error {
	if _, err := tx.Exec(ctx, keyLockSQL, key); err != nil {
		return fmt.Errorf("lock %s: %w", key, err)
	}
	return nil
}
