package app

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
	"github.com/seamhq/seam/platform/server"
	"github.com/seamhq/seam/platform/telemetry"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestVars(t *testing.T) {
	vars := map[string]bool{}
	for _, v := range Vars() {
		vars[v.Name] = v.Required
	}
	for _, name := range []string{"GRPC_ADDR", "HTTP_ADDR", "DATABASE_URL", "DATABASE_MAX_CONNS", "AUTH_SECRET", "AUTH_PREVIOUS_SECRET", "LOG_LEVEL"} {
		if _, ok := vars[name]; !ok {
			t.Errorf("%s is not read", name)
		}
	}
	if !vars["AUTH_SECRET"] {
		t.Error("AUTH_SECRET must be required")
	}
}

// The migrate subcommand brings an empty database to the latest schema;
// readiness reports the difference before and agrees after.
func TestMigrateCommandAndReadiness(t *testing.T) {
	url := pgtest.CreateDatabase(t, "crm_migrate")
	pool, err := pg.Connect(t.Context(), pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	ready := readiness(pool)
	if err := ready(t.Context()); err == nil {
		t.Fatal("ready without migrations")
	}
	t.Setenv("DATABASE_URL", url)
	t.Setenv("AUTH_SECRET", "a-test-signing-key-of-32-bytes-at-least")
	var out bytes.Buffer
	if err := Run(t.Context(), []string{"migrate"}, &out); err != nil {
		t.Fatal(err)
	}
	current, latest, err := pg.MigrationStatus(t.Context(), pool, migrations.FS)
	if err != nil || current != latest || latest < 1 {
		t.Fatalf("after migrate: %d/%d %v", current, latest, err)
	}
	if !strings.Contains(out.String(), "migrated") {
		t.Errorf("log %q", out.String())
	}
	if err := ready(t.Context()); err != nil {
		t.Fatalf("not ready after migrate: %v", err)
	}
	if err := Run(t.Context(), []string{"frobnicate"}, io.Discard); err == nil {
		t.Fatal("unknown command accepted")
	}
}

// serve needs the signing key, and says so before it does anything else;
// migrate needs the database only.
func TestRunNeedsAuthSecret(t *testing.T) {
	t.Setenv("AUTH_SECRET", "")
	os.Unsetenv("AUTH_SECRET")
	t.Setenv("DATABASE_URL", "postgres://crm@127.0.0.1:1/crm?sslmode=disable&connect_timeout=1")
	if err := Run(t.Context(), []string{"serve"}, io.Discard); err == nil || !strings.Contains(err.Error(), "AUTH_SECRET") {
		t.Fatalf("serve without AUTH_SECRET: %v", err)
	}
	t.Setenv("DATABASE_URL", pgtest.CreateDatabase(t, "crm_migrate_nokey"))
	if err := Run(t.Context(), []string{"migrate"}, io.Discard); err != nil {
		t.Fatalf("migrate without AUTH_SECRET: %v", err)
	}
	if err := Run(t.Context(), []string{"serve", "extra"}, io.Discard); err == nil {
		t.Fatal("serve with an extra argument accepted")
	}
}

// serve migrates at start-up and reports ready once the schema is current.
func TestServeMigratesAndIsReady(t *testing.T) {
	url := pgtest.CreateDatabase(t, "crm_serve")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	cfg := Config{
		Server:    server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: time.Second, MaxBodyBytes: 1 << 20},
		Telemetry: telemetry.Config{LogLevel: "error"},
		Auth:      boot.AuthConfig{Secret: "s"},
		Database:  Database{URL: url, MaxConns: 2},
	}
	started := make(chan *server.Server, 1)
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, cfg, io.Discard, func(s *server.Server) { started <- s }) }()
	var srv *server.Server
	select {
	case srv = <-started:
	case err := <-done:
		t.Fatal(err)
	}
	for _, path := range []string{"/readyz", "/healthz", "/openapi.json"} {
		resp, err := http.Get("http://" + srv.HTTPAddr() + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
}

// Help needs no configuration and lists the commands.
func TestHelp(t *testing.T) {
	for _, arg := range []string{"help", "-h", "--help"} {
		var out bytes.Buffer
		if err := Run(context.Background(), []string{arg}, &out); err != nil || !strings.Contains(out.String(), "usage: crm-service [serve | migrate | env") {
			t.Errorf("Run(%s) = %v, %q", arg, err, out.String())
		}
	}
}

// A bad DATABASE_URL or DATABASE_MAX_CONNS stops serve and migrate before
// they connect, with an error naming the variable and never the password.
func TestRunChecksDatabaseSettings(t *testing.T) {
	t.Setenv("AUTH_SECRET", "a-test-signing-key-of-32-bytes-at-least")
	const reachable = "postgres://crm@127.0.0.1:1/crm?sslmode=disable&connect_timeout=1"
	for _, tc := range []struct{ cmd, url, conns, want string }{
		{"serve", "postgres://crm:hunter2@crm-db:five/app", "8", "DATABASE_URL: is not a postgres:// URL"},
		{"migrate", "postgres://crm:hunter2@crm-db:five/app", "8", "DATABASE_URL: is not a postgres:// URL"},
		{"serve", reachable, "0", "DATABASE_MAX_CONNS: must be at least 1"},
		{"serve", reachable, "abc", "DATABASE_MAX_CONNS: "},
	} {
		t.Setenv("DATABASE_URL", tc.url)
		t.Setenv("DATABASE_MAX_CONNS", tc.conns)
		err := Run(t.Context(), []string{tc.cmd}, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") || strings.Contains(err.Error(), "127.0.0.1:1") {
			t.Errorf("%s with DATABASE_URL=%s DATABASE_MAX_CONNS=%s: %v, want an error saying %q before connecting", tc.cmd, tc.url, tc.conns, err, tc.want)
		}
	}
}
