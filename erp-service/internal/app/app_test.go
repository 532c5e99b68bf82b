package app

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestVars(t *testing.T) {
	t.Parallel()
	got := map[string]bool{}
	for _, v := range Vars() {
		got[v.Name] = v.Required
	}
	for _, name := range []string{"DATABASE_URL", "DATABASE_MAX_CONNS", "GRPC_ADDR", "HTTP_ADDR", "AUTH_SECRET", "LOG_LEVEL"} {
		if _, ok := got[name]; !ok {
			t.Errorf("Vars lacks %s", name)
		}
	}
	if !got["AUTH_SECRET"] {
		t.Error("AUTH_SECRET is not required")
	}
}

func TestRunRejectsUnknownCommand(t *testing.T) {
	t.Setenv("AUTH_SECRET", "a-test-signing-key-of-32-bytes-at-least")
	for _, args := range [][]string{{"frobnicate"}, {"serve", "extra"}} {
		if err := Run(context.Background(), args, io.Discard); err == nil {
			t.Errorf("Run(%q) succeeded", args)
		}
	}
}

// "env" needs no configuration and prints what Vars lists, as JSON.
func TestEnvCommand(t *testing.T) {
	t.Setenv("AUTH_SECRET", "")
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"env"}, &out); err != nil {
		t.Fatal(err)
	}
	var vars []struct {
		Name     string
		Required bool
		Default  string
	}
	if err := json.Unmarshal(out.Bytes(), &vars); err != nil {
		t.Fatalf("env output %q: %v", out.String(), err)
	}
	if len(vars) != len(Vars()) {
		t.Errorf("env lists %d variables, Vars %d", len(vars), len(Vars()))
	}
}

// syncBuffer is a bytes.Buffer safe for the server's log writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// migrate applies the migrations to an empty database; serve then starts,
// reports ready, and stops when its context ends.
func TestMigrateAndServe(t *testing.T) {
	url := pgtest.CreateDatabase(t, "erp_app")
	t.Setenv("DATABASE_URL", url)
	t.Setenv("AUTH_SECRET", "a-test-signing-key-of-32-bytes-at-least")
	t.Setenv("GRPC_ADDR", "127.0.0.1:0")
	t.Setenv("HTTP_ADDR", "127.0.0.1:0")
	ctx := context.Background()

	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := Ready(pool)(ctx); err == nil {
		t.Fatal("ready before migrations")
	}
	if err := Run(ctx, []string{"migrate"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := Ready(pool)(ctx); err != nil {
		t.Fatalf("not ready after migrate: %v", err)
	}

	runCtx, cancel := context.WithCancel(ctx)
	var logs syncBuffer
	done := make(chan error, 1)
	go func() { done <- Run(runCtx, nil, &logs) }()
	httpAddr := ""
	for deadline := time.Now().Add(10 * time.Second); httpAddr == "" && time.Now().Before(deadline); {
		sc := bufio.NewScanner(strings.NewReader(logs.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "serving" {
				httpAddr, _ = line["http"].(string)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if httpAddr == "" {
		cancel()
		t.Fatalf("server did not start: %s %v", logs.String(), <-done)
	}
	resp, err := http.Get("http://" + httpAddr + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz = %d", resp.StatusCode)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v", err)
	}
	cur, latest, err := pg.MigrationStatus(ctx, pool, migrations.FS)
	if err != nil || cur != latest {
		t.Errorf("migration status = %d/%d, %v", cur, latest, err)
	}
}

// A bad DATABASE_URL or DATABASE_MAX_CONNS stops serve and migrate before
// they connect, with an error naming the variable and never the password.
func TestRunChecksDatabaseSettings(t *testing.T) {
	t.Setenv("AUTH_SECRET", "a-test-signing-key-of-32-bytes-at-least")
	const reachable = "postgres://erp@127.0.0.1:1/erp?sslmode=disable&connect_timeout=1"
	for _, tc := range []struct{ cmd, url, conns, want string }{
		{"serve", "postgres://erp:hunter2@erp-db:five/app", "8", "DATABASE_URL: is not a postgres:// URL"},
		{"migrate", "postgres://erp:hunter2@erp-db:five/app", "8", "DATABASE_URL: is not a postgres:// URL"},
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
