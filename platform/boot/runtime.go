package boot

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// The Go runtime's memory settings a service runs with unless its
// environment sets GOGC or GOMEMLIMIT (which the runtime reads itself).
//
// A service keeps little live data (tens of MiB) and allocates quickly
// while it serves, so at Go's default (collect whenever the heap doubles)
// it spent about a tenth of its CPU collecting garbage under load. It lets
// the heap grow to five times the live data instead, and the soft memory
// limit makes it collect sooner as the heap approaches what the container
// may use: MemoryLimitPercent of the container's memory limit (its cgroup's),
// or DefaultMemoryLimit where there is none (the local stack).
const (
	DefaultGCPercent   = 400
	DefaultMemoryLimit = 100 << 20
	MemoryLimitPercent = 85
)

// RuntimeConfig lists the Go runtime's own variables in a service's
// configuration, so that `<binary> env` names them and a deployment may set
// them. The runtime reads them itself; TuneRuntime applies the defaults
// where they are unset.
type RuntimeConfig struct {
	GCPercent   string `env:"GOGC"`
	MemoryLimit string `env:"GOMEMLIMIT"`
}

// Validate implements config.Validator. The runtime itself takes a GOGC
// it cannot read as 100, Go's default, silently; a service refuses it.
// (A malformed GOMEMLIMIT stops the runtime before the service starts.)
func (c RuntimeConfig) Validate() error {
	if c.GCPercent == "" || c.GCPercent == "off" {
		return nil
	}
	if _, err := strconv.ParseInt(c.GCPercent, 10, 32); err != nil {
		return fmt.Errorf("GOGC: %q is neither a percentage nor off", c.GCPercent)
	}
	return nil
}

// RuntimeDefaults describe what an unset GOGC and GOMEMLIMIT mean, for the
// listing of `<binary> env`.
var RuntimeDefaults = map[string]string{
	"GOGC":       strconv.Itoa(DefaultGCPercent),
	"GOMEMLIMIT": strconv.Itoa(MemoryLimitPercent) + "% of the container's memory limit, else 100MiB",
}

// TuneRuntime applies DefaultGCPercent and the default memory limit where
// the environment does not set GOGC or GOMEMLIMIT, or sets it empty (which
// the runtime reads as Go's defaults: GOGC=100 and no memory limit at all). Main calls it; a test or
// benchmark that runs a service's server in its own process calls it to
// run it as the binary would.
func TuneRuntime() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(DefaultGCPercent)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(defaultMemoryLimit(os.DirFS("/")))
	}
}

// defaultMemoryLimit is MemoryLimitPercent of the memory limit of the
// process's cgroup (root is the file system's root), or DefaultMemoryLimit
// when it has none.
func defaultMemoryLimit(root fs.FS) int64 {
	limit, ok := cgroupMemoryLimit(root)
	if !ok {
		return DefaultMemoryLimit
	}
	return limit / 100 * MemoryLimitPercent
}

// cgroupMemoryLimit reads the memory limit of the process's cgroup: v2's
// memory.max, or v1's memory.limit_in_bytes, in the cgroup that
// /proc/self/cgroup names or else at the root of the hierarchy (a
// container with its own cgroup namespace sees its cgroup there). ok is
// false when there is no limit or none can be read.
func cgroupMemoryLimit(root fs.FS) (limit int64, ok bool) {
	v2, v1 := cgroupPaths(root)
	candidates := []string{
		path.Join("sys/fs/cgroup", v2, "memory.max"),
		"sys/fs/cgroup/memory.max",
		path.Join("sys/fs/cgroup/memory", v1, "memory.limit_in_bytes"),
		"sys/fs/cgroup/memory/memory.limit_in_bytes",
	}
	for _, p := range candidates {
		b, err := fs.ReadFile(root, p)
		if err != nil {
			continue
		}
		s := strings.TrimSpace(string(b))
		if s == "max" {
			return 0, false
		}
		n, err := strconv.ParseInt(s, 10, 64)
		// v1 reports "no limit" as a huge number (page-rounded MaxInt64).
		if err != nil || n <= 0 || n >= 1<<62 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}

// cgroupPaths reads the process's cgroup v2 path and its v1 memory
// controller's path from /proc/self/cgroup.
func cgroupPaths(root fs.FS) (v2, v1 string) {
	b, err := fs.ReadFile(root, "proc/self/cgroup")
	if err != nil {
		return "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		// hierarchy-ID:controller-list:cgroup-path
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		p := strings.TrimPrefix(parts[2], "/")
		switch {
		case parts[0] == "0" && parts[1] == "":
			v2 = p
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			v1 = p
		}
	}
	return v2, v1
}
