// Package e2e starts the real binaries of the CRM, the ERP and the bridge
// against a throwaway PostgreSQL and talks to them as clients do.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/seamhq/seam/e2e/internal/restclient"
	"github.com/seamhq/seam/e2e/internal/stack"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/pgtest"
	"github.com/seamhq/seam/platform/server"
)

func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	buildErr  error
)

// binaries builds the three services once per test run.
func binaries(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "seam-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		buildErr = stack.Build(ctx, dir, "")
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binDir
}

// startStack runs the three binaries on fresh databases and free ports.
func startStack(t testing.TB, env map[string]map[string]string) *stack.Stack {
	t.Helper()
	bin := binaries(t)
	cfg := stack.Config{
		BinDir: bin,
		LogDir: filepath.Join(t.TempDir(), "logs"),
		Databases: map[string]string{
			stack.CRM:    pgtest.CreateDatabase(t, "crm"),
			stack.ERP:    pgtest.CreateDatabase(t, "erp"),
			stack.Bridge: pgtest.CreateDatabase(t, "bridge"),
		},
		Secret: "e2e-secret-for-the-test-stacks-only",
		Env:    env,
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := stack.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		st.Stop()
		if t.Failed() {
			for _, name := range stack.Names {
				if b, err := os.ReadFile(filepath.Join(cfg.LogDir, name+".log")); err == nil {
					t.Logf("---- %s log (tail) ----\n%s", name, tail(b, 4000))
				}
			}
		}
	})
	return st
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// rest returns a REST client of a service acting with roles.
func rest(st *stack.Stack, service string, roles ...auth.Role) *restclient.Client {
	c := &restclient.Client{Base: st.BaseURL(service)}
	if len(roles) > 0 {
		c.Token = st.Token("e2e-"+string(roles[0]), roles...)
	}
	return c
}

// eventually polls check until it returns true or the timeout passes.
func eventually(t testing.TB, timeout time.Duration, what string, check func() (bool, string)) time.Duration {
	t.Helper()
	start := time.Now()
	var last string
	for {
		ok, detail := check()
		if ok {
			return time.Since(start)
		}
		last = detail
		if time.Since(start) > timeout {
			t.Fatalf("%s: not within %s (last: %s)", what, timeout, last)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// dialAdmin connects to a service of the stack over gRPC, with an admin
// token on every call, as the load generators and the demo loader do.
func dialAdmin(t testing.TB, st *stack.Stack, name string) *grpc.ClientConn {
	t.Helper()
	tok := st.Token("e2e", auth.Admin)
	conn, err := grpc.NewClient(st.GRPCAddr(name), append(server.WindowDialOptions(), grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithPerRPCCredentials(auth.TokenCredentials{Token: func() (string, error) { return tok, nil }}))...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// caughtUp waits until the bridge follows both feeds from a saved cursor
// with no event left to apply.
func caughtUp(t *testing.T, st *stack.Stack, when string) {
	t.Helper()
	bridge := rest(st, stack.Bridge, auth.Admin)
	eventually(t, 20*time.Second, strings.TrimSpace("bridge caught up "+when), func() (bool, string) {
		resp, err := bridge.Do(context.Background(), "GET", "/v1/status", nil)
		if err != nil || resp.Status != 200 {
			return false, fmt.Sprint(err)
		}
		feeds, _ := resp.Body["feeds"].([]any)
		for _, f := range feeds {
			m := f.(map[string]any)
			if lag := restclient.Str(m, "lag_events"); lag != "" && lag != "0" || restclient.Str(m, "cursor") == "" {
				return false, string(resp.Raw)
			}
		}
		return len(feeds) == 2, string(resp.Raw)
	})
}

// itemForSale sets up what most deals start from: an ERP item (the body
// of POST /v1/items) with stock of quantity in its main warehouse ("" for
// none), a CRM account named account, and the item shown as a product in
// the CRM. It returns the account's id.
func itemForSale(t *testing.T, st *stack.Stack, item map[string]any, quantity, account string) string {
	t.Helper()
	ctx := context.Background()
	warehouse := rest(st, stack.ERP, auth.Warehouse)
	crm := rest(st, stack.CRM, auth.Sales)
	sku, _ := item["sku"].(string)
	resp, err := warehouse.Do(ctx, "POST", "/v1/items", item)
	must(t, resp, err, 200)
	if quantity != "" {
		resp, err = warehouse.Do(ctx, "POST", "/v1/stockAdjustments", map[string]any{"sku": sku, "quantity": quantity, "reason": "receipt"})
		must(t, resp, err, 200)
	}
	resp, err = crm.Do(ctx, "POST", "/v1/accounts", map[string]any{"name": account})
	accountID := restclient.Str(must(t, resp, err, 200).Body, "id")
	eventually(t, 10*time.Second, "product "+sku+" in CRM", func() (bool, string) {
		resp, err := crm.Do(ctx, "GET", "/v1/products/"+sku, nil)
		return err == nil && resp.Status == 200, string(resp.Raw)
	})
	return accountID
}
