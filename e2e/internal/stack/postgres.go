package stack

import (
	"context"

	"github.com/seamhq/seam/platform/pglocal"
)

// StartPostgres starts the local stack's PostgreSQL server: a cluster kept
// in dir between runs, created on first use (see pglocal.Start).
func StartPostgres(ctx context.Context, dir string, port int) (*pglocal.Server, error) {
	return pglocal.Start(ctx, dir, port, "max_connections=200")
}
