package boot

import (
	"os"
	"runtime/debug"
	"testing"
)

// TuneRuntime sets the service defaults, and leaves what the environment
// sets to the runtime.
func TestTuneRuntime(t *testing.T) {
	gc, limit := debug.SetGCPercent(100), debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetGCPercent(gc); debug.SetMemoryLimit(limit) })

	for _, name := range []string{"GOGC", "GOMEMLIMIT"} {
		if v, set := os.LookupEnv(name); set {
			t.Cleanup(func() { os.Setenv(name, v) })
			os.Unsetenv(name)
		}
	}
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(1 << 40)
	TuneRuntime()
	if got := debug.SetGCPercent(100); got != DefaultGCPercent {
		t.Errorf("GC percent %d, want %d", got, DefaultGCPercent)
	}
	if got := debug.SetMemoryLimit(1 << 40); got != DefaultMemoryLimit {
		t.Errorf("memory limit %d, want %d", got, DefaultMemoryLimit)
	}

	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "1GiB")
	debug.SetGCPercent(150)
	TuneRuntime()
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("with GOGC set: GC percent %d, want it left at 150", got)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set: memory limit %d, want it left alone", got)
	}
}

func TestIsHelp(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"help"}, {"-h"}, {"-help"}, {"--help", "x"}} {
		if !IsHelp(args) {
			t.Errorf("IsHelp(%q) = false", args)
		}
	}
	for _, args := range [][]string{nil, {"serve"}, {"env", "-h"}} {
		if IsHelp(args) {
			t.Errorf("IsHelp(%q) = true", args)
		}
	}
}
