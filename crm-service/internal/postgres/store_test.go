package postgres_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	pgxdecimal "github.com/jackc/pgx-shopspring-decimal"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/money"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func migrateDB(ctx context.Context, url string) error {
	pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		return err
	}
	defer pool.Close()
	return pg.Migrate(ctx, pool, migrations.FS)
}

type fixture struct {
	store  *postgres.Store
	pool   *pgxpool.Pool
	trips  *pgtest.RoundTrips
	tracer *tracer
}

// tracer counts round trips (pgtest.RoundTrips) and the statements that
// failed with deadlock_detected: pg.InTx runs such a transaction again,
// so a deadlock never reaches the caller, and tests count them here.
type tracer struct {
	*pgtest.RoundTrips
	deadlocks atomic.Int64
}

func (tr *tracer) see(err error) {
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok && pgErr.Code == "40P01" {
		tr.deadlocks.Add(1)
	}
}

// TraceQueryEnd implements pgx.QueryTracer.
func (tr *tracer) TraceQueryEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceQueryEndData) {
	tr.see(d.Err)
}

// TraceBatchQuery implements pgx.BatchTracer.
func (tr *tracer) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	tr.see(d.Err)
}

// TraceBatchEnd implements pgx.BatchTracer.
func (tr *tracer) TraceBatchEnd(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchEndData) {
	tr.see(d.Err)
}

// newFixture returns a store on a fresh migrated database. Its pool is
// built like pg.Connect's (decimal codec) plus a round-trip counter.
func newFixture(t *testing.T) fixture {
	t.Helper()
	t.Parallel()
	return openFixture(t)
}

// newFixtureB is newFixture for benchmarks.
func newFixtureB(b *testing.B) fixture {
	b.Helper()
	return openFixture(b)
}

func openFixture(t testing.TB) fixture {
	t.Helper()
	url := pgtest.NewDB(t, "crm", migrateDB)
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	trips := &pgtest.RoundTrips{}
	tr := &tracer{RoundTrips: trips}
	cfg.ConnConfig.Tracer = tr
	cfg.MaxConns = 4
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		m := conn.TypeMap()
		pgxdecimal.Register(m)
		numeric, _ := m.TypeForOID(pgtype.NumericOID)
		m.RegisterType(&pgtype.Type{Name: "_numeric", OID: pgtype.NumericArrayOID, Codec: &pgtype.ArrayCodec{ElementType: numeric}})
		return nil
	}
	pool, err := pgxpool.NewWithConfig(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return fixture{store: postgres.New(pool), pool: pool, trips: trips, tracer: tr}
}

func (f fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.pool.QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

var now = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func eur(s string) money.Money {
	return money.Money{Currency: "EUR", Amount: decimal.RequireFromString(s)}
}

func newAccount(id, name string) account.Account {
	return account.Account{ID: id, Name: name, PaymentStatus: account.PaymentUnspecified, Version: 1, CreateTime: now, UpdateTime: now}
}

func event(typ, key string) account.Event {
	return account.Event{Type: typ, Key: key, Payload: []byte(`{"id":"` + key + `"}`)}
}

func (f fixture) seedAccount(t *testing.T, id string) {
	t.Helper()
	if _, err := f.store.CreateAccount(t.Context(), "", account.MethodCreate, newAccount(id, "Acme"), event(account.EventCreated, id), false); err != nil {
		t.Fatal(err)
	}
}

func (f fixture) seedProducts(t *testing.T, skus ...string) {
	t.Helper()
	var ups []catalog.Upsert
	for _, s := range skus {
		ups = append(ups, catalog.Upsert{SKU: s, Name: "Product " + s, ListPrice: eur("10.00"), SourceVersion: 1})
	}
	if _, err := f.store.UpsertProducts(t.Context(), ups); err != nil {
		t.Fatal(err)
	}
}

// newOpportunity creates an opportunity with one line per SKU.
func (f fixture) newOpportunity(t *testing.T, id, accountID string, skus ...string) pipeline.Opportunity {
	t.Helper()
	o := pipeline.Opportunity{
		ID: id, AccountID: accountID, Name: "Deal", Stage: pipeline.StageProspecting, Probability: 10, Currency: "EUR",
		Amount: eur("0"), PaymentStatus: account.PaymentUnspecified, Version: 1, CreateTime: now, UpdateTime: now,
	}
	for _, s := range skus {
		l := pipeline.Line{SKU: s, Quantity: decimal.NewFromInt(2), UnitPrice: eur("10.00"), DiscountPercent: decimal.Zero, Amount: eur("20.00")}
		o.Lines = append(o.Lines, l)
		o.Amount.Amount = o.Amount.Amount.Add(l.Amount.Amount)
	}
	got, err := f.store.CreateOpportunity(t.Context(), pipeline.Mutation{SKUs: skus}, accountID, func(refs pipeline.Refs) (pipeline.Opportunity, pipeline.Event, error) {
		if !refs.AccountExists || len(refs.Products) != len(skus) {
			t.Errorf("refs %+v", refs)
		}
		return o, pipeline.Event{Type: pipeline.EventCreated, Key: id, Payload: []byte(`{}`)}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}
