package boot

import (
	"os"
	"runtime/debug"
)

// The Go runtime's memory settings a service runs with unless its
// environment sets GOGC or GOMEMLIMIT (which the runtime reads itself).
//
// A service keeps little live data (tens of MiB) and allocates quickly
// while it serves, so at Go's default (collect whenever the heap doubles)
// it spent about a tenth of its CPU collecting garbage under load. It lets
// the heap grow to five times the live data instead, and the soft limit
// makes it collect sooner should that approach DefaultMemoryLimit.
const (
	DefaultGCPercent   = 400
	DefaultMemoryLimit = 100 << 20
)

// TuneRuntime applies DefaultGCPercent and DefaultMemoryLimit where the
// environment does not set GOGC or GOMEMLIMIT. Main calls it; a test or
// benchmark that runs a service's server in its own process calls it to
// run it as the binary would.
func TuneRuntime() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(DefaultGCPercent)
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(DefaultMemoryLimit)
	}
}
