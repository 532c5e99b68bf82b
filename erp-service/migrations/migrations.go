// Package migrations holds the ERP database schema as numbered SQL files,
// embedded in the binary and applied by pg.Migrate.
package migrations

import "embed"

// FS holds the migration files (0001_init.sql, ...) at its root.
//
//go:embed *.sql
var FS embed.FS
