package postgres_test

import (
	"testing"

	"github.com/seamhq/seam/crm-service/internal/postgres"
)

// Every list filter of leads, campaigns and cases (their own columns) is
// served by an index that starts with the column (or expression) it
// compares, so a filtered page reads only the rows it returns.
func TestListFiltersHaveIndexes(t *testing.T) {
	f := newFixture(t)
	for table, cols := range postgres.FilterColumns {
		for field, col := range cols {
			n := f.count(t, `SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
WHERE c.relname = $1 AND i.indpred IS NULL AND pg_get_indexdef(i.indexrelid, 1, true) = $2`, table, col)
			if n == 0 {
				t.Errorf("%s filter %s: no index on %s", table, field, col)
			}
		}
	}
}
