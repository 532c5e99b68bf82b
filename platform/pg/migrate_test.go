package pg_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func status(t *testing.T, pool *pgxpool.Pool, fsys fstest.MapFS) (int, int) {
	t.Helper()
	cur, latest, err := pg.MigrationStatus(context.Background(), pool, fsys)
	if err != nil {
		t.Fatalf("MigrationStatus: %v", err)
	}
	return cur, latest
}

func TestMigrate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate"))

	fsys := fstest.MapFS{
		"0001_init.sql": {Data: []byte(`
CREATE TABLE widgets (id int PRIMARY KEY);
---- create above / drop below ----
DROP TABLE widgets;
`)},
		"0002_seed.sql": {Data: []byte(`INSERT INTO widgets VALUES (1), (2);`)},
		"README.md":     {Data: []byte("not a migration")},
	}
	if cur, latest := status(t, pool, fsys); cur != 0 || latest != 2 {
		t.Fatalf("status before = (%d, %d), want (0, 2)", cur, latest)
	}
	// The status check only reads.
	var exists bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('schema_version') IS NOT NULL").Scan(&exists); err != nil {
		t.Fatal(err)
	}
	if exists {
		t.Fatal("MigrationStatus created the version table")
	}

	for range 2 { // the second run has nothing to do
		if err := pg.Migrate(ctx, pool, fsys); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
	}
	if cur, latest := status(t, pool, fsys); cur != 2 || latest != 2 {
		t.Fatalf("status after = (%d, %d), want (2, 2)", cur, latest)
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM widgets").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("widgets has %d rows, want 2", n)
	}

	// A new release adds a migration.
	fsys["0003_more.sql"] = &fstest.MapFile{Data: []byte(`ALTER TABLE widgets ADD COLUMN name text;`)}
	if cur, latest := status(t, pool, fsys); cur != 2 || latest != 3 {
		t.Fatalf("status with a new migration = (%d, %d), want (2, 3)", cur, latest)
	}
	if err := pg.Migrate(ctx, pool, fsys); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if cur, latest := status(t, pool, fsys); cur != 3 || latest != 3 {
		t.Fatalf("status = (%d, %d), want (3, 3)", cur, latest)
	}

	// An older binary meets the newer schema.
	old := fstest.MapFS{"0001_init.sql": fsys["0001_init.sql"], "0002_seed.sql": fsys["0002_seed.sql"]}
	if err := pg.Migrate(ctx, pool, old); err == nil {
		t.Error("Migrate with fewer migrations than applied succeeded")
	}
}

func TestMigrateFailureIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate_fail"))
	fsys := fstest.MapFS{
		"0001_ok.sql":     {Data: []byte(`CREATE TABLE a (id int);`)},
		"0002_broken.sql": {Data: []byte(`CREATE TABLE b (id int); SELECT * FROM no_such_table;`)},
	}
	if err := pg.Migrate(ctx, pool, fsys); err == nil {
		t.Fatal("Migrate with a broken migration succeeded")
	}
	if cur, _ := status(t, pool, fsys); cur != 1 {
		t.Errorf("version after failure = %d, want 1", cur)
	}
	var b bool
	if err := pool.QueryRow(ctx, "SELECT to_regclass('b') IS NOT NULL").Scan(&b); err != nil {
		t.Fatal(err)
	}
	if b {
		t.Error("the failed migration left table b behind")
	}
	// The pool is still usable: no connection kept the migration lock.
	if err := pool.Ping(ctx); err != nil {
		t.Fatal(err)
	}

	if err := pg.Migrate(ctx, pool, fstest.MapFS{}); err == nil {
		t.Error("Migrate with no migrations succeeded")
	}
	if err := pg.Migrate(ctx, pool, fstest.MapFS{"0002_gap.sql": {Data: []byte("SELECT 1")}}); err == nil {
		t.Error("Migrate with a gap in the numbering succeeded")
	}
}

// Several processes starting at once must apply each migration exactly once.
// Each "process" has its own pool; the migrations would fail if run twice
// (CREATE TABLE without IF NOT EXISTS, a unique key on the seeded row).
func TestMigrateConcurrent(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	u := pgtest.CreateDatabase(t, "migrate_concurrent")

	fsys := fstest.MapFS{
		"0001_init.sql": {Data: []byte(`CREATE TABLE runs (id int PRIMARY KEY);`)},
		"0002_slow.sql": {Data: []byte(`SELECT pg_sleep(0.2); INSERT INTO runs VALUES (1);`)},
		"0003_more.sql": {Data: []byte(`INSERT INTO runs VALUES (2);`)},
	}

	const procs = 6
	pools := make([]*pgxpool.Pool, procs)
	for i := range pools {
		pools[i] = connect(t, u)
	}
	observer := connect(t, u)

	// Watch pg_locks while the migrators run: some must be seen waiting on
	// the advisory lock, which is what serializes them.
	var sawWaiter atomic.Bool
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			var waiting int
			err := observer.QueryRow(ctx, `
				SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
				WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = current_database()`).Scan(&waiting)
			if err == nil && waiting > 0 {
				sawWaiter.Store(true)
			}
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	errs := make([]error, procs)
	start := make(chan struct{})
	for i, p := range pools {
		wg.Go(func() {
			<-start
			errs[i] = pg.Migrate(ctx, p, fsys)
		})
	}
	close(start)
	wg.Wait()
	close(stop)
	<-watched

	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
	var n int
	if err := observer.QueryRow(ctx, "SELECT count(*) FROM runs").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("runs has %d rows, want 2", n)
	}
	if cur, latest := status(t, observer, fsys); cur != 3 || latest != 3 {
		t.Errorf("status = (%d, %d), want (3, 3)", cur, latest)
	}
	if !sawWaiter.Load() {
		t.Error("never saw a migrator waiting on the advisory lock")
	}
	// Migrators close their connection to drop the lock; a backend may take
	// a moment to exit after its client has gone.
	var held int
	for deadline := time.Now().Add(2 * time.Second); ; {
		if err := observer.QueryRow(ctx, `SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
			WHERE l.locktype = 'advisory' AND d.datname = current_database()`).Scan(&held); err != nil {
			t.Fatal(err)
		}
		if held == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if held != 0 {
		t.Errorf("%d advisory locks still held after all migrators returned", held)
	}
}
