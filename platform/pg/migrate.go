package pg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/tern/v2/migrate"
)

// VersionTable is the table in which Migrate records the schema version.
const VersionTable = "schema_version"

// Migrate applies the pending migrations in fsys: files named like
// 0001_init.sql at its root, numbered from 1 without gaps, in tern's format
// (an optional "---- create above / drop below ----" line separates the down
// part, which Migrate never runs). tern evaluates each file as a Go
// text/template first, so a literal "{{" must be escaped. Each migration runs
// in its own transaction together with the version bump, unless it contains
// the line "---- tern: disable-tx ----" (for CREATE INDEX CONCURRENTLY and the
// like).
//
// Several processes may call Migrate against one database at once: the
// migrator holds a session-level advisory lock, scoped to the database, while
// it creates the version table and again while it reads the version and
// applies migrations, so one process applies them and the others find
// nothing left to do. The work runs on a connection taken out of the pool
// and closed afterwards, so the lock can never stay behind on a pooled
// connection, even when ctx is cancelled midway.
func Migrate(ctx context.Context, pool *pgxpool.Pool, fsys fs.FS) error {
	pc, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("pg: migrate: %w", err)
	}
	conn := pc.Hijack()
	defer conn.Close(context.WithoutCancel(ctx))

	m, err := migrate.NewMigrator(ctx, conn, VersionTable)
	if err != nil {
		return fmt.Errorf("pg: migrate: prepare %s: %w", VersionTable, err)
	}
	if err := m.LoadMigrations(fsys); err != nil {
		return fmt.Errorf("pg: migrate: load migrations: %w", err)
	}
	latest := int32(len(m.Migrations))
	if err := m.MigrateTo(ctx, latest); err != nil {
		var bad migrate.BadVersionError
		if errors.As(err, &bad) {
			return fmt.Errorf("pg: migrate: database schema is newer than this binary's migrations (latest %d): %w", latest, err)
		}
		return fmt.Errorf("pg: migrate: %w", err)
	}
	return nil
}

// MigrationStatus reports the schema version recorded in the database
// (0 when nothing was ever applied) and the number of the newest migration in
// fsys. A service is ready when current == latest. It only reads: it does not
// create the version table.
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
