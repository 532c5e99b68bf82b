// Package migrations holds the CRM database schema as numbered SQL files,
// applied in order by pg.Migrate (at start-up and by `crm-service migrate`).
package migrations

import "embed"

// FS holds the migration files, 0001_init.sql onwards, at its root.
//
//go:embed *.sql
var FS embed.FS
