package feed

import "time"

// ListSQL is the query List runs, for the plan test.
const ListSQL = listSQL

// SetFallback changes how often r's watchers poll without a notification.
func SetFallback(r *Reader, d time.Duration) { r.fallback = d }
