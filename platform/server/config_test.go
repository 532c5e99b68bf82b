package server

import (
	"context"
	"strings"
	"testing"

	"github.com/sethvargo/go-envconfig"

	"github.com/seamhq/seam/platform/config"
)

// One bad value is one error: a negative SHUTDOWN_TIMEOUT (or body cap)
// breaks both the general rule (not negative) and the server's own (at
// least one, positive), and the operator is told once, by the stricter.
func TestConfigOneErrorPerBadValue(t *testing.T) {
	t.Parallel()
	for env, want := range map[string]string{
		"SHUTDOWN_TIMEOUT=-1s":                   "SHUTDOWN_TIMEOUT: must be positive, got -1s",
		"SHUTDOWN_TIMEOUT=0s":                    "SHUTDOWN_TIMEOUT: must be positive, got 0s",
		"MAX_BODY_BYTES=-1":                      "MAX_BODY_BYTES: must be at least 1, got -1",
		"GRPC_MAX_CONCURRENT_STREAMS=4294967296": "GRPC_MAX_CONCURRENT_STREAMS: must be at most 4294967295, got 4294967296",
	} {
		k, v, _ := strings.Cut(env, "=")
		var cfg Config
		err := config.LoadFrom(context.Background(), &cfg, envconfig.MapLookuper(map[string]string{k: v}),
			map[string]string{"GRPC_ADDR": ":0", "HTTP_ADDR": ":0"})
		if err == nil {
			t.Errorf("%s: no error", env)
			continue
		}
		if got := strings.TrimPrefix(err.Error(), "read configuration: "); got != want {
			t.Errorf("%s: %q, want only %q", env, got, want)
		}
	}
}
