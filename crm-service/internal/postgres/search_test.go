package postgres_test

import (
	"cmp"
	"slices"
	"strings"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/crm-service/internal/search"
)

// seedSearch inserts named records: accounts by name, contacts and leads
// by name and email.
func seedSearch(t *testing.T, f fixture) {
	t.Helper()
	_, err := f.pool.Exec(t.Context(), `
INSERT INTO accounts (id, name, version, create_time, update_time) VALUES
  (gen_random_uuid(), 'Acme', 1, now(), now()),
  (gen_random_uuid(), 'Acme Tools', 1, now(), now()),
  (gen_random_uuid(), 'ACMEO', 1, now(), now()),
  (gen_random_uuid(), 'Beta Acme', 1, now(), now()),
  (gen_random_uuid(), 'Zeta ÖLWERK', 1, now(), now()),
  (gen_random_uuid(), 'Ärzteverbund', 1, now(), now());
INSERT INTO contacts (id, name, email, email_key, version, create_time, update_time) VALUES
  (gen_random_uuid(), 'acme', '', '', 1, now(), now()),
  (gen_random_uuid(), 'Ana', 'ACME.buyer@x.example', 'acme.buyer@x.example', 1, now(), now()),
  (gen_random_uuid(), 'Acmeline', 'acmeline@x.example', 'acmeline@x.example', 1, now(), now()),
  (gen_random_uuid(), 'Bo', 'bo@acme.example', 'bo@acme.example', 1, now(), now()),
  (gen_random_uuid(), 'ÉLODIE Ärger', 'elodie@x.example', 'elodie@x.example', 1, now(), now());
INSERT INTO leads (id, name, email, email_key, status, version, create_time, update_time) VALUES
  (gen_random_uuid(), 'Acme Lead', 'z@y.example', 'z@y.example', 'new', 1, now(), now()),
  (gen_random_uuid(), 'Zed', 'acme@zed.example', 'acme@zed.example', 'new', 1, now(), now()),
  (gen_random_uuid(), 'Aaron', 'Acme@zzz.example', 'acme@zzz.example', 'new', 1, now(), now()),
  (gen_random_uuid(), 'Acmé', '', '', 'new', 1, now(), now()),
  (gen_random_uuid(), 'ΣΟΦΙΑ Öko', 'sofia@x.example', 'sofia@x.example', 'new', 1, now(), now());
`)
	if err != nil {
		t.Fatal(err)
	}
}

type row struct {
	rank             int
	sort, typ, id    string
	name, email      string
	nameHit, mailHit bool
}

// expected computes the ranking of prefix over every seeded row in Go,
// independently of the SQL. The email matches (Ana, Zed and Aaron for
// "acme") rank by email, which is not their names' order.
func expected(t *testing.T, f fixture, prefix string, types []string) []search.Key {
	t.Helper()
	var all []row
	for _, typ := range types {
		email := "email"
		if typ == search.Accounts {
			email = "''"
		}
		rows, err := f.pool.Query(t.Context(), `SELECT id::text, name, `+email+` FROM `+typ)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			r := row{typ: typ}
			if err := rows.Scan(&r.id, &r.name, &r.email); err != nil {
				t.Fatal(err)
			}
			r.sort = strings.ToLower(r.name)
			r.nameHit = strings.HasPrefix(r.sort, prefix)
			r.mailHit = strings.HasPrefix(strings.ToLower(r.email), prefix)
			switch {
			case r.sort == prefix:
				r.rank = search.RankExactName
			case r.nameHit:
				r.rank = search.RankNamePrefix
			case r.mailHit:
				r.rank = search.RankEmail
				r.sort = strings.ToLower(r.email)
			default:
				continue
			}
			all = append(all, r)
		}
		rows.Close()
	}
	slices.SortFunc(all, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), strings.Compare(a.sort, b.sort), strings.Compare(a.typ, b.typ), strings.Compare(a.id, b.id))
	})
	keys := make([]search.Key, len(all))
	for i, r := range all {
		keys[i] = search.Key{Rank: r.rank, Sort: r.sort, Type: r.typ, ID: r.id}
	}
	return keys
}

func TestSearchRanksAndPages(t *testing.T) {
	f := newFixture(t)
	seedSearch(t, f)
	svc := search.NewService(f.store)
	for _, tc := range []struct {
		query, types string
		want         int
	}{
		{"acme", "", 9},
		{"  ACME ", "accounts", 3},
		{"acme", "contacts,leads", 6},
		{"acmé", "", 1},
		{"bo@", "", 1},
		// Upper-case letters beyond A-Z fold like A-Z, in names and query.
		{"Zeta ÖLWERK", "", 1},
		{"zeta ö", "accounts", 1},
		{"Ärz", "", 1},
		{"äRZTE", "", 1},
		{"élodie ä", "contacts", 1},
		{"σοφ", "", 1},
		{"nothing", "", 0},
	} {
		q, err := search.Parse(search.Request{Query: tc.query, Types: tc.types})
		if err != nil {
			t.Fatal(err)
		}
		want := expected(t, f, q.Prefix, q.Types)
		if len(want) != tc.want {
			t.Fatalf("%q %q: expected %d hits, the seed gives %d: %v", tc.query, tc.types, tc.want, len(want), want)
		}
		for _, size := range []int32{1, 2, 3, 1000} {
			var got []search.Key
			token := ""
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatal("pagination does not end")
				}
				hits, next, err := svc.Search(t.Context(), search.Request{Query: tc.query, Types: tc.types, PageSize: size, PageToken: token})
				if err != nil {
					t.Fatal(err)
				}
				if len(hits) > int(size) {
					t.Fatalf("page of %d for size %d", len(hits), size)
				}
				for _, h := range hits {
					got = append(got, h.Key)
					wantField := "name"
					if h.Rank == search.RankEmail {
						wantField = "email"
					}
					if h.MatchedField() != wantField || h.DisplayName == "" {
						t.Fatalf("hit %+v", h)
					}
				}
				if next == "" {
					break
				}
				token = next
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%q %q size %d:\n got %v\nwant %v", tc.query, tc.types, size, got, want)
			}
		}
	}
	// A token is bound to its query.
	_, next, err := svc.Search(t.Context(), search.Request{Query: "acme", PageSize: 1})
	if err != nil || next == "" {
		t.Fatal(next, err)
	}
	if _, _, err := svc.Search(t.Context(), search.Request{Query: "acm", PageSize: 1, PageToken: next}); err == nil {
		t.Fatal("token accepted for another query")
	}
}

// TestSearchUsesIndexes: with enough rows for a sequential scan to cost
// more, every branch of the search is a range scan of the search indexes,
// read in ranking order (the fillers' emails all match "acme", their names
// do not).
func TestSearchUsesIndexes(t *testing.T) {
	f := newFixture(t)
	seedSearch(t, f)
	_, err := f.pool.Exec(t.Context(), `
INSERT INTO accounts (id, name, version, create_time, update_time)
  SELECT gen_random_uuid(), 'Filler ' || g, 1, now(), now() FROM generate_series(1, 5000) g;
INSERT INTO contacts (id, name, email, email_key, version, create_time, update_time)
  SELECT gen_random_uuid(), 'Person ' || g, 'acme.p' || g || '@x.example', 'acme.p' || g || '@x.example', 1, now(), now() FROM generate_series(1, 5000) g;
INSERT INTO leads (id, name, email, email_key, status, version, create_time, update_time)
  SELECT gen_random_uuid(), 'Prospect ' || g, 'acme.l' || g || '@x.example', 'acme.l' || g || '@x.example', 'new', 1, now(), now() FROM generate_series(1, 5000) g;
ANALYZE accounts; ANALYZE contacts; ANALYZE leads;`)
	if err != nil {
		t.Fatal(err)
	}
	explain := func(sql string, args []any) string {
		t.Helper()
		rows, err := f.pool.Query(t.Context(), "EXPLAIN "+sql, args...)
		if err != nil {
			t.Fatal(err)
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
		p := plan.String()
		if strings.Contains(p, "Seq Scan") {
			t.Errorf("search scans a table:\n%s", p)
		}
		return p
	}
	zero := "00000000-0000-0000-0000-000000000000"
	for _, after := range []*search.Key{nil, {Rank: 1, Sort: "acme", Type: "accounts", ID: zero}, {Rank: 1, Sort: "acme", Type: "contacts", ID: zero}} {
		q := search.Query{Text: "Acme", Prefix: "acme", Types: search.AllTypes, After: after, Limit: 50}
		sql, args, ok := postgres.SearchNamesSQL(q, 51)
		if !ok {
			t.Fatal("no name query")
		}
		// Name matches come in index order: each table's branch stops
		// after a page, nothing sorts a whole table's matches.
		p := explain(sql, args)
		for _, idx := range []string{"accounts_search_name_fold_idx", "contacts_search_name_fold_idx", "leads_search_name_fold_idx"} {
			if !strings.Contains(p, "Index Scan using "+idx) {
				t.Errorf("plan does not read %s in order:\n%s", idx, p)
			}
		}
		if n := strings.Count(p, "Sort Key"); n != 1 {
			t.Errorf("%d sorts, want only the merge of the branches:\n%s", n, p)
		}
	}
	// Email matches come in index order too.
	for _, after := range []*search.Key{nil, {Rank: 2, Sort: "acme.l2", Type: "contacts", ID: zero}, {Rank: 2, Sort: "acme.l2", Type: "leads", ID: zero}} {
		q := search.Query{Text: "Acme", Prefix: "acme", Types: search.AllTypes, After: after, Limit: 50}
		sql, args := postgres.SearchEmailsSQL(q, 51)
		p := explain(sql, args)
		for _, idx := range []string{"contacts_search_email_name_idx", "leads_search_email_name_idx"} {
			if !strings.Contains(p, "Index Scan using "+idx) && !strings.Contains(p, "Index Only Scan using "+idx) {
				t.Errorf("plan does not read %s:\n%s", idx, p)
			}
		}
		// Only equal emails are sorted further (by id: an incremental
		// sort); the one full sort merges the branches' pages.
		if n := strings.Count(p, "->  Sort  ("); n != 1 {
			t.Errorf("%d sorts, want only the merge of the branches:\n%s", n, p)
		}
		if n := strings.Count(p, "Limit"); n != 3 {
			t.Errorf("%d limits, want one per table (stopping its scan after a page) and the page's:\n%s", n, p)
		}
	}
}
