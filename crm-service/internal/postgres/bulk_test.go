package postgres_test

import (
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/postgres"
)

// The benchmark generator at a small size: consistent data the store
// reads back (amounts = sum of the lines, every stage present).
func TestBulkLoad(t *testing.T) {
	f := newFixture(t)
	spec := postgres.BulkSpec{Accounts: 7, Opportunities: 60, LinesPerOpportunity: 3, Products: 5, Seed: 42, Now: time.Now()}
	seen := map[string]int64{}
	if err := f.store.BulkLoad(t.Context(), spec, func(table string, n int64) { seen[table] = n }); err != nil {
		t.Fatal(err)
	}
	if seen["products"] != 5 || seen["accounts"] != 7 || seen["opportunities"] != 60 || seen["opportunity_lines"] != 180 {
		t.Fatalf("copied %v", seen)
	}
	if n := f.count(t, `SELECT count(*) FROM opportunities o WHERE amount <> (SELECT sum(amount) FROM opportunity_lines l WHERE l.opportunity_id = o.id)`); n != 0 {
		t.Fatalf("%d opportunities whose amount is not the sum of their lines", n)
	}
	if n := f.count(t, `SELECT count(DISTINCT stage) FROM opportunities`); n != 6 {
		t.Fatalf("%d stages", n)
	}
	if n := f.count(t, `SELECT count(*) FROM opportunities WHERE (stage IN ('closed_won', 'closed_lost')) <> (close_time IS NOT NULL)`); n != 0 {
		t.Fatalf("%d opportunities with a wrong close time", n)
	}
	list, more, err := f.store.ListOpportunities(t.Context(), pipeline.Query{Limit: 1000})
	if err != nil || more || len(list) != 60 || len(list[59].Lines) != 3 || list[59].Lines[0].ProductName == "" {
		t.Fatalf("list: %d %v %v", len(list), more, err)
	}
	// A second run with the same seed regenerates the same lines, so the
	// SKUs collide: the generator adds to a database, it does not merge.
	if err := f.store.BulkLoad(t.Context(), spec, nil); err == nil {
		t.Fatal("second load with the same SKUs succeeded")
	}
}
