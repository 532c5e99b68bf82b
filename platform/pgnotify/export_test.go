package pgnotify

import "time"

// SetLinger changes how long h keeps listening after its last subscriber
// left.
func SetLinger(h *Hub, d time.Duration) { h.l.linger = d }
