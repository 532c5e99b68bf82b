// Package buildinfo carries the version and commit stamped into a binary at
// link time:
//
//	go build -ldflags "-X github.com/seamhq/seam/platform/buildinfo.Version=v1.2.3 -X github.com/seamhq/seam/platform/buildinfo.Commit=abc123"
//
// Unstamped binaries report "dev" and the VCS revision Go recorded, if any.
package buildinfo

import (
	"fmt"
	"runtime/debug"
)

// Set with -ldflags -X.
var (
	Version = "dev"
	Commit  = ""
)

// Revision returns the commit the binary was built from, or "unknown".
func Revision() string {
	if Commit != "" {
		return Commit
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				return s.Value
			}
		}
	}
	return "unknown"
}

// String is the one-line version a binary prints for --version.
func String(name string) string {
	return fmt.Sprintf("%s %s (commit %s)", name, Version, Revision())
}
