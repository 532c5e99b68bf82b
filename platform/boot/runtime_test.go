package boot

import (
	"math"
	"os"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"
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
	if got, want := debug.SetMemoryLimit(1<<40), defaultMemoryLimit(os.DirFS("/")); got != want {
		t.Errorf("memory limit %d, want %d", got, want)
	}

	// Set but empty, as an optional Secret key or a blank ConfigMap
	// value leaves it: the runtime reads Go's defaults (GOGC=100, no
	// memory limit), so the service's apply.
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	TuneRuntime()
	if got := debug.SetGCPercent(100); got != DefaultGCPercent {
		t.Errorf("with GOGC empty: GC percent %d, want %d", got, DefaultGCPercent)
	}
	if got, want := debug.SetMemoryLimit(1<<40), defaultMemoryLimit(os.DirFS("/")); got != want {
		t.Errorf("with GOMEMLIMIT empty: memory limit %d, want %d", got, want)
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

// The default memory limit follows the container's: a share of its
// cgroup's limit, cgroup v2 or v1, and 100 MiB where there is none.
func TestDefaultMemoryLimit(t *testing.T) {
	t.Parallel()
	const mi = 1 << 20
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name string
		fs   fstest.MapFS
		want int64
	}{
		{"no cgroup", fstest.MapFS{}, DefaultMemoryLimit},
		{"v2 in its own namespace", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("402653184\n"), // 384Mi
		}, 384 * mi / 100 * MemoryLimitPercent},
		{"v2 at the path /proc names", fstest.MapFS{
			"proc/self/cgroup":                          file("0::/kubepods/pod1/c1\n"),
			"sys/fs/cgroup/kubepods/pod1/c1/memory.max": file("536870912\n"),
			"sys/fs/cgroup/memory.max":                  file("max\n"),
		}, 512 * mi / 100 * MemoryLimitPercent},
		{"v2 without a limit", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("max\n"),
		}, DefaultMemoryLimit},
		{"v1", fstest.MapFS{
			"proc/self/cgroup": file("5:cpuset:/\n4:memory:/kubepods/pod1/c1\n0::/\n"),
			"sys/fs/cgroup/memory/kubepods/pod1/c1/memory.limit_in_bytes": file("134217728\n"),
		}, 128 * mi / 100 * MemoryLimitPercent},
		{"v1 without a limit", fstest.MapFS{
			"proc/self/cgroup":                           file("4:memory:/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("9223372036854771712\n"),
		}, DefaultMemoryLimit},
		{"unreadable", fstest.MapFS{
			"sys/fs/cgroup/memory.max": file("lots\n"),
		}, DefaultMemoryLimit},
	} {
		if got := defaultMemoryLimit(tc.fs); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// A GOGC the runtime cannot read (it would run with 100, saying nothing)
// stops the service at start, naming the variable.
func TestRuntimeConfigValidate(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "off", "400", "100", "-1"} {
		if err := (RuntimeConfig{GCPercent: ok}).Validate(); err != nil {
			t.Errorf("GOGC=%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"abc", "400%", "1e3", " 400", "99999999999"} {
		err := (RuntimeConfig{GCPercent: bad}).Validate()
		if err == nil || !strings.HasPrefix(err.Error(), "GOGC: ") {
			t.Errorf("GOGC=%q: %v, want an error naming GOGC", bad, err)
		}
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
