package app

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/bridge/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// unreachable is a database URL nothing answers at: a test that reaches
// it has gone past the configuration check.
const unreachable = "postgres://bridge@127.0.0.1:1/bridge?sslmode=disable&connect_timeout=1"

// A bad value stops the bridge before it touches anything, with an error
// naming the variable.
func TestServeChecksConfigurationFirst(t *testing.T) {
	t.Setenv("AUTH_SECRET", "a-test-signing-key-of-32-bytes-at-least")
	t.Setenv("DATABASE_URL", unreachable)
	for _, tc := range []struct{ name, value, want string }{
		{"PIPELINE_DEMAND_STAGE", "STAGE_CLOSED_WON", "PIPELINE_DEMAND_STAGE: "},
		{"PIPELINE_DEMAND_STAGE", "proposal", "PIPELINE_DEMAND_STAGE: "},
		{"RECONCILE_INTERVAL", "1ns", "RECONCILE_INTERVAL: must be 0 (off) or at least 1m0s"},
		{"PIPELINE_DEMAND_INTERVAL", "1ns", "PIPELINE_DEMAND_INTERVAL: must be 0 (off) or at least 1s"},
		{"CRM_GRPC_ADDR", ":::: ", "CRM_GRPC_ADDR: "},
		{"ERP_GRPC_ADDR", "erp-service", "ERP_GRPC_ADDR: "},
		{"RATE_LIMIT", "NaN", "RATE_LIMIT: must be a finite number"},
		{"GRPC_ADDR", "localhost", "GRPC_ADDR: "},
		{"DATABASE_URL", "", "DATABASE_URL: must not be empty"},
		{"DATABASE_URL", "postgres://bridge:hunter2@bridge-db:five/app", "DATABASE_URL: is not a postgres:// URL"},
		{"DATABASE_MAX_CONNS", "0", "DATABASE_MAX_CONNS: must be at least 1"},
		{"GOGC", "lots", "GOGC: "},
		{"OTEL_TRACES_SAMPLER", "sometimes", "OTEL_TRACES_SAMPLER: "},
	} {
		t.Run(tc.name+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.name, tc.value)
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			err := Run(ctx, []string{"serve"}, &bytes.Buffer{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Run = %v, want an error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error shows the database password: %v", err)
			}
			if strings.Contains(err.Error(), "127.0.0.1:1") {
				t.Errorf("Run reached the database before refusing its configuration: %v", err)
			}
		})
	}
	// Sensible values pass the check and get as far as the database.
	t.Setenv("RECONCILE_INTERVAL", "0")
	t.Setenv("PIPELINE_DEMAND_INTERVAL", "1s")
	t.Setenv("PIPELINE_DEMAND_STAGE", "STAGE_NEGOTIATION")
	t.Setenv("CRM_GRPC_ADDR", "crm-service.seam.svc:9081")
	err := Run(context.Background(), []string{"serve"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1") {
		t.Errorf("Run with a good configuration = %v, want the database's error", err)
	}
}

func TestRunRefusesExtraArguments(t *testing.T) {
	for _, args := range [][]string{{"serve", "extra"}, {"migrate", "now"}, {"env", "serve", "x"}, {"env", "bogus"}, {"frobnicate"}} {
		if err := Run(context.Background(), args, &bytes.Buffer{}); err == nil {
			t.Errorf("Run(%q) succeeded", args)
		}
	}
}

type listed struct {
	Name     string
	Required bool
	Default  string
}

func envList(t *testing.T, args ...string) map[string]listed {
	t.Helper()
	var out bytes.Buffer
	if err := Run(context.Background(), append([]string{"env"}, args...), &out); err != nil {
		t.Fatal(err)
	}
	var vars []listed
	if err := json.Unmarshal(out.Bytes(), &vars); err != nil {
		t.Fatal(err)
	}
	m := map[string]listed{}
	for _, v := range vars {
		m[v.Name] = v
	}
	return m
}

// `bridge env` says what an unset variable means: the local stack's
// address where the bridge falls back to one; `bridge env migrate` lists
// only what migrate reads.
func TestEnvListing(t *testing.T) {
	serve := envList(t)
	for name, want := range map[string]listed{
		"DATABASE_URL":  {"DATABASE_URL", false, Defaults["DATABASE_URL"]},
		"GRPC_ADDR":     {"GRPC_ADDR", false, ":9083"},
		"HTTP_ADDR":     {"HTTP_ADDR", false, ":8083"},
		"CRM_GRPC_ADDR": {"CRM_GRPC_ADDR", false, "127.0.0.1:9081"},
		"ERP_GRPC_ADDR": {"ERP_GRPC_ADDR", false, "127.0.0.1:9082"},
		"AUTH_SECRET":   {"AUTH_SECRET", true, ""},
	} {
		if got := serve[name]; got != want {
			t.Errorf("env: %+v, want %+v", got, want)
		}
	}
	if got := envList(t, "serve"); len(got) != len(serve) {
		t.Errorf("env serve lists %d variables, env %d", len(got), len(serve))
	}
	migrate := envList(t, "migrate")
	for _, name := range []string{"DATABASE_URL", "LOG_LEVEL", "LOG_FORMAT", "GOMEMLIMIT"} {
		if _, ok := migrate[name]; !ok {
			t.Errorf("env migrate does not list %s", name)
		}
	}
	for _, name := range []string{"AUTH_SECRET", "AUTH_PREVIOUS_SECRET", "CRM_GRPC_ADDR", "PIPELINE_DEMAND_STAGE", "GRPC_ADDR"} {
		if _, ok := migrate[name]; ok {
			t.Errorf("env migrate lists %s, which migrate does not read", name)
		}
	}
}

// migrate needs the database and nothing else: no signing key.
func TestMigrateWithoutSigningKey(t *testing.T) {
	url := pgtest.CreateDatabase(t, "bridge_migrate")
	t.Setenv("AUTH_SECRET", "")
	os.Unsetenv("AUTH_SECRET")
	t.Setenv("DATABASE_URL", url)
	t.Setenv("PIPELINE_DEMAND_STAGE", "not read by migrate")
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"migrate"}, &out); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	pool, err := pg.Connect(context.Background(), pg.Config{URL: url, MaxConns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := pg.CheckSchema(context.Background(), pool, migrations.FS); err != nil {
		t.Errorf("after migrate: %v", err)
	}
	if !strings.Contains(out.String(), `"msg":"migrated"`) {
		t.Errorf("migrate logged %q", out.String())
	}
}
