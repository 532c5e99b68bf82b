// Package app wires the ERP service together: configuration, logging and
// tracing, the database pool and its migrations, storage, the API and the
// server, in that order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seamhq/seam/erp-service/internal/api"
	"github.com/seamhq/seam/erp-service/internal/postgres"
	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/config"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/server"
	"github.com/seamhq/seam/platform/telemetry"
)

// Name is the service's name in logs, metrics and --version.
const Name = "erp-service"

// Database is the database part of the configuration.
type Database struct {
	URL      string `env:"DATABASE_URL"`
	MaxConns int32  `env:"DATABASE_MAX_CONNS, default=8"`
}

// Config is the whole configuration, read from the environment.
type Config struct {
	Server    server.Config
	Telemetry telemetry.Config
	Auth      boot.AuthConfig
	Runtime   boot.RuntimeConfig
	Database  Database
	// How long a request_id is remembered for idempotent retries; 0 keeps
	// them forever.
	IdempotencyRetention time.Duration `env:"IDEMPOTENCY_RETENTION, default=720h"`
}

// Defaults are the local-stack values of variables without a tag default.
var Defaults = map[string]string{
	"GRPC_ADDR":    ":9082",
	"HTTP_ADDR":    ":8082",
	"DATABASE_URL": "postgres://postgres@127.0.0.1:55432/erp?sslmode=disable",
}

// Vars lists the environment variables the service reads.
func Vars() []config.Var { return config.Vars(Config{}) }

// Validate implements config.Validator.
func (d Database) Validate() error {
	return errors.Join(boot.CheckDatabaseURL(d.URL), boot.CheckMaxConns(d.MaxConns))
}

// Run runs the subcommand in args: "serve" (the default: apply pending
// migrations, then serve gRPC and REST until ctx ends), "migrate" (apply
// pending migrations and exit) or "env [serve|migrate]" (list the
// environment variables the subcommand reads, as JSON, for the deployment
// checks). The whole configuration a subcommand reads is checked before
// it does anything.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	cmd, err := boot.Command(args, Name, &Config{}, Defaults, stdout)
	if err != nil || cmd == "" {
		return err
	}
	switch cmd {
	case "serve":
		var cfg Config
		if err := config.Load(ctx, &cfg, Defaults); err != nil {
			return err
		}
		return serve(ctx, cfg, stdout)
	case "migrate":
		var cfg boot.MigrateConfig
		if err := config.Load(ctx, &cfg, Defaults); err != nil {
			return err
		}
		return boot.Migrate(ctx, Name, cfg, migrations.FS, stdout)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate or env)", cmd)
	}
}

func connect(ctx context.Context, cfg Config) (*pgxpool.Pool, error) {
	return pg.Connect(ctx, pg.Config{URL: cfg.Database.URL, MaxConns: cfg.Database.MaxConns})
}

func serve(ctx context.Context, cfg Config, stdout io.Writer) error {
	logger, flush, err := boot.Observability(ctx, Name, cfg.Telemetry, stdout)
	if err != nil {
		return err
	}
	defer flush()
	verifier, err := cfg.Auth.Verifier()
	if err != nil {
		return err
	}
	pool, err := connect(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	// Several replicas may start at once; Migrate lets one of them apply.
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		return err
	}

	srv, err := NewServer(ctx, cfg.Server, pool, logger, verifier)
	if err != nil {
		return err
	}
	var wg sync.WaitGroup
	defer wg.Wait() // before the pool closes
	purgeCtx, stopPurge := context.WithCancel(ctx)
	defer stopPurge()
	wg.Go(func() {
		pg.RunPurge(purgeCtx, pool, pg.Purge{
			Table: "idempotency_keys", Column: "created_at", Retention: cfg.IdempotencyRetention, Every: time.Hour,
		}, logger)
	})
	return srv.Run(ctx)
}

// NewServer builds the ERP server on pool (migrated), with its listeners
// bound. Tests use it with 127.0.0.1:0 addresses.
func NewServer(ctx context.Context, cfg server.Config, pool *pgxpool.Pool, logger *slog.Logger, verifier *auth.Verifier) (*server.Server, error) {
	store := postgres.New(pool, api.EventEncoder{})
	svc := api.Service(store, feed.NewReader(pool), Ready(pool))
	reg := prometheus.NewRegistry()
	reg.MustRegister(pg.NewPoolCollector(pool))
	return server.New(ctx, cfg, svc, server.Options{Logger: logger, Verifier: verifier, Registry: reg})
}

// Ready reports whether the service can take traffic: the database answers
// and its schema works with this binary: the one it migrates to, or a newer
// one no breaking migration changed (pg.CheckSchema).
func Ready(pool *pgxpool.Pool) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := pg.CheckSchema(ctx, pool, migrations.FS); err != nil {
			return fmt.Errorf("database: %w", err)
		}
		return nil
	}
}

var _ postgres.Encoder = api.EventEncoder{}
