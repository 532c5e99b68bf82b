package postgres_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
)

const caseAccount = "0190a000-0000-7000-8000-0000000000c1"

// seedCases inserts n filler cases at caseAccount, whose texts match no
// test query, and the given ones (id, subject, description).
func seedCases(t *testing.T, f fixture, n int, cases ...[3]string) {
	t.Helper()
	f.seedAccount(t, caseAccount)
	if _, err := f.pool.Exec(t.Context(), `INSERT INTO cases (id, subject, description, account_id, priority, status, sla_due_time, version, create_time, update_time)
SELECT gen_random_uuid(), 'Filler ' || i, 'Routine question number ' || i, $1, 'normal', 'new', now(), 1, now(), now()
FROM generate_series(1, $2::int) AS i`, caseAccount, n); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		if _, err := f.pool.Exec(t.Context(), `INSERT INTO cases (id, subject, description, account_id, priority, status, sla_due_time, version, create_time, update_time)
VALUES ($1, $2, $3, $4, 'normal', 'new', now(), 1, now(), now())`, c[0], c[1], c[2], caseAccount); err != nil {
			t.Fatal(err)
		}
	}
}

func explain(t *testing.T, f fixture, sql string, args []any) string {
	t.Helper()
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
	return plan.String()
}

// A text search of cases looks for every word in the subject or the
// description, anywhere, with case (of every letter) ignored; LIKE's
// wildcards in a query are plain characters.
func TestListCasesByText(t *testing.T) {
	f := newFixture(t)
	const (
		jam     = "0190a000-0000-7000-8000-000000000001"
		toner   = "0190a000-0000-7000-8000-000000000002"
		umlaut  = "0190a000-0000-7000-8000-000000000003"
		percent = "0190a000-0000-7000-8000-000000000004"
	)
	seedCases(t, f, 20,
		[3]string{jam, "Printer JAM on floor 3", "Paper stuck in tray two"},
		[3]string{toner, "Toner empty", "The printer in the lobby prints blank pages"},
		[3]string{umlaut, "ÄRGER mit der Lieferung", "Übergabe verspätet"},
		[3]string{percent, "Discount of 100%_off not applied", ""},
	)
	svc := servicecase.NewService(f.store, nil, nil, func() time.Time { return now })
	for _, tc := range []struct {
		text string
		want []string
	}{
		{"printer", []string{jam, toner}},        // subject and description
		{"PRINTER paper", []string{jam}},         // every word
		{"printer  lobby", []string{toner}},      // words in either field
		{"ärger", []string{umlaut}},              // non-ASCII letters fold
		{"übergabe VERSPÄTET", []string{umlaut}}, // in the description too
		{"100%_off", []string{percent}},
		{"0%o", nil}, // % is no wildcard
		{"nothing-like-this", nil},
	} {
		list, _, err := svc.List(t.Context(), servicecase.Query{Equal: map[string]string{}, Text: tc.text, Limit: 50})
		if err != nil {
			t.Fatalf("%q: %v", tc.text, err)
		}
		var got []string
		for _, c := range list {
			got = append(got, c.ID)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q: got %v, want %v", tc.text, got, tc.want)
		}
	}
	// The search combines with the filter.
	list, _, err := svc.List(t.Context(), servicecase.Query{Equal: map[string]string{"status": "closed"}, Text: "printer", Limit: 50})
	if err != nil || len(list) != 0 {
		t.Fatalf("closed cases about printers: %v %v", list, err)
	}
}

// With many cases, the text search reads the trigram index (a bitmap
// scan of cases_search_fold_trgm_idx), never the whole table.
func TestListCasesByTextUsesIndex(t *testing.T) {
	f := newFixture(t)
	seedCases(t, f, 20000, [3]string{"0190a000-0000-7000-8000-000000000001", "Printer jam", ""})
	// VACUUM, as autovacuum does, moves the rows from the index's pending
	// list (which a search reads whole) into the index proper.
	if _, err := f.pool.Exec(t.Context(), `VACUUM ANALYZE cases`); err != nil {
		t.Fatal(err)
	}
	for _, q := range []servicecase.Query{
		{Words: []string{"printer"}, Limit: 50},
		{Words: []string{"Printer", "jam"}, Limit: 50, After: "0190a000-0000-7000-8000-000000000000"},
		// With a filter that leaves most cases.
		{Words: []string{"printer"}, Equal: map[string]string{"status": "new"}, Limit: 50},
	} {
		sql, args, err := postgres.ListCasesSQL(q)
		if err != nil {
			t.Fatal(err)
		}
		p := explain(t, f, sql, args)
		if !strings.Contains(p, "cases_search_fold_trgm_idx") || strings.Contains(p, "Seq Scan on cases") {
			t.Errorf("%s is not served by cases_search_fold_trgm_idx:\n%s", sql, p)
		}
	}
}

// A case's activities are read from (case_id, id), in order, no further
// than a page.
func TestListActivitiesByCaseUsesIndex(t *testing.T) {
	f := newFixture(t)
	const kase = "0190a000-0000-7000-8000-000000000001"
	seedCases(t, f, 100, [3]string{kase, "Printer jam", ""})
	if _, err := f.pool.Exec(t.Context(), `INSERT INTO activities (id, type, subject, description, account_id, case_id, owner, activity_time, done, version, create_time, update_time)
SELECT gen_random_uuid(), 'note', 'Note ' || i, '', $1, CASE WHEN i % 1000 = 0 THEN $2::uuid END, 'ana', now(), false, 1, now(), now()
FROM generate_series(1, 20000) AS i`, caseAccount, kase); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(t.Context(), `ANALYZE activities`); err != nil {
		t.Fatal(err)
	}
	for _, after := range []string{"", "0190a000-0000-7000-8000-000000000000"} {
		sql, args, err := postgres.ListActivitiesSQL(activity.Query{Equal: map[string]string{"case_id": kase}, After: after, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		p := explain(t, f, sql, args)
		if !strings.Contains(p, "Index Scan using activities_case_id_idx") || strings.Contains(p, "Seq Scan") || strings.Contains(p, "Sort") {
			t.Errorf("%s is not served by activities_case_id_idx in order:\n%s", sql, p)
		}
	}
}
