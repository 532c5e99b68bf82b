package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
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
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/crm-service/internal/app"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
	"github.com/seamhq/seam/platform/server"
	"github.com/seamhq/seam/platform/telemetry"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const secret = "test-secret-for-crm-api-tests"

// env is a running CRM server on a fresh database, with clients.
type env struct {
	t    testing.TB
	db   *pgxpool.Pool    // direct access, to count rows
	base string           // REST base URL
	conn *grpc.ClientConn // for calls without a typed client

	accounts      crmv1.AccountServiceClient
	contacts      crmv1.ContactServiceClient
	leads         crmv1.LeadServiceClient
	activities    crmv1.ActivityServiceClient
	cases         crmv1.CaseServiceClient
	overviews     crmv1.AccountOverviewServiceClient
	search        crmv1.SearchServiceClient
	audit         crmv1.AuditServiceClient
	campaigns     crmv1.CampaignServiceClient
	reports       crmv1.ReportServiceClient
	opportunities crmv1.OpportunityServiceClient
	products      crmv1.ProductServiceClient
	sync          crmv1.SyncServiceClient
	events        crmv1.EventServiceClient
	imports       crmv1.ImportServiceClient
}

func migrateDB(ctx context.Context, url string) error {
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	return pg.Migrate(ctx, pool, migrations.FS)
}

func newEnv(t *testing.T) *env {
	t.Helper()
	t.Parallel()
	return startEnv(t)
}

func newBenchEnv(b *testing.B) *env {
	b.Helper()
	return startEnv(b)
}

func startEnv(t testing.TB, options ...func(*app.Config)) *env {
	t.Helper()
	url := pgtest.NewDB(t, "crm", migrateDB)
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{
		Server: server.Config{
			GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
			ShutdownTimeout: 2 * time.Second, MaxBodyBytes: 1 << 20, RateBurst: 1,
		},
		Telemetry: telemetry.Config{LogLevel: "error"},
		Auth:      boot.AuthConfig{Secret: secret},
		Database:  app.Database{URL: url, MaxConns: 4},
	}
	for _, o := range options {
		o(&cfg)
	}
	started := make(chan *server.Server, 1)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, io.Discard, func(s *server.Server) { started <- s }) }()
	var srv *server.Server
	select {
	case srv = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("server: %v", err)
		}
	})
	conn, err := grpc.NewClient(srv.GRPCAddr(), grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	db, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return &env{
		t: t, db: db, base: "http://" + srv.HTTPAddr(), conn: conn,
		accounts:      crmv1.NewAccountServiceClient(conn),
		contacts:      crmv1.NewContactServiceClient(conn),
		leads:         crmv1.NewLeadServiceClient(conn),
		activities:    crmv1.NewActivityServiceClient(conn),
		cases:         crmv1.NewCaseServiceClient(conn),
		overviews:     crmv1.NewAccountOverviewServiceClient(conn),
		search:        crmv1.NewSearchServiceClient(conn),
		audit:         crmv1.NewAuditServiceClient(conn),
		campaigns:     crmv1.NewCampaignServiceClient(conn),
		reports:       crmv1.NewReportServiceClient(conn),
		opportunities: crmv1.NewOpportunityServiceClient(conn),
		products:      crmv1.NewProductServiceClient(conn),
		sync:          crmv1.NewSyncServiceClient(conn),
		events:        crmv1.NewEventServiceClient(conn),
		imports:       crmv1.NewImportServiceClient(conn),
	}
}

func token(t testing.TB, roles ...auth.Role) string {
	t.Helper()
	return tokenOf(t, "tester", roles...)
}

func tokenOf(t testing.TB, subject string, roles ...auth.Role) string {
	t.Helper()
	tok, err := auth.Sign([]byte(secret), subject, roles, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// as returns a context whose calls carry a token with roles.
func (e *env) as(roles ...auth.Role) context.Context {
	return metadata.AppendToOutgoingContext(e.t.Context(), "authorization", "Bearer "+token(e.t, roles...))
}

// asSubject is as for another caller than the tests' usual one.
func (e *env) asSubject(subject string, roles ...auth.Role) context.Context {
	return metadata.AppendToOutgoingContext(e.t.Context(), "authorization", "Bearer "+tokenOf(e.t, subject, roles...))
}

func (e *env) sales() context.Context   { return e.as(auth.Sales) }
func (e *env) service() context.Context { return e.as(auth.Service) }
func (e *env) bridge() context.Context  { return e.as(auth.Integration) }

// count returns the result of a counting query.
func (e *env) count(sql string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.QueryRow(e.t.Context(), sql, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// rows counts what a write may change, to prove that a failed call wrote
// nothing.
type rows struct{ accounts, contacts, leads, activities, cases, opportunities, lines, events, keys int }

func (e *env) rows() rows {
	e.t.Helper()
	return rows{
		accounts:      e.count(`SELECT count(*) FROM accounts`),
		contacts:      e.count(`SELECT count(*) FROM contacts`),
		leads:         e.count(`SELECT count(*) FROM leads`),
		activities:    e.count(`SELECT count(*) FROM activities`),
		cases:         e.count(`SELECT count(*) FROM cases`),
		opportunities: e.count(`SELECT count(*) FROM opportunities`),
		lines:         e.count(`SELECT count(*) FROM opportunity_lines`),
		events:        e.count(`SELECT count(*) FROM outbox_events`),
		keys:          e.count(`SELECT count(*) FROM idempotency_keys`),
	}
}

func (e *env) eventsOfType(typ string) int {
	return e.count(`SELECT count(*) FROM outbox_events WHERE type = $1`, typ)
}

// feed reads the whole event feed through ListEvents once it serves at
// least n events. The feed serves an event once every transaction older
// than its own has ended, on the whole server, so parallel tests in other
// databases can delay it briefly.
func (e *env) feed(n int) []*crmv1.Event {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		var all []*crmv1.Event
		after := ""
		for {
			resp, err := e.events.ListEvents(e.bridge(), &crmv1.ListEventsRequest{After: after, PageSize: 1000})
			if err != nil {
				e.t.Fatal(err)
			}
			all = append(all, resp.Events...)
			if len(resp.Events) == 0 {
				break
			}
			after = resp.NextCursor
		}
		if len(all) >= n {
			return all
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("feed serves %d events, want %d", len(all), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func eur(amount string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: "EUR", Amount: amount} }

// seedProducts puts products in the catalog through the sync API.
func (e *env) seedProducts(ups ...*crmv1.ProductUpsert) {
	e.t.Helper()
	if _, err := e.sync.UpsertProducts(e.bridge(), &crmv1.UpsertProductsRequest{Products: ups}); err != nil {
		e.t.Fatalf("seed products: %v", err)
	}
}

// product is an entry of an item counted in pieces, which takes whole
// quantities only as the ERP says (whole_quantities).
func product(sku, name, price string) *crmv1.ProductUpsert {
	return &crmv1.ProductUpsert{Sku: sku, Name: name, ListPrice: eur(price), UnitOfMeasure: "pcs", WholeQuantities: proto.Bool(true), SourceVersion: 1}
}

func (e *env) createAccount(name string) *crmv1.Account {
	e.t.Helper()
	a, err := e.accounts.CreateAccount(e.sales(), &crmv1.CreateAccountRequest{Account: &crmv1.Account{Name: name, Owner: "alice"}})
	if err != nil {
		e.t.Fatalf("create account: %v", err)
	}
	return a
}

func line(sku, qty string) *crmv1.OpportunityLine {
	return &crmv1.OpportunityLine{Sku: sku, Quantity: qty}
}

func (e *env) createOpportunity(accountID string, lines ...*crmv1.OpportunityLine) *crmv1.Opportunity {
	e.t.Helper()
	o, err := e.opportunities.CreateOpportunity(e.sales(), &crmv1.CreateOpportunityRequest{Opportunity: &crmv1.Opportunity{
		AccountId: accountID, Name: "Deal", CurrencyCode: "EUR", Owner: "alice", Lines: lines,
	}})
	if err != nil {
		e.t.Fatalf("create opportunity: %v", err)
	}
	return o
}

// wantCode fails unless err is a gRPC status with code.
func wantCode(t testing.TB, err error, code codes.Code) {
	t.Helper()
	if got := status.Code(err); got != code {
		t.Fatalf("got %v (%v), want %v", got, err, code)
	}
}

// violations returns the field paths of an INVALID_ARGUMENT's BadRequest.
func violations(t testing.TB, err error) []string {
	t.Helper()
	wantCode(t, err, codes.InvalidArgument)
	var fields []string
	for _, d := range status.Convert(err).Details() {
		if br, ok := d.(*errdetails.BadRequest); ok {
			for _, v := range br.GetFieldViolations() {
				fields = append(fields, v.GetField())
			}
		}
	}
	return fields
}

// call makes a REST call and returns the status code and the decoded body.
func (e *env) call(method, path, tok string, body any) (int, map[string]any) {
	e.t.Helper()
	status, _, out := e.callWith(method, path, tok, body, nil)
	return status, out
}

// callWith is call with extra request headers, returning the response's.
func (e *env) callWith(method, path, tok string, body any, header http.Header) (int, http.Header, map[string]any) {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.base+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	out := map[string]any{}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			e.t.Fatalf("%s %s: body %q is not JSON: %v", method, path, raw, err)
		}
	}
	return resp.StatusCode, resp.Header, out
}

// restViolations returns the field paths in a REST error body.
func restViolations(body map[string]any) []string {
	var fields []string
	details, _ := body["details"].([]any)
	for _, d := range details {
		dm, _ := d.(map[string]any)
		fvs, _ := dm["field_violations"].([]any)
		if fvs == nil {
			fvs, _ = dm["fieldViolations"].([]any)
		}
		for _, fv := range fvs {
			if m, ok := fv.(map[string]any); ok {
				fields = append(fields, m["field"].(string))
			}
		}
	}
	return fields
}
