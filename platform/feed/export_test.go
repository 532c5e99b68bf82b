package feed

import "time"

// ListSQL and PendingSQL are the queries List and Watch run, for the plan
// test.
const (
	ListSQL    = listSQL
	PendingSQL = pendingSQL
)

// SetFallback changes how often r's watchers poll without a notification.
func SetFallback(r *Reader, d time.Duration) { r.fallback = d }
