package postgres_test

import (
	"strings"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/postgres"
)

// The list filter on external_id reads the unique index: among many
// contacts, with statistics, the plan of the query ListContacts sends is
// a lookup of that index, never a scan of the table or of the ids.
func TestListContactsByExternalIDUsesIndex(t *testing.T) {
	f := newFixture(t)
	if _, err := f.pool.Exec(t.Context(), `INSERT INTO contacts (id, name, email, email_key, owner, version, create_time, update_time, external_id)
SELECT gen_random_uuid(), 'P' || i, '', '', 'ana', 1, now(), now(), CASE WHEN i % 2 = 0 THEN 'P-' || i END
FROM generate_series(1, 20000) AS i`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(t.Context(), `ANALYZE contacts`); err != nil {
		t.Fatal(err)
	}
	sql, args, err := postgres.ListContactsSQL(map[string]string{"external_id": "P-1000"}, 50)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.pool.Query(t.Context(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var plan strings.Builder
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := plan.String(); !strings.Contains(p, "Index Scan using contacts_external_id_key") || strings.Contains(p, "Seq Scan") {
		t.Errorf("%s is not served by contacts_external_id_key:\n%s", sql, p)
	}
}
