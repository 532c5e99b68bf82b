package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

// VersionTable is the table in which Migrate records the schema version.
const VersionTable = "schema_version"

// HistoryTable is the table in which Migrate records, for every migration
// applied, the oldest binary that still works on the schema it leaves: the
// number of the newest migration such a binary must carry.
const HistoryTable = "schema_migrations"

// DefaultLockTimeout is how long one statement of a migration may wait for
// a lock before the migration gives up (MigrateOptions.LockTimeout).
const DefaultLockTimeout = 5 * time.Second

// MigrateOptions tune Migrate.
type MigrateOptions struct {
	// LockTimeout bounds each wait of a migration's statements for a lock
	// (PostgreSQL's lock_timeout, for the migration only); 0 means
	// DefaultLockTimeout. A statement such as ALTER TABLE that waits for a
	// long transaction holds every later query of that table in the queue
	// behind it: failing after a few seconds, rolled back and retried at
	// the next start, is better than stopping the service's traffic.
	LockTimeout time.Duration
}

// Compatibility of a migration with binaries built before it.
//
// A migration is compatible by default: the binaries of earlier releases
// keep working on the schema it leaves (it adds a table, a nullable column,
// an index, a backfill). A migration that breaks them says so with a header
// line, before its first statement:
//
//	---- seam: breaking ----
//
// Only binaries that carry this migration work on its schema. A contract
// migration that drops what only much older binaries used names the oldest
// migration a binary must carry to still work:
//
//	---- seam: oldest-compatible 12 ----
//
// The oldest compatible migration never goes down from one migration to the
// next; the first migration is the oldest compatible of itself.
var (
	directivePattern = regexp.MustCompile(`(?m)^---- seam: (.*) ----\s*$`)
	oldestPattern    = regexp.MustCompile(`^oldest-compatible (\d+)$`)
	// disableTxPattern is tern's marker of a migration run outside a
	// transaction.
	disableTxPattern = regexp.MustCompile(`(?m)^---- tern: disable-tx ----$`)
)

// migrationFile is what Migrate reads from a migration's file beyond SQL.
type migrationFile struct {
	name string
	// oldest is the number of the oldest migration a binary must carry to
	// work on the schema this migration leaves.
	oldest int
}

// readMigrations lists the migrations of fsys in order with their
// compatibility.
func readMigrations(fsys fs.FS) ([]migrationFile, error) {
	paths, err := migrate.FindMigrations(fsys)
	if err != nil {
		return nil, err
	}
	out := make([]migrationFile, len(paths))
	oldest := 1
	for i, p := range paths {
		seq := i + 1
		body, err := fs.ReadFile(fsys, p)
		if err != nil {
			return nil, err
		}
		for _, m := range directivePattern.FindAllStringSubmatch(string(body), -1) {
			d := strings.TrimSpace(m[1])
			n := 0
			if d == "breaking" {
				n = seq
			} else if om := oldestPattern.FindStringSubmatch(d); om != nil {
				n, _ = strconv.Atoi(om[1])
			} else {
				return nil, fmt.Errorf("%s: unknown directive %q (want \"breaking\" or \"oldest-compatible N\")", p, m[0])
			}
			if n < 1 || n > seq {
				return nil, fmt.Errorf("%s: oldest compatible migration %d is not between 1 and %d", p, n, seq)
			}
			oldest = max(oldest, n)
		}
		out[i] = migrationFile{name: path.Base(p), oldest: oldest}
	}
	return out, nil
}

// migrateLock serializes Migrate calls on one database (a session-level
// advisory lock, so a waiting migrator waits without a transaction).
const migrateLock = int64(0x5ea3_0001)

// Migrate applies the pending migrations in fsys with the default options
// (MigrateWith).
func Migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	return MigrateWith(ctx, pool, fsys, MigrateOptions{})
}

// MigrateWith applies the pending migrations in fsys: files named like
// 0001_init.sql at its root, numbered from 1 without gaps, in tern's format
// (an optional "---- create above / drop below ----" line separates the down
// part, which Migrate never runs). tern evaluates each file as a Go
// text/template first, so a literal "{{" must be escaped. Each migration runs
// in its own transaction together with the version bump and its row in
// HistoryTable, unless it contains the line "---- tern: disable-tx ----" (for
// CREATE INDEX CONCURRENTLY and the like). Each statement waits at most
// opts.LockTimeout for a lock; a migration that waits longer fails, rolled
// back, with an error that says so.
//
// A database whose schema is newer than fsys is left alone: Migrate
// succeeds when the newest migration applied is compatible with this
// binary's (see the "---- seam: ..." headers above) and fails, saying
// which migration broke it, when it is not.
//
// Several processes may call Migrate against one database at once: each
// holds a session-level advisory lock, scoped to the database, while it
// reads the version and applies migrations, so one process applies them
// and the others find nothing left to do. The work runs on a connection
// taken out of the pool and closed afterwards, so the lock can never stay
// behind on a pooled connection, even when ctx is cancelled midway.
func MigrateWith(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS, opts MigrateOptions) error {
	if opts.LockTimeout <= 0 {
		opts.LockTimeout = DefaultLockTimeout
	}
	files, err := readMigrations(fsys)
	if err != nil {
		return fmt.Errorf("pg: migrate: load migrations: %w", err)
	}
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))

	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrateLock); err != nil {
		return fmt.Errorf("pg: migrate: lock: %w", err)
	}
	// Closing the connection (deferred above) releases the lock.

	m, err := migrate.NewMigrator(ctx, conn, VersionTable)
	if err != nil {
		return fmt.Errorf("pg: migrate: prepare %s: %w", VersionTable, err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+HistoryTable+` (
		version int PRIMARY KEY,
		name text NOT NULL,
		oldest_compatible int NOT NULL,
		applied_at timestamptz
	)`); err != nil {
		return fmt.Errorf("pg: migrate: prepare %s: %w", HistoryTable, err)
	}
	if err := m.LoadMigrations(fsys); err != nil {
		return fmt.Errorf("pg: migrate: load migrations: %w", err)
	}
	latest := len(m.Migrations)
	current, err := m.GetCurrentVersion(ctx)
	if err != nil {
		return fmt.Errorf("pg: migrate: read version: %w", err)
	}
	if err := checkOwner(ctx, conn, files, int(current)); err != nil {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	if int(current) > latest {
		return checkNewer(ctx, conn, int(current), latest)
	}
	// Rows for migrations applied before the history was kept.
	if err := backfillHistory(ctx, conn, files[:current]); err != nil {
		return err
	}

	for i, mig := range m.Migrations {
		f := files[i]
		record := fmt.Sprintf("\n;\nINSERT INTO %s (version, name, oldest_compatible, applied_at) VALUES (%d, %s, %d, now())"+
			" ON CONFLICT (version) DO UPDATE SET name = EXCLUDED.name, oldest_compatible = EXCLUDED.oldest_compatible, applied_at = EXCLUDED.applied_at;\n",
			HistoryTable, mig.Sequence, quoteLiteral(f.name), f.oldest)
		set := "SET LOCAL"
		if disableTxPattern.MatchString(mig.UpSQL) {
			set = "SET" // tern runs RESET ALL after each migration
		}
		mig.UpSQL = fmt.Sprintf("%s lock_timeout = %d;\n", set, opts.LockTimeout.Milliseconds()) + mig.UpSQL + record
	}
	if err := m.MigrateTo(ctx, int32(latest)); err != nil {
		return migrateError(err, opts.LockTimeout)
	}
	return nil
}

// checkNewer is Migrate's answer to a schema newer than the binary's
// migrations: nothing to do when it is compatible, an error otherwise.
func checkNewer(ctx context.Context, conn *pgx.Conn, current, latest int) error {
	oldest, name, err := historyOf(ctx, conn, current)
	if err != nil {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	if oldest <= latest {
		return nil
	}
	return &SchemaError{Current: current, Latest: latest, Oldest: oldest, Name: name}
}

// queryRower is a pool or a connection.
type queryRower interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// querier is a pool or a connection.
type querier interface {
	queryRower
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// historyOf reads the oldest compatible migration of the schema at version.
// A schema without a row for it (migrated before the history was kept)
// counts as compatible with no older binary: oldest is version.
func historyOf(ctx context.Context, q queryRower, version int) (oldest int, name string, err error) {
	err = q.QueryRow(ctx, "SELECT oldest_compatible, name FROM "+HistoryTable+" WHERE version = $1", version).Scan(&oldest, &name)
	switch {
	case hasCode(err, "42P01"), IsNoRows(err):
		return version, "", nil
	case err != nil:
		return 0, "", fmt.Errorf("read %s: %w", HistoryTable, err)
	}
	return oldest, name, nil
}

// checkOwner makes sure the migrations applied to the database (up to
// version current) are this binary's: the history's name of every one
// this binary also has must be its file's name. A database of another
// service (a DATABASE_URL pointing at the wrong database) fails here,
// before anything is applied to it or served from it. Migrations applied
// before the history was kept have no names to compare.
func checkOwner(ctx context.Context, q querier, files []migrationFile, current int) error {
	rows, err := q.Query(ctx, "SELECT version, name FROM "+HistoryTable+" WHERE version <= $1 ORDER BY version",
		min(current, len(files)))
	if err != nil {
		if hasCode(err, "42P01") { // no history yet
			return nil
		}
		return fmt.Errorf("read %s: %w", HistoryTable, err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowToStructByPos[struct {
		Version int
		Name    string
	}])
	if err != nil {
		return fmt.Errorf("read %s: %w", HistoryTable, err)
	}
	for _, a := range applied {
		if want := files[a.Version-1].name; a.Name != want {
			return &ForeignSchemaError{Version: a.Version, Applied: a.Name, Want: want}
		}
	}
	return nil
}

// ForeignSchemaError says that a database's schema was built by other
// migrations than the binary's: another service's database, most likely.
type ForeignSchemaError struct {
	Version int
	// Applied is the name of the migration the database ran as Version,
	// Want the binary's.
	Applied, Want string
}

func (e *ForeignSchemaError) Error() string {
	return fmt.Sprintf("the database ran %s as migration %d, where this service has %s: "+
		"it is another service's database (check DATABASE_URL)", e.Applied, e.Version, e.Want)
}

func backfillHistory(ctx context.Context, conn *pgx.Conn, applied []migrationFile) error {
	if len(applied) == 0 {
		return nil
	}
	versions := make([]int32, len(applied))
	names := make([]string, len(applied))
	oldest := make([]int32, len(applied))
	for i, f := range applied {
		versions[i], names[i], oldest[i] = int32(i+1), f.name, int32(f.oldest)
	}
	_, err := conn.Exec(ctx, `INSERT INTO `+HistoryTable+` (version, name, oldest_compatible)
		SELECT * FROM unnest($1::int[], $2::text[], $3::int[]) ON CONFLICT (version) DO NOTHING`, versions, names, oldest)
	if err != nil {
		return fmt.Errorf("pg: migrate: record applied migrations: %w", err)
	}
	return nil
}

// migrateError explains a failed migration: which one, and for a lock it
// could not get, why that is no disaster.
func migrateError(err error, lockTimeout time.Duration) error {
	var bad migrate.BadVersionError
	if errors.As(err, &bad) {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	var merr migrate.MigrationPgError
	if errors.As(err, &merr) && merr.PgError != nil && merr.Code == "55P03" { // lock_not_available
		return fmt.Errorf("pg: migrate: %s waited more than %s for a lock that another transaction holds"+
			" (see pg_stat_activity for long transactions); it was rolled back and runs again at the next start: %w",
			merr.MigrationName, lockTimeout, merr.PgError)
	}
	if errors.As(err, &merr) {
		return fmt.Errorf("pg: migrate: %s: %w", merr.MigrationName, merr.PgError)
	}
	return fmt.Errorf("pg: migrate: %w", err)
}

// quoteLiteral quotes s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// SchemaError says that the database's schema is newer than a binary's
// migrations and no longer works with it: a breaking migration ran.
type SchemaError struct {
	// Current is the database's schema version, Latest the binary's newest
	// migration.
	Current, Latest int
	// Oldest is the oldest migration a binary must carry to work on the
	// schema; Name is the newest migration applied, when known.
	Oldest int
	Name   string
}

func (e *SchemaError) Error() string {
	applied := strconv.Itoa(e.Current)
	if e.Name != "" {
		applied += " (" + e.Name + ")"
	}
	return fmt.Sprintf("database schema at version %s needs a binary with migration %d or later; this binary's newest is %d (a breaking migration ran)",
		applied, e.Oldest, e.Latest)
}

// MigrationStatus reports the schema version recorded in the database
// (0 when nothing was ever applied) and the number of the newest migration in
// fsys. It only reads: it does not create the version table. CheckSchema
// says whether a binary can serve on that schema.
func MigrationStatus(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) (current, latest int, err error) {
	files, err := migrate.FindMigrations(fsys)
	if err != nil {
		return 0, 0, fmt.Errorf("pg: migration status: %w", err)
	}
	latest = len(files)

	var version int32
	err = pool.QueryRow(ctx, "SELECT version FROM "+VersionTable).Scan(&version)
	switch {
	case hasCode(err, "42P01"): // undefined_table: nothing was ever applied
		return 0, latest, nil
	case IsNoRows(err):
		return 0, latest, nil
	case err != nil:
		return 0, 0, fmt.Errorf("pg: migration status: %w", err)
	}
	return int(version), latest, nil
}

// CheckSchema reports whether a binary whose migrations are fsys can serve
// on the database's schema: nil when the schema is the binary's newest
// migration, or newer but compatible with it (expand now, contract in a
// later release); an error saying why not when migrations are pending or
// a breaking migration newer than the binary ran (a *SchemaError). It only
// reads. A service's readiness check calls it.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	current, latest, err := MigrationStatus(ctx, pool, fsys)
	if err != nil {
		return err
	}
	files, err := readMigrations(fsys)
	if err != nil {
		return fmt.Errorf("pg: check schema: %w", err)
	}
	if err := checkOwner(ctx, pool, files, current); err != nil {
		return fmt.Errorf("pg: check schema: %w", err)
	}
	switch {
	case current == latest:
		return nil
	case current < latest:
		return fmt.Errorf("database schema at version %d, want %d: migrations pending", current, latest)
	}
	oldest, name, err := historyOf(ctx, pool, current)
	if err != nil {
		return fmt.Errorf("pg: check schema: %w", err)
	}
	if oldest > latest {
		return &SchemaError{Current: current, Latest: latest, Oldest: oldest, Name: name}
	}
	return nil
}
