// Package boot holds what every binary does before and around its own
// work: --version, signal handling, reading the common configuration,
// logging, tracing, and turning an error into an exit code.
package boot

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"syscall"
	"time"

	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/buildinfo"
	"github.com/seamhq/seam/platform/config"
	"github.com/seamhq/seam/platform/telemetry"
)

// AuthConfig is the token part of a service's configuration.
type AuthConfig struct {
	// Secret signs and verifies tokens (HS256).
	Secret string `env:"AUTH_SECRET, required"`
	// PreviousSecret is still accepted during a key rotation.
	PreviousSecret string `env:"AUTH_PREVIOUS_SECRET"`
	// MaxTokenLifetime is the longest a token may be issued to live (exp -
	// iat); MaxIntegrationTokenLifetime that of a token whose roles are
	// all integration (a partner system's). The platform's own clients
	// sign tokens of an hour and renew them; the bridge's, of the
	// integration role, no longer than its own
	// AUTH_MAX_INTEGRATION_TOKEN_LIFETIME.
	MaxTokenLifetime            time.Duration `env:"AUTH_MAX_TOKEN_LIFETIME, default=24h"`
	MaxIntegrationTokenLifetime time.Duration `env:"AUTH_MAX_INTEGRATION_TOKEN_LIFETIME, default=720h"`
}

// MinSecretLength is the shortest signing key accepted: HS256 wants at
// least as many bytes as its hash, 32.
const MinSecretLength = 32

// Validate implements config.Validator.
func (c AuthConfig) Validate() error {
	var errs []error
	if len(c.Secret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("AUTH_SECRET: must be at least %d bytes, got %d", MinSecretLength, len(c.Secret)))
	}
	if c.PreviousSecret != "" && len(c.PreviousSecret) < MinSecretLength {
		errs = append(errs, fmt.Errorf("AUTH_PREVIOUS_SECRET: must be at least %d bytes, got %d", MinSecretLength, len(c.PreviousSecret)))
	}
	// A token's times are whole seconds.
	if c.MaxTokenLifetime < time.Second {
		errs = append(errs, fmt.Errorf("AUTH_MAX_TOKEN_LIFETIME: must be at least 1s, got %s", c.MaxTokenLifetime))
	}
	if c.MaxIntegrationTokenLifetime < time.Second {
		errs = append(errs, fmt.Errorf("AUTH_MAX_INTEGRATION_TOKEN_LIFETIME: must be at least 1s, got %s", c.MaxIntegrationTokenLifetime))
	}
	return errors.Join(errs...)
}

// Verifier builds the token verifier of the configuration.
func (c AuthConfig) Verifier() (*auth.Verifier, error) {
	v, err := auth.NewVerifier([]byte(c.Secret), []byte(c.PreviousSecret))
	if err != nil {
		return nil, err
	}
	v.SetMaxLifetimes(c.MaxTokenLifetime, c.MaxIntegrationTokenLifetime)
	return v, nil
}

// IsHelp reports whether args ask for help: help, -h, -help or --help.
func IsHelp(args []string) bool {
	return len(args) > 0 && slices.Contains([]string{"help", "-h", "-help", "--help"}, args[0])
}

// ServiceUsage is the help of a service binary.
func ServiceUsage(name string) string {
	return fmt.Sprintf(`usage: %[1]s [serve | migrate | env [serve | migrate] | --version]

  serve      apply pending migrations, then serve gRPC and REST (the default)
  migrate    apply pending migrations and exit
  env        print the environment variables %[1]s serve (or migrate) reads, as JSON
  --version  print the version and exit

Configuration comes from the environment only; see the README.
`, name)
}

// MainCLI is Main for a command-line tool: its errors go to standard
// error as text for a person, not as a log record, and a -h that its
// flags answered already exits 0.
func MainCLI(name string, run func(ctx context.Context, args []string, stdout io.Writer) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp), errors.Is(err, context.Canceled):
		// Done, help printed, or stopped by a signal as asked.
	default:
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Main runs a binary: it prints the version for --version, otherwise tunes
// the Go runtime (TuneRuntime) and calls run with a context that ends on
// SIGINT or SIGTERM, and exits 1 when run fails. It is the only place that
// exits.
func Main(name string, run func(ctx context.Context, args []string, stdout io.Writer) error) {
	args := os.Args[1:]
	if len(args) > 0 && (args[0] == "--version" || args[0] == "-version" || args[0] == "version") {
		fmt.Println(buildinfo.String(name))
		return
	}
	TuneRuntime()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, args, os.Stdout)
	stop()
	if err != nil && !errors.Is(err, context.Canceled) {
		telemetry.DefaultLogger(name).Error("exit", "err", err)
		os.Exit(1)
	}
}

// Observability sets up logs and traces for a service and returns its
// logger and a function that flushes traces at exit.
func Observability(ctx context.Context, name string, cfg telemetry.Config, stdout io.Writer) (*slog.Logger, func(), error) {
	logger := telemetry.NewLogger(stdout, cfg, name)
	shutdown, err := telemetry.SetupTracing(ctx, cfg, name, buildinfo.Version)
	if err != nil {
		return nil, nil, fmt.Errorf("set up tracing: %w", err)
	}
	logger.Info("starting", "version", buildinfo.Version, "commit", buildinfo.Revision(),
		"gomemlimit", debug.SetMemoryLimit(-1)) // a negative limit only reads it
	return logger, func() {
		if err := shutdown(context.WithoutCancel(ctx)); err != nil {
			logger.Warn("flush traces", "err", err)
		}
	}, nil
}

// PrintEnv writes the environment variables a configuration reads, as the
// JSON array `<binary> env` prints for deployment checks. A variable
// without a default in its tag shows what an unset value means: the
// binary's default from defaults (its local stack's), or the Go runtime's
// (RuntimeDefaults).
func PrintEnv(w io.Writer, target any, defaults map[string]string) error {
	vars := config.Vars(target)
	for i, v := range vars {
		if v.Default != "" || v.Required {
			continue
		}
		if d, ok := defaults[v.Name]; ok {
			vars[i].Default = d
		} else if d, ok := RuntimeDefaults[v.Name]; ok {
			vars[i].Default = d
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(vars)
}
