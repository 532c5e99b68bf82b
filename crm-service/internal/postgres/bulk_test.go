package postgres_test

import (
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/postgres"
)

// The benchmark generator at a small size: consistent data the store
// reads back (amounts = sum of the lines, every stage, several currencies
// and owners, searchable names and emails, converted leads).
func TestBulkLoad(t *testing.T) {
	f := newFixture(t)
	spec := postgres.BulkSpec{Accounts: 7, Contacts: 30, Leads: 50, Opportunities: 300, LinesPerOpportunity: 3, Products: 5, Owners: 4, Seed: 42, Now: time.Now()}
	seen := map[string]int64{}
	if err := f.store.BulkLoad(t.Context(), spec, func(table string, n int64) { seen[table] = n }); err != nil {
		t.Fatal(err)
	}
	if seen["products"] != 5 || seen["accounts"] != 7 || seen["contacts"] != 30 || seen["leads"] != 50 || seen["opportunities"] != 300 ||
		seen["opportunity_lines"] < 300 || seen["opportunity_lines"] > 1500 {
		t.Fatalf("copied %v", seen)
	}
	if n := f.count(t, `SELECT count(*) FROM opportunity_lines`); int64(n) != seen["opportunity_lines"] {
		t.Fatalf("%d lines, %d reported", n, seen["opportunity_lines"])
	}
	for _, c := range []struct {
		sql  string
		want int
	}{
		{`SELECT count(DISTINCT currency_code) FROM opportunities`, 4},
		{`SELECT count(DISTINCT owner) FROM opportunities`, 4},
		{`SELECT count(*) FROM accounts WHERE name_key <> lower(name) OR website_domain = ''`, 0},
		{`SELECT count(*) FROM contacts WHERE email_key <> lower(email) OR email_key NOT LIKE '%@%.example' OR account_id IS NULL`, 0},
		{`SELECT count(*) FROM leads WHERE (status = 'converted') <> (converted_opportunity_id IS NOT NULL)`, 0},
		{`SELECT count(*) FROM opportunities WHERE expected_close_date NOT BETWEEN current_date - 740 AND current_date + 200`, 0},
	} {
		if n := f.count(t, c.sql); n != c.want {
			t.Errorf("%s: %d, want %d", c.sql, n, c.want)
		}
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
	if err != nil || more || len(list) != 300 || len(list[299].Lines) == 0 || list[299].Lines[0].ProductName == "" {
		t.Fatalf("list: %d %v %v", len(list), more, err)
	}
	// A second run with the same seed regenerates the same lines, so the
	// SKUs collide: the generator adds to a database, it does not merge.
	if err := f.store.BulkLoad(t.Context(), spec, nil); err == nil {
		t.Fatal("second load with the same SKUs succeeded")
	}
}
