package postgres_test

import (
	"fmt"
	"io/fs"
	"testing"
	"testing/fstest"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
)

// Migration 0035 sets the whole-quantities flag on the products stored
// before it whose unit is a count unit (in any letter case, padded or
// not), so that an upgraded CRM keeps refusing 0.5 ea before the bridge
// sends the flag; their etag changes. Other products take fractions, and
// from then on the bridge's copy decides.
func TestMigrationSetsWholeQuantitiesOfCountedProducts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	pool, err := pg.Connect(ctx, pg.Config{URL: pgtest.CreateDatabase(t, "crm0035"), MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	before := fstest.MapFS{}
	names, err := fs.Glob(migrations.FS, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name < "0035" {
			b, err := fs.ReadFile(migrations.FS, name)
			if err != nil {
				t.Fatal(err)
			}
			before[name] = &fstest.MapFile{Data: b}
		}
	}
	if err := pg.Migrate(ctx, pool, before); err != nil {
		t.Fatal(err)
	}
	units := map[string]bool{"EA-1": true, "BOX-1": true, "PCS-1": true, "KG-1": false, "NONE-1": false, "M-1": false, "EAS-1": false}
	uom := map[string]string{"EA-1": "ea", "BOX-1": " Box ", "PCS-1": "PCS", "KG-1": "kg", "NONE-1": "", "M-1": "m", "EAS-1": "eas"}
	for sku, u := range uom {
		if _, err := pool.Exec(ctx, `INSERT INTO products (sku, name, currency_code, list_price, unit_of_measure, source_version)
VALUES ($1, $1, 'EUR', 1, $2, 1)`, sku, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := pg.Migrate(ctx, pool, migrations.FS); err != nil {
		t.Fatal(err)
	}
	store := postgres.New(pool)
	for sku, want := range units {
		p, err := store.GetProduct(ctx, sku)
		if err != nil {
			t.Fatal(err)
		}
		if p.WholeQuantities != want {
			t.Errorf("%s in %q: whole quantities %v, want %v", sku, uom[sku], p.WholeQuantities, want)
		}
		if wantVersion := map[bool]int64{true: 2, false: 1}[want]; p.Version != wantVersion {
			t.Errorf("%s: version %d, want %d", sku, p.Version, wantVersion)
		}
	}

	// The bridge's copy decides from then on, where it says: an entry
	// without the flag (from an item event written before the ERP
	// published it) keeps the flag the migration set, in a versioned write
	// and in a reset alike, while its other fields apply; one with false
	// clears it.
	ea := func(version int64, whole *bool, reset int64) catalog.Upsert {
		return catalog.Upsert{SKU: "EA-1", Name: fmt.Sprintf("EA-1 v%d", version), ListPrice: eur("1.00"), UnitOfMeasure: "ea",
			WholeQuantities: whole, SourceVersion: version, Reset: reset}
	}
	if _, err := store.UpsertProducts(ctx, []catalog.Upsert{ea(2, nil, 0),
		{SKU: "KG-1", Name: "KG-1", ListPrice: eur("1.00"), UnitOfMeasure: "ea", WholeQuantities: proto.Bool(true), SourceVersion: 2},
		{SKU: "NEW-1", Name: "NEW-1", ListPrice: eur("1.00"), UnitOfMeasure: "ea", SourceVersion: 1}}); err != nil {
		t.Fatal(err)
	}
	for sku, want := range map[string]bool{"EA-1": true, "KG-1": true, "NEW-1": false} {
		if p, _ := store.GetProduct(ctx, sku); p.WholeQuantities != want || p.SourceVersion == 0 {
			t.Errorf("%s after entries with and without the flag: %+v, want whole quantities %v", sku, p, want)
		}
	}
	p, _ := store.GetProduct(ctx, "EA-1")
	if p.Name != "EA-1 v2" {
		t.Errorf("EA-1 after an entry without the flag: %+v, want its other fields applied", p)
	}
	if _, err := store.UpsertProducts(ctx, []catalog.Upsert{ea(1, nil, p.Version)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := store.GetProduct(ctx, "EA-1"); !p.WholeQuantities || p.Name != "EA-1 v1" || p.SourceVersion != 1 {
		t.Errorf("EA-1 after a reset without the flag: %+v, want the flag kept", p)
	}
	if _, err := store.UpsertProducts(ctx, []catalog.Upsert{ea(3, proto.Bool(false), 0)}); err != nil {
		t.Fatal(err)
	}
	p, _ = store.GetProduct(ctx, "EA-1")
	if p.WholeQuantities {
		t.Errorf("EA-1 after the bridge's entry with false: %+v", p)
	}
	if _, err := store.UpsertProducts(ctx, []catalog.Upsert{ea(3, proto.Bool(true), p.Version)}); err != nil {
		t.Fatal(err)
	}
	if p, _ := store.GetProduct(ctx, "EA-1"); !p.WholeQuantities {
		t.Errorf("EA-1 after a reset with true: %+v", p)
	}
}
