package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/erp-service/internal/app"
	"github.com/seamhq/seam/erp-service/migrations"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
	"github.com/seamhq/seam/platform/server"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

var secret = []byte("test-secret")

func migrate(ctx context.Context, url string) error {
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	return pg.Migrate(ctx, pool, migrations.FS)
}

// env is a running ERP server on its own database.
type env struct {
	t    testing.TB
	pool *pgxpool.Pool
	conn *grpc.ClientConn
	base string // http://host:port

	customers  erpv1.CustomerServiceClient
	items      erpv1.ItemServiceClient
	warehouses erpv1.WarehouseServiceClient
	stock      erpv1.StockServiceClient
	orders     erpv1.SalesOrderServiceClient
	events     erpv1.EventServiceClient
	shipments  erpv1.ShipmentServiceClient
	ledger     erpv1.LedgerServiceClient
	invoices   erpv1.InvoiceServiceClient
	payments   erpv1.PaymentServiceClient
}

func start(t *testing.T) *env { return startB(t) }

func startB(t testing.TB) *env {
	t.Helper()
	url := pgtest.NewDB(t, "erp", migrate)
	ctx, cancel := context.WithCancel(context.Background())
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: defaultMaxConns(t)})
	if err != nil {
		t.Fatal(err)
	}
	verifier, err := auth.NewVerifier(secret)
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0", ShutdownTimeout: 5 * time.Second, MaxBodyBytes: 1 << 20}
	srv, err := app.NewServer(ctx, cfg, pool, slog.New(slog.DiscardHandler), verifier)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.Close()
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Run: %v", err)
		}
		pool.Close()
	})
	return &env{
		t: t, pool: pool, conn: conn, base: "http://" + srv.HTTPAddr(),
		customers:  erpv1.NewCustomerServiceClient(conn),
		items:      erpv1.NewItemServiceClient(conn),
		warehouses: erpv1.NewWarehouseServiceClient(conn),
		stock:      erpv1.NewStockServiceClient(conn),
		orders:     erpv1.NewSalesOrderServiceClient(conn),
		events:     erpv1.NewEventServiceClient(conn),
		shipments:  erpv1.NewShipmentServiceClient(conn),
		ledger:     erpv1.NewLedgerServiceClient(conn),
		invoices:   erpv1.NewInvoiceServiceClient(conn),
		payments:   erpv1.NewPaymentServiceClient(conn),
	}
}

func token(t testing.TB, roles ...auth.Role) string {
	t.Helper()
	tok, err := auth.Sign(secret, "tester", roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// as returns a context whose gRPC calls carry a token with roles.
func as(t *testing.T, roles ...auth.Role) context.Context { return asB(t, roles...) }

func asB(t testing.TB, roles ...auth.Role) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "authorization", "Bearer "+token(t, roles...))
}

type response struct {
	status int
	body   map[string]any
	header http.Header
}

// call makes a REST call; tok "" sends no Authorization header.
func (e *env) call(method, path, tok, body string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.base+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := response{status: resp.StatusCode, header: resp.Header}
	if len(bytes.TrimSpace(raw)) > 0 {
		if err := json.Unmarshal(raw, &out.body); err != nil {
			e.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return out
}

// must makes a REST call that must answer want.
func (e *env) must(want int, method, path, tok, body string) map[string]any {
	e.t.Helper()
	r := e.call(method, path, tok, body)
	if r.status != want {
		e.t.Fatalf("%s %s = %d %v, want %d", method, path, r.status, r.body, want)
	}
	return r.body
}

// restViolations lists the field violations of a REST error's
// BadRequest detail.
func restViolations(body map[string]any) []map[string]any {
	var out []map[string]any
	details, _ := body["details"].([]any)
	for _, d := range details {
		m, _ := d.(map[string]any)
		vs, _ := m["field_violations"].([]any)
		if vs == nil {
			vs, _ = m["fieldViolations"].([]any)
		}
		for _, v := range vs {
			fv, _ := v.(map[string]any)
			out = append(out, fv)
		}
	}
	return out
}

// restFields lists the fields named by a REST error's BadRequest detail.
func restFields(body map[string]any) []string {
	var out []string
	for _, fv := range restViolations(body) {
		out = append(out, fv["field"].(string))
	}
	return out
}

// grpcFields lists the fields named by a gRPC error's BadRequest detail.
func grpcFields(t *testing.T, err error, want codes.Code) []string {
	t.Helper()
	st := status.Convert(err)
	if st.Code() != want {
		t.Fatalf("error = %v, want %s", err, want)
	}
	var out []string
	for _, d := range st.Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				out = append(out, v.GetField())
			}
		}
	}
	return out
}

func hasAll(got []string, want ...string) bool {
	for _, w := range want {
		if !slices.Contains(got, w) {
			return false
		}
	}
	return true
}

// counts counts the rows of every table a write may touch.
func (e *env) counts() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, tbl := range []string{"customers", "items", "stock_totals", "stock_levels", "stock_moves",
		"sales_orders", "sales_order_lines", "idempotency_keys", "outbox_events", "warehouses",
		"shipments", "shipment_lines", "journal_entries", "journal_lines", "invoices", "invoice_lines",
		"payments", "payment_allocations", "payment_refunds"} {
		var n int
		if err := e.pool.QueryRow(context.Background(), "SELECT count(*) FROM "+tbl).Scan(&n); err != nil {
			e.t.Fatal(err)
		}
		out[tbl] = n
	}
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// defaultMaxConns is the pool size the service runs with unless
// DATABASE_MAX_CONNS says otherwise, so that tests and benchmarks see the
// service as deployed.
func defaultMaxConns(t testing.TB) int32 {
	for _, v := range app.Vars() {
		if v.Name == "DATABASE_MAX_CONNS" {
			n, err := strconv.Atoi(v.Default)
			if err != nil {
				t.Fatalf("DATABASE_MAX_CONNS default %q: %v", v.Default, err)
			}
			return int32(n)
		}
	}
	t.Fatal("the service reads no DATABASE_MAX_CONNS")
	return 0
}

// settle waits until every transaction that began before it has ended on
// the server, so that lists read in commit order (the stock ledger, the
// journal) serve every row written so far on full pages. Test packages
// share a server, and a transaction another package holds open a moment
// keeps the rows after it unsettled and their pages short meanwhile.
func (e *env) settle() {
	e.t.Helper()
	ctx := context.Background()
	var xid string
	if err := e.pool.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
		e.t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var done bool
		if err := e.pool.QueryRow(ctx, `SELECT pg_snapshot_xmin(pg_current_snapshot()) > $1::text::xid8`, xid).Scan(&done); err != nil {
			e.t.Fatal(err)
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("transactions begun before xid %s still running after 30 s", xid)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
