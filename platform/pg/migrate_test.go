package pg_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
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

	// An older binary meets the newer schema, which is compatible with it:
	// nothing to do.
	old := fstest.MapFS{"0001_init.sql": fsys["0001_init.sql"], "0002_seed.sql": fsys["0002_seed.sql"]}
	if err := pg.Migrate(ctx, pool, old); err != nil {
		t.Errorf("Migrate with fewer migrations than applied, all compatible: %v", err)
	}
	if cur, _ := status(t, pool, fsys); cur != 3 {
		t.Errorf("version after an older binary's Migrate = %d, want 3", cur)
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

// history reads the oldest compatible migration recorded for each applied
// version.
func history(t *testing.T, pool *pgxpool.Pool) map[int]int {
	t.Helper()
	rows, err := pool.Query(context.Background(), "SELECT version, oldest_compatible FROM "+pg.HistoryTable)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]int{}
	for rows.Next() {
		var v, o int
		if err := rows.Scan(&v, &o); err != nil {
			t.Fatal(err)
		}
		out[v] = o
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// The rollout of a release with a migration: the first new pod migrates
// while the old pods still serve. They stay ready on a schema that is
// compatible with them and turn unready, saying why, only once a breaking
// migration has run.
func TestCheckSchemaOlderBinary(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate_compat"))

	v1 := fstest.MapFS{
		"0001_init.sql": {Data: []byte(`CREATE TABLE widgets (id int PRIMARY KEY, label text);`)},
		"0002_seed.sql": {Data: []byte(`INSERT INTO widgets VALUES (1, 'one');`)},
	}
	if err := pg.Migrate(ctx, pool, v1); err != nil {
		t.Fatal(err)
	}
	if err := pg.CheckSchema(ctx, pool, v1); err != nil {
		t.Fatalf("CheckSchema at the binary's own version: %v", err)
	}

	// Release 2 expands: a new column, which release 1 does not know.
	v2 := maps.Clone(v1)
	v2["0003_expand.sql"] = &fstest.MapFile{Data: []byte(`ALTER TABLE widgets ADD COLUMN name text;`)}
	if err := pg.CheckSchema(ctx, pool, v2); err == nil {
		t.Error("CheckSchema of a binary with a pending migration: ready")
	}
	if err := pg.Migrate(ctx, pool, v2); err != nil {
		t.Fatal(err)
	}
	if err := pg.CheckSchema(ctx, pool, v1); err != nil {
		t.Errorf("release 1 on release 2's compatible schema: %v, want ready", err)
	}
	if err := pg.Migrate(ctx, pool, v1); err != nil {
		t.Errorf("release 1's migrate on release 2's compatible schema: %v", err)
	}

	// Release 3 contracts: it drops the column release 1 reads, and says
	// that only binaries carrying 0003 still work.
	v3 := maps.Clone(v2)
	v3["0004_contract.sql"] = &fstest.MapFile{Data: []byte(`-- label moved to name in 0003
---- seam: oldest-compatible 3 ----
ALTER TABLE widgets DROP COLUMN label;`)}
	if err := pg.Migrate(ctx, pool, v3); err != nil {
		t.Fatal(err)
	}
	err := pg.CheckSchema(ctx, pool, v1)
	var se *pg.SchemaError
	if !errors.As(err, &se) {
		t.Fatalf("release 1 on a schema a breaking migration changed: %v, want a *SchemaError", err)
	}
	if se.Current != 4 || se.Latest != 2 || se.Oldest != 3 || se.Name != "0004_contract.sql" {
		t.Errorf("SchemaError = %+v", *se)
	}
	if !strings.Contains(err.Error(), "breaking migration") || !strings.Contains(err.Error(), "0004_contract.sql") {
		t.Errorf("error %q does not explain itself", err)
	}
	if err := pg.CheckSchema(ctx, pool, v2); err != nil {
		t.Errorf("release 2 on release 3's schema, compatible from 3: %v, want ready", err)
	}
	if err := pg.Migrate(ctx, pool, v1); !errors.As(err, &se) {
		t.Errorf("release 1's migrate on a broken schema: %v, want a *SchemaError", err)
	}

	// Release 4 breaks everything before it.
	v4 := maps.Clone(v3)
	v4["0005_break.sql"] = &fstest.MapFile{Data: []byte("---- seam: breaking ----\nALTER TABLE widgets RENAME COLUMN name TO title;")}
	if err := pg.Migrate(ctx, pool, v4); err != nil {
		t.Fatal(err)
	}
	if err := pg.CheckSchema(ctx, pool, v3); !errors.As(err, &se) || se.Oldest != 5 {
		t.Errorf("release 3 on a schema broken by 0005: %v", err)
	}
	if err := pg.CheckSchema(ctx, pool, v4); err != nil {
		t.Errorf("release 4 on its own schema: %v", err)
	}
	if diff := cmp.Diff(map[int]int{1: 1, 2: 1, 3: 1, 4: 3, 5: 5}, history(t, pool)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// A database migrated before the history was kept gets rows for what was
// applied; a schema newer than the binary without a history row counts as
// incompatible.
func TestMigrateHistoryBackfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate_backfill"))
	if _, err := pool.Exec(ctx, `CREATE TABLE widgets (id int); CREATE TABLE schema_version (version int4 NOT NULL); INSERT INTO schema_version VALUES (2)`); err != nil {
		t.Fatal(err)
	}
	old := fstest.MapFS{"0001_init.sql": {Data: []byte(`CREATE TABLE widgets (id int);`)}}
	if err := pg.CheckSchema(ctx, pool, old); err == nil {
		t.Error("CheckSchema on a newer schema without history: ready")
	}
	fsys := fstest.MapFS{
		"0001_init.sql":  old["0001_init.sql"],
		"0002_more.sql":  {Data: []byte("---- seam: breaking ----\nALTER TABLE widgets ADD COLUMN a int;")},
		"0003_again.sql": {Data: []byte(`ALTER TABLE widgets ADD COLUMN b int;`)},
	}
	if err := pg.Migrate(ctx, pool, fsys); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[int]int{1: 1, 2: 2, 3: 2}, history(t, pool)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// A migration that waits for a lock longer than the lock timeout fails,
// rolled back, with an error that says so, instead of queueing every
// query of the table behind it.
func TestMigrateLockTimeout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate_lock"))
	fsys := fstest.MapFS{"0001_init.sql": {Data: []byte(`CREATE TABLE widgets (id int);`)}}
	if err := pg.Migrate(ctx, pool, fsys); err != nil {
		t.Fatal(err)
	}

	// A long transaction holds a lock on the table that conflicts with
	// both migrations (one a VACUUM or another index build would hold).
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "LOCK TABLE widgets IN SHARE UPDATE EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}

	for _, f := range []string{
		`ALTER TABLE widgets ADD COLUMN name text;`,
		"---- tern: disable-tx ----\nCREATE INDEX CONCURRENTLY widgets_id ON widgets (id);",
	} {
		next := maps.Clone(fsys)
		next["0002_next.sql"] = &fstest.MapFile{Data: []byte(f)}
		start := time.Now()
		err = pg.MigrateWith(ctx, pool, next, pg.MigrateOptions{LockTimeout: 200 * time.Millisecond})
		if err == nil {
			t.Fatalf("%q: Migrate behind a held lock succeeded", f)
		}
		if !strings.Contains(err.Error(), "0002_next.sql waited more than 200ms for a lock") {
			t.Errorf("%q: error %q does not say it waited for a lock", f, err)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%q: Migrate took %s to give up", f, d)
		}
		if cur, _ := status(t, pool, next); cur != 1 {
			t.Errorf("%q: version %d after the failed migration, want 1", f, cur)
		}
		// The lock timeout applies to the migration only.
		var lt string
		if err := pool.QueryRow(ctx, "SHOW lock_timeout").Scan(&lt); err != nil || lt != "0" {
			t.Errorf("pool's lock_timeout = %q, %v; want 0", lt, err)
		}
	}
	tx.Rollback(ctx)
	next := maps.Clone(fsys)
	next["0002_next.sql"] = &fstest.MapFile{Data: []byte("---- tern: disable-tx ----\nCREATE INDEX CONCURRENTLY widgets_id ON widgets (id);")}
	if err := pg.MigrateWith(ctx, pool, next, pg.MigrateOptions{LockTimeout: 200 * time.Millisecond}); err != nil {
		t.Fatalf("Migrate once the lock is free: %v", err)
	}
	if diff := cmp.Diff(map[int]int{1: 1, 2: 1}, history(t, pool)); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
}

// Migrators waiting for each other on the advisory lock are not bound by
// the lock timeout: a migration may run much longer than it.
func TestMigrateWaitsForOtherMigrator(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	u := pgtest.CreateDatabase(t, "migrate_wait")
	fsys := fstest.MapFS{"0001_slow.sql": {Data: []byte(`SELECT pg_sleep(0.6); CREATE TABLE runs (id int);`)}}
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		p := connect(t, u)
		wg.Go(func() { errs[i] = pg.MigrateWith(ctx, p, fsys, pg.MigrateOptions{LockTimeout: 100 * time.Millisecond}) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("migrator %d: %v", i, err)
		}
	}
}

func TestMigrateDirectives(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate_directives"))
	for _, body := range []string{
		"---- seam: brakeing ----\nSELECT 1;",
		"---- seam: oldest-compatible 3 ----\nSELECT 1;",
		"---- seam: oldest-compatible 0 ----\nSELECT 1;",
	} {
		fsys := fstest.MapFS{
			"0001_init.sql": {Data: []byte(`SELECT 1;`)},
			"0002_bad.sql":  {Data: []byte(body)},
		}
		if err := pg.Migrate(ctx, pool, fsys); err == nil || !strings.Contains(err.Error(), "0002_bad.sql") {
			t.Errorf("%q: Migrate = %v, want an error naming the file", body, err)
		}
	}
	if cur, _ := status(t, pool, fstest.MapFS{"0001_init.sql": {Data: []byte(`SELECT 1;`)}}); cur != 0 {
		t.Errorf("version %d after refused migrations, want 0", cur)
	}
}

// A service pointed at another service's database refuses to migrate it
// or serve from it, whatever the two schemas' versions.
func TestMigrateRefusesAnotherServicesDatabase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := connect(t, pgtest.CreateDatabase(t, "migrate_foreign"))
	erp := fstest.MapFS{
		"0001_init.sql":  {Data: []byte(`CREATE TABLE items (sku text PRIMARY KEY);`)},
		"0002_stock.sql": {Data: []byte(`CREATE TABLE stock (sku text);`)},
	}
	if err := pg.Migrate(ctx, pool, erp); err != nil {
		t.Fatal(err)
	}
	crm := fstest.MapFS{
		"0001_init.sql":     {Data: []byte(`CREATE TABLE accounts (id int);`)},
		"0002_contacts.sql": {Data: []byte(`CREATE TABLE contacts (id int);`)},
		"0003_leads.sql":    {Data: []byte(`CREATE TABLE leads (id int);`)},
	}
	for name, check := range map[string]func() error{
		"Migrate":     func() error { return pg.Migrate(ctx, pool, crm) },
		"CheckSchema": func() error { return pg.CheckSchema(ctx, pool, crm) },
	} {
		err := check()
		var fe *pg.ForeignSchemaError
		if !errors.As(err, &fe) || fe.Version != 2 || fe.Applied != "0002_stock.sql" || fe.Want != "0002_contacts.sql" {
			t.Errorf("%s on another service's database: %v, want a *ForeignSchemaError at 2", name, err)
		}
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE tablename IN ('accounts', 'contacts', 'leads')").Scan(&n); err != nil || n != 0 {
		t.Errorf("%d of the other service's tables created (%v)", n, err)
	}
	// The database's own service still migrates and serves.
	if err := pg.Migrate(ctx, pool, erp); err != nil {
		t.Errorf("Migrate of the database's own service: %v", err)
	}
	if err := pg.CheckSchema(ctx, pool, erp); err != nil {
		t.Errorf("CheckSchema of the database's own service: %v", err)
	}
}
