package feed

import (
	"context"
	"time"
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
