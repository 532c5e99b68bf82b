// Package migrations holds the bridge database's schema, applied at start-up.
package migrations

import "embed"

// FS holds the numbered SQL migrations.
//
//go:embed *.sql
var FS embed.FS
