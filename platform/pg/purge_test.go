package pg_test

import (
	"context"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/pg"
)

func TestPurgeOnce(t *testing.T) {
	t.Parallel()
	pool := newDB(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE keys (id int PRIMARY KEY, created_at timestamptz NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := pool.Exec(ctx, `INSERT INTO keys
		SELECT i, $1::timestamptz - make_interval(days => i) FROM generate_series(0, 99) AS i`, now); err != nil {
		t.Fatal(err)
	}
	// Rows 31..99 days old go; in batches smaller than the backlog.
	n, err := pg.PurgeOnce(ctx, pool, pg.Purge{Table: "keys", Column: "created_at", Batch: 7}, now.Add(-30*24*time.Hour-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM keys`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if n != 69 || left != 31 {
		t.Fatalf("purged %d, %d left; want 69 purged, 31 left", n, left)
	}
}
