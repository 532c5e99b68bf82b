// Package app wires the CRM service together: configuration, database,
// migrations, domain services, the API and the server, in that order.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/api"
	"github.com/seamhq/seam/crm-service/internal/audit"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/internal/report"
	"github.com/seamhq/seam/crm-service/internal/search"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/config"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgnotify"
	"github.com/seamhq/seam/platform/server"
	"github.com/seamhq/seam/platform/telemetry"
	"github.com/seamhq/seam/proto/openapi"
)

// Name is the service name in logs, metrics and --version.
const Name = "crm-service"

// Config is the whole configuration of the service, read from the
// environment once at start-up.
type Config struct {
	Server    server.Config
	Telemetry telemetry.Config
	Auth      boot.AuthConfig
	Runtime   boot.RuntimeConfig
	Database  Database
	// How long a request_id is remembered for idempotent retries; 0 keeps
	// them forever.
	IdempotencyRetention time.Duration `env:"IDEMPOTENCY_RETENTION, default=720h"`
	// ReminderInterval is how often due task reminders are looked for and
	// recorded as activity.reminder_due events; 0 turns that off.
	ReminderInterval time.Duration `env:"REMINDER_INTERVAL, default=30s"`
}

// Database says how to reach the CRM database.
type Database struct {
	URL      string `env:"DATABASE_URL"`
	MaxConns int32  `env:"DATABASE_MAX_CONNS, default=8"`
}

// Defaults are the local-stack values of variables left unset.
var Defaults = map[string]string{
	"GRPC_ADDR":    ":9081",
	"HTTP_ADDR":    ":8081",
	"DATABASE_URL": "postgres://postgres@127.0.0.1:55432/crm?sslmode=disable",
}

// Vars lists the environment variables the service reads.
func Vars() []config.Var { return config.Vars(Config{}) }

// Validate implements config.Validator.
func (d Database) Validate() error {
	return errors.Join(boot.CheckDatabaseURL(d.URL), boot.CheckMaxConns(d.MaxConns))
}

// Run runs the subcommand in args: "serve" (the default), "migrate", or
// "env [serve|migrate]" (list the environment variables the subcommand
// reads, as JSON). The whole configuration a subcommand reads is checked
// before it does anything.
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
		return Serve(ctx, cfg, stdout, nil)
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

func connect(ctx context.Context, db Database) (*pgxpool.Pool, error) {
	return pg.Connect(ctx, pg.Config{URL: db.URL, MaxConns: db.MaxConns})
}

// Serve runs the service until ctx ends: it connects to the database,
// applies pending migrations and serves. started, when not nil, receives
// the bound server before it serves (tests use it to learn the addresses).
func Serve(ctx context.Context, cfg Config, stdout io.Writer, started func(*server.Server)) error {
	logger, flush, err := boot.Observability(ctx, Name, cfg.Telemetry, stdout)
	if err != nil {
		return err
	}
	defer flush()
	verifier, err := cfg.Auth.Verifier()
	if err != nil {
		return err
	}
	pool, err := connect(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		return err
	}

	store := postgres.New(pool)
	// Deleting an account, contact or opportunity clears it from the
	// activities (and cases) that name it through their services.
	activities := activity.NewService(store, api.Payloads{}, time.Now)
	cases := servicecase.NewService(store, api.Payloads{}, activities, time.Now)
	accounts := account.NewService(store, api.Payloads{}, activities, time.Now)
	opportunities := pipeline.NewService(store, api.Payloads{}, activities, time.Now)
	changes := pgnotify.NewHub(func(ctx context.Context) (*pgx.Conn, error) {
		return pgx.ConnectConfig(ctx, pool.Config().ConnConfig)
	}, postgres.OpportunityChanges)
	defer changes.Close() // before the pool closes
	opportunities.SetChanges(opportunityChanges{changes})
	members := campaign.NewMembers(store, api.Payloads{}, time.Now)
	contacts := contact.NewService(store, api.Payloads{}, activities, cases, members, time.Now)
	// Deleting one also clears it from the leads converted into it, through
	// the lead service: that builds on those services, so the store calls it.
	leads := lead.NewService(store, api.Payloads{}, accounts, contacts, opportunities, members, activities, time.Now)
	store.SetLeadUnlinker(leads)
	a := &api.API{
		Accounts:        accounts,
		Opportunities:   opportunities,
		Contacts:        contacts,
		Activities:      activities,
		Cases:           cases,
		Overviews:       overview.NewService(store, opportunities),
		Leads:           leads,
		Catalog:         catalog.NewService(store, time.Now),
		Search:          search.NewService(store),
		Audit:           audit.NewService(store),
		Campaigns:       campaign.NewService(store, api.Payloads{}, members, time.Now),
		CampaignMembers: members,
		Reports:         report.NewService(store),
		Events:          feed.NewReader(pool),
	}
	srv, err := server.New(ctx, cfg.Server, server.Service{
		Name:     "crm",
		Register: a.Register,
		Gateways: api.Gateways(),
		OpenAPI:  openapi.CRM,
		OpenAPI3: openapi.CRM3,
		Policy:   api.Policy,
		Ready:    readiness(pool),
	}, server.Options{Logger: logger, Verifier: verifier, Registry: registry(pool)})
	if err != nil {
		return err
	}
	if started != nil {
		started(srv)
	}
	var wg sync.WaitGroup
	defer wg.Wait() // before the pool closes
	jobsCtx, stopJobs := context.WithCancel(ctx)
	defer stopJobs()
	wg.Go(func() { activities.RunReminders(jobsCtx, cfg.ReminderInterval, logger) })
	wg.Go(func() {
		pg.RunPurge(jobsCtx, pool, pg.Purge{
			Table: "idempotency_keys", Column: "create_time", Retention: cfg.IdempotencyRetention, Every: time.Hour,
		}, logger)
	})
	return srv.Run(ctx)
}

// registry is the service's metrics registry, with its pool's statistics;
// the server adds its own.
func registry(pool *pgxpool.Pool) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(pg.NewPoolCollector(pool))
	return reg
}

// readiness: the database answers and its schema works with this binary:
// the one it migrates to, or a newer one no breaking migration changed
// (pg.CheckSchema).
func readiness(pool *pgxpool.Pool) func(context.Context) error {
	return func(ctx context.Context) error {
		if err := pool.Ping(ctx); err != nil {
			return errors.New("database unreachable")
		}
		return pg.CheckSchema(ctx, pool, migrations.FS)
	}
}

// opportunityChanges gives the hub the method set pipeline.Changes names.
type opportunityChanges struct{ *pgnotify.Hub }

func (c opportunityChanges) Subscribe(id string) pipeline.ChangeSubscription {
	return c.Hub.Subscribe(id)
}
