// Package app wires the bridge: configuration, its state database, the
// CRM and ERP clients, the flow engine and its status API.
package app

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"google.golang.org/grpc"

	"github.com/seamhq/seam/bridge/internal/api"
	"github.com/seamhq/seam/bridge/internal/console"
	"github.com/seamhq/seam/bridge/internal/flow"
	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/bridge/migrations"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/config"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/server"
	"github.com/seamhq/seam/platform/telemetry"
	bridgev1 "github.com/seamhq/seam/proto/bridge/v1"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	"github.com/seamhq/seam/proto/openapi"
)

// Config is the bridge's configuration, read from the environment.
type Config struct {
	Server    server.Config
	Telemetry telemetry.Config
	Auth      boot.AuthConfig
	Runtime   boot.RuntimeConfig
	Database  Database
	// gRPC addresses (host:port) of the services the bridge joins.
	CRMAddr string `env:"CRM_GRPC_ADDR"`
	ERPAddr string `env:"ERP_GRPC_ADDR"`
	// Currency of ERP customers created from CRM accounts.
	DefaultCurrency string `env:"DEFAULT_CURRENCY, default=EUR"`
	// Name of this replica in status and logs; the host name when empty.
	Instance string `env:"BRIDGE_INSTANCE"`
	// Interval of the periodic reconciliation pass; 0 turns it off.
	ReconcileEvery time.Duration `env:"RECONCILE_INTERVAL, default=10m"`
	// Open opportunities at or past this stage count as pipeline demand,
	// sent to the ERP every PIPELINE_DEMAND_INTERVAL (0 turns it off).
	DemandStage string        `env:"PIPELINE_DEMAND_STAGE, default=STAGE_PROPOSAL"`
	DemandEvery time.Duration `env:"PIPELINE_DEMAND_INTERVAL, default=1m"`
}

// Database says how to reach the bridge's own database.
type Database struct {
	URL      string `env:"DATABASE_URL"`
	MaxConns int32  `env:"DATABASE_MAX_CONNS, default=4"`
}

// The shortest intervals of the periodic passes (other than 0, off): each
// pass reads both sides, so a shorter one only loads them.
const (
	MinReconcileInterval = time.Minute
	MinDemandInterval    = time.Second
)

// Validate implements config.Validator.
func (c Config) Validate() error {
	var errs []error
	errs = append(errs, boot.CheckDatabaseURL(c.Database.URL), boot.CheckMaxConns(c.Database.MaxConns))
	errs = append(errs, config.CheckAddr("CRM_GRPC_ADDR", c.CRMAddr, false), config.CheckAddr("ERP_GRPC_ADDR", c.ERPAddr, false))
	if err := money.CheckCode(c.DefaultCurrency); err != nil {
		errs = append(errs, fmt.Errorf("DEFAULT_CURRENCY: %w", err))
	}
	if c.ReconcileEvery != 0 && c.ReconcileEvery < MinReconcileInterval {
		errs = append(errs, fmt.Errorf("RECONCILE_INTERVAL: must be 0 (off) or at least %s, got %s", MinReconcileInterval, c.ReconcileEvery))
	}
	if c.DemandEvery != 0 && c.DemandEvery < MinDemandInterval {
		errs = append(errs, fmt.Errorf("PIPELINE_DEMAND_INTERVAL: must be 0 (off) or at least %s, got %s", MinDemandInterval, c.DemandEvery))
	}
	if _, err := demandStage(c.DemandStage); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// demandStage reads PIPELINE_DEMAND_STAGE: an open stage.
func demandStage(name string) (crmv1.Stage, error) {
	stage, ok := crmv1.Stage_value[name]
	if !ok || stage == 0 || stage >= int32(crmv1.Stage_STAGE_CLOSED_WON) {
		return 0, fmt.Errorf("PIPELINE_DEMAND_STAGE: %q is not an open stage (STAGE_PROSPECTING ... STAGE_NEGOTIATION)", name)
	}
	return crmv1.Stage(stage), nil
}

// Defaults are the local stack's settings.
var Defaults = map[string]string{
	"GRPC_ADDR":     ":9083",
	"HTTP_ADDR":     ":8083",
	"DATABASE_URL":  "postgres://postgres@127.0.0.1:55432/bridge?sslmode=disable",
	"CRM_GRPC_ADDR": "127.0.0.1:9081",
	"ERP_GRPC_ADDR": "127.0.0.1:9082",
}

// Vars lists the environment variables the bridge reads.
func Vars() []config.Var { return config.Vars(&Config{}) }

// Run is the bridge's main: `bridge [serve]` runs it, `bridge migrate`
// applies the migrations and exits, `bridge env [serve|migrate]` lists the
// environment variables the subcommand reads. The whole configuration a
// subcommand reads is checked before it does anything.
func Run(ctx context.Context, args []string, stdout io.Writer) error {
	cmd, err := boot.Command(args, "bridge", &Config{}, Defaults, stdout)
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
		return boot.Migrate(ctx, "bridge", cfg, migrations.FS, stdout)
	}
	return fmt.Errorf("unknown command %q (want serve, migrate or env)", cmd)
}

func serve(ctx context.Context, cfg Config, stdout io.Writer) error {
	logger, flush, err := boot.Observability(ctx, "bridge", cfg.Telemetry, stdout)
	if err != nil {
		return err
	}
	defer flush()
	if cfg.Instance == "" {
		cfg.Instance, _ = os.Hostname()
	}

	pool, err := pg.Connect(ctx, pg.Config{URL: cfg.Database.URL, MaxConns: cfg.Database.MaxConns})
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		return err
	}
	store := postgres.New(pool)

	verifier, err := cfg.Auth.Verifier()
	if err != nil {
		return err
	}
	tokens := serviceTokens([]byte(cfg.Auth.Secret), verifier)
	crmConn, err := dial(cfg.CRMAddr, tokens)
	if err != nil {
		return err
	}
	defer crmConn.Close()
	erpConn, err := dial(cfg.ERPAddr, tokens)
	if err != nil {
		return err
	}
	defer erpConn.Close()

	stage, err := demandStage(cfg.DemandStage) // checked by Validate already
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(pg.NewPoolCollector(pool))
	engine := flow.New(flow.NewCRM(crmConn), flow.NewERP(erpConn), store, logger, flow.NewMetrics(reg),
		flow.Options{DefaultCurrency: cfg.DefaultCurrency, ReconcileEvery: cfg.ReconcileEvery,
			DemandStage: stage, DemandEvery: cfg.DemandEvery})

	srv, err := server.New(ctx, cfg.Server, server.Service{
		Name: "bridge",
		Register: func(s grpc.ServiceRegistrar) {
			bridgev1.RegisterBridgeServiceServer(s, api.New(engine, store, cfg.Instance, time.Now()))
		},
		Gateways: []server.GatewayRegistrar{bridgev1.RegisterBridgeServiceHandler},
		OpenAPI:  openapi.Bridge,
		OpenAPI3: openapi.Bridge3,
		Policy:   api.Policy,
		// The schema works with this binary: the one it migrates to, or a
		// newer one no breaking migration changed.
		Ready:  func(ctx context.Context) error { return pg.CheckSchema(ctx, pool, migrations.FS) },
		Routes: console.New(engine, verifier, cfg.Instance, logger).Routes(),
	}, server.Options{Logger: logger, Verifier: verifier, Registry: reg})
	if err != nil {
		return err
	}

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var engineErr error
	wg.Go(func() {
		engineErr = engine.Run(ctx)
		cancel()
	})
	err = srv.Run(ctx)
	cancel()
	wg.Wait()
	if err != nil {
		return err
	}
	if engineErr != nil && !errors.Is(engineErr, context.Canceled) {
		return engineErr
	}
	return nil
}
