package boot

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/telemetry"
)

// MigrateConfig is what `<binary> migrate` reads: it logs and reaches the
// database, and needs nothing else (no signing key, no addresses).
type MigrateConfig struct {
	Telemetry   telemetry.Config
	Runtime     RuntimeConfig
	DatabaseURL string `env:"DATABASE_URL"`
}

// Validate implements config.Validator.
func (c MigrateConfig) Validate() error { return CheckDatabaseURL(c.DatabaseURL) }

// CheckDatabaseURL checks DATABASE_URL: set, and a connection string the
// driver can read, so that a mistyped one stops the binary with the
// variable's name before it connects.
func CheckDatabaseURL(url string) error {
	if url == "" {
		return errors.New("DATABASE_URL: must not be empty")
	}
	if err := pg.CheckURL(url); err != nil {
		return fmt.Errorf("DATABASE_URL: %w", err)
	}
	return nil
}

// CheckMaxConns checks DATABASE_MAX_CONNS, the pool's cap: at least 1. At
// 0 the pool would take pgxpool's default, the node's CPU count or 4,
// whichever is more: more connections than a deployment's budget counts
// on a large node.
func CheckMaxConns(n int32) error {
	if n == 0 {
		return errors.New("DATABASE_MAX_CONNS: must be at least 1, got 0")
	}
	return nil // a negative value is refused by config.Load already
}

// Migrate is `<binary> migrate`: it applies the migrations in fsys to the
// configured database and logs the schema version it leaves.
func Migrate(ctx context.Context, name string, cfg MigrateConfig, fsys fs.FS, stdout io.Writer) error {
	logger := telemetry.NewLogger(stdout, cfg.Telemetry, name)
	// pg.Migrate works on one connection of its own, and one more reads
	// the status.
	pool, err := pg.Connect(ctx, pg.Config{URL: cfg.DatabaseURL, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, fsys); err != nil {
		return err
	}
	current, latest, err := pg.MigrationStatus(ctx, pool, fsys)
	if err != nil {
		return err
	}
	if current > latest {
		logger.Info("migrated: the schema is newer than this binary and compatible with it", "version", current, "binary_version", latest)
		return nil
	}
	logger.Info("migrated", "version", current)
	return nil
}

// EnvTarget picks the configuration `<binary> env [serve|migrate]` lists:
// serve's (also with no subcommand) or migrate's.
func EnvTarget(args []string, serve any) (any, error) {
	switch {
	case len(args) == 0 || len(args) == 1 && args[0] == "serve":
		return serve, nil
	case len(args) == 1 && args[0] == "migrate":
		return &MigrateConfig{}, nil
	}
	return nil, fmt.Errorf("env: unexpected arguments %v (want nothing, serve or migrate)", args)
}

// Command reads a service binary's command line, args without the program
// name. Help and "env [serve | migrate]" it answers itself, on stdout,
// and returns ""; otherwise it returns the subcommand to run ("serve" when
// there is none), refusing arguments after it. serve is the service's
// configuration, whose variables "env" lists; defaults are its local
// settings.
func Command(args []string, service string, serve any, defaults map[string]string, stdout io.Writer) (string, error) {
	if IsHelp(args) {
		_, err := io.WriteString(stdout, ServiceUsage(service))
		return "", err
	}
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if cmd == "env" {
		target, err := EnvTarget(args[1:], serve)
		if err != nil {
			return "", err
		}
		return "", PrintEnv(stdout, target, defaults)
	}
	if len(args) > 1 {
		return "", fmt.Errorf("unexpected arguments after %q: %v", cmd, args[1:])
	}
	return cmd, nil
}
