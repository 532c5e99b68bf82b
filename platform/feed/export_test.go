package feed

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// ListSQL, ListDefaultSQL and WatchSQL are the queries List and Watch
// run, for the plan tests.
var (
	ListSQL        = listSQL
	ListDefaultSQL = listDefaultSQL
	WatchSQL       = watchSQL
)

// Next is Watch's read: the next page and whether events are held back.
func Next(ctx context.Context, r *Reader, after Cursor) ([]Event, bool, error) {
	return r.next(ctx, after)
}

// SetFallback changes how often r's watchers poll without a notification.
func SetFallback(r *Reader, d time.Duration) { r.fallback = d }

// Explain returns the plan of sql, run with args as the reader runs its
// page queries.
func Explain(ctx context.Context, r *Reader, sql string, args ...any) (string, error) {
	var lines []string
	err := r.read(ctx, "EXPLAIN "+sql, args, func(rows pgx.Rows) error {
		var err error
		lines, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return strings.Join(lines, "\n"), err
}
