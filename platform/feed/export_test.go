package feed

import "time"

// ListSQL, ListDefaultSQL and PendingSQL are the queries List and Watch
// run, for the plan test.
var (
	ListSQL        = listSQL
	ListDefaultSQL = listDefaultSQL
	PendingSQL     = pendingSQL
)

// SetFallback changes how often r's watchers poll without a notification.
func SetFallback(r *Reader, d time.Duration) { r.fallback = d }
