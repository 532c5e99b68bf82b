package postgres_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/postgres"
	"github.com/seamhq/seam/platform/listing"
)

// sortPlanRows is how many rows of each table the order plan test lists:
// enough that reading a whole table, or sorting it, costs far more than a
// page read from an index in order.
const sortPlanRows = 20000

// seedSortPlanRows fills accounts, opportunities, leads, contacts and
// campaigns with sortPlanRows rows each, of 10 owners and a rare one (one
// row in 200), with repeated names, times and amounts, every seventh
// opportunity (campaign) without a close (start) date, and analyzes
// them. The triggers of opportunities and leads (report totals, stage
// history) are off while they are seeded.
func seedSortPlanRows(t *testing.T, f fixture) {
	t.Helper()
	for _, sql := range []string{
		`ALTER TABLE opportunities DISABLE TRIGGER USER`,
		`ALTER TABLE leads DISABLE TRIGGER USER`,
		`INSERT INTO accounts (id, name, owner, version, create_time, update_time)
SELECT gen_random_uuid(), 'Account ' || (i % 5000), CASE WHEN i % 200 = 1 THEN 'rare' ELSE 'owner' || (i % 10) END, 1,
  timestamptz '2030-01-01' + (i / 3) * interval '1 second', timestamptz '2030-02-01' - (i / 2) * interval '1 second'
FROM generate_series(1, $1::int) AS i`,
		`INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code, expected_close_date, owner, amount,
  version, create_time, update_time)
SELECT gen_random_uuid(), (SELECT id FROM accounts ORDER BY id LIMIT 1), 'Deal ' || (i % 3000),
  (ARRAY['prospecting','qualification','proposal','negotiation','closed_won','closed_lost'])[1 + i % 6], 10,
  (ARRAY['EUR','USD','GBP'])[1 + i % 3], CASE WHEN i % 7 <> 0 THEN date '2030-01-01' + i % 400 END,
  CASE WHEN i % 200 = 1 THEN 'rare' ELSE 'owner' || (i % 10) END, (i % 1000) * 10, 1,
  timestamptz '2030-01-01' + (i / 3) * interval '1 second', timestamptz '2030-02-01' - (i / 2) * interval '1 second'
FROM generate_series(1, $1::int) AS i`,
		`INSERT INTO leads (id, name, company, status, owner, version, create_time, update_time)
SELECT gen_random_uuid(), 'Lead ' || (i % 5000), 'Company ' || (i % 700), 'new', CASE WHEN i % 200 = 1 THEN 'rare' ELSE 'owner' || (i % 10) END, 1,
  timestamptz '2030-01-01' + (i / 3) * interval '1 second', timestamptz '2030-02-01' - (i / 2) * interval '1 second'
FROM generate_series(1, $1::int) AS i`,
		`INSERT INTO contacts (id, name, owner, version, create_time, update_time)
SELECT gen_random_uuid(), 'Contact ' || (i % 5000), CASE WHEN i % 200 = 1 THEN 'rare' ELSE 'owner' || (i % 10) END, 1,
  timestamptz '2030-01-01' + (i / 3) * interval '1 second', timestamptz '2030-02-01' - (i / 2) * interval '1 second'
FROM generate_series(1, $1::int) AS i`,
		`INSERT INTO campaigns (id, name, start_date, status, owner, version, create_time, update_time)
SELECT gen_random_uuid(), 'Campaign ' || (i % 5000), CASE WHEN i % 7 <> 0 THEN date '2030-01-01' + i % 400 END, 'planned',
  CASE WHEN i % 200 = 1 THEN 'rare' ELSE 'owner' || (i % 10) END, 1,
  timestamptz '2030-01-01' + (i / 3) * interval '1 second', timestamptz '2030-02-01' - (i / 2) * interval '1 second'
FROM generate_series(1, $1::int) AS i`,
		`ALTER TABLE opportunities ENABLE TRIGGER USER`,
		`ALTER TABLE leads ENABLE TRIGGER USER`,
		`ANALYZE accounts, opportunities, leads, contacts, campaigns`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = []any{sortPlanRows}
		}
		if _, err := f.pool.Exec(t.Context(), sql, args...); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
}

// A sorted list, with or without the owner filter (and amount's currency
// filter), on the first page and after a token, reads its page from an
// index on its order (0036; 0038 for the orders of names and companies,
// in lower case; 0039 for contacts and campaigns) in order, its own or, for accounts and leads, the
// owner's: no sequential scan, no sort. Only a rare owner's rows may be
// read through an index on owner and sorted, as they are few.
// Opportunities have no (owner, key, id) indexes, each of which every
// insert and non-heap-only update of the CRM's most written table would
// pay for: an owner's sorted page reads the order's index, keeping the
// owner's rows, or reads the owner's rows from opportunities_owner_idx
// and sorts them.
func TestListOrdersUseIndexes(t *testing.T) {
	f := newFixture(t)
	seedSortPlanRows(t, f)
	const after = "01900000-0000-7000-8000-000000000000"
	// Mid-way through the seeded create and update times.
	created := time.Date(2030, 1, 1, 1, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	updated := time.Date(2030, 1, 31, 22, 0, 0, 0, time.UTC).Format(time.RFC3339Nano)
	type list struct {
		table, field string
		key          []string          // of the page token (OrderKey)
		filter       map[string]string // besides owner
		index        string            // without the table's prefix; owner_ before it with the owner filter
		sql          func(o listing.Order, equal map[string]string, afterKey []string, afterID string) (string, []any, error)
	}
	accounts := func(o listing.Order, equal map[string]string, k []string, id string) (string, []any, error) {
		return postgres.ListAccountsSQL(account.Query{Equal: equal, Order: o, AfterKey: k, After: id, Limit: 50})
	}
	opportunities := func(o listing.Order, equal map[string]string, k []string, id string) (string, []any, error) {
		return postgres.ListOpportunitiesSQL(pipeline.Query{Equal: equal, Order: o, AfterKey: k, After: id, Limit: 50})
	}
	leads := func(o listing.Order, equal map[string]string, k []string, id string) (string, []any, error) {
		return postgres.ListLeadsSQL(lead.Query{Equal: equal, Order: o, AfterKey: k, After: id, Limit: 50})
	}
	contacts := func(o listing.Order, equal map[string]string, k []string, id string) (string, []any, error) {
		return postgres.ListContactsOrderedSQL(contact.Query{Equal: equal, Order: o, AfterKey: k, After: id, Limit: 50})
	}
	campaigns := func(o listing.Order, equal map[string]string, k []string, id string) (string, []any, error) {
		return postgres.ListCampaignsSQL(campaign.Query{Equal: equal, Order: o, AfterKey: k, After: id, Limit: 50})
	}
	conn, err := f.pool.Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(t.Context(), `SET enable_sort = off`); err != nil {
		t.Fatal(err)
	}
	defer conn.Exec(t.Context(), `RESET enable_sort`)
	lists := []list{
		{"accounts", "name", []string{"account 42", "Account 42"}, nil, "name_fold_idx", accounts},
		{"accounts", "create_time", []string{created}, nil, "create_time_idx", accounts},
		{"opportunities", "amount", []string{"5000"}, map[string]string{"currency_code": "EUR"}, "currency_amount_idx", opportunities},
		{"opportunities", "close_date", []string{"2030-03-01"}, nil, "close_date_idx", opportunities},
		{"opportunities", "close_date", []string{""}, nil, "close_date_idx", opportunities},
		{"opportunities", "name", []string{"deal 42", "Deal 42"}, nil, "name_fold_idx", opportunities},
		{"opportunities", "stage", []string{"proposal"}, nil, "stage_order_idx", opportunities},
		// The last stage, as the undated deals are the last close date.
		{"opportunities", "stage", []string{"closed_lost"}, nil, "stage_order_idx", opportunities},
		{"opportunities", "stage", []string{"prospecting"}, nil, "stage_order_idx", opportunities},
		{"opportunities", "create_time", []string{created}, nil, "create_time_idx", opportunities},
		{"leads", "name", []string{"lead 42", "Lead 42"}, nil, "name_fold_idx", leads},
		{"leads", "company", []string{"company 42", "Company 42"}, nil, "company_fold_idx", leads},
		{"leads", "create_time", []string{created}, nil, "create_time_idx", leads},
		{"leads", "update_time", []string{updated}, nil, "update_time_idx", leads},
		{"contacts", "name", []string{"contact 42", "Contact 42"}, nil, "name_fold_idx", contacts},
		{"contacts", "create_time", []string{created}, nil, "create_time_idx", contacts},
		{"campaigns", "name", []string{"campaign 42", "Campaign 42"}, nil, "name_fold_idx", campaigns},
		{"campaigns", "start_date", []string{"2030-03-01"}, nil, "start_date_idx", campaigns},
		{"campaigns", "start_date", []string{""}, nil, "start_date_idx", campaigns},
		{"campaigns", "create_time", []string{created}, nil, "create_time_idx", campaigns},
	}
	for _, l := range lists {
		for _, owner := range []string{"", "owner7", "rare"} {
			for _, desc := range []bool{false, true} {
				for _, page := range []string{"", after} {
					equal := map[string]string{}
					for k, v := range l.filter {
						equal[k] = v
					}
					indexes := []string{l.table + "_" + l.index}
					ownerKeyIndex := l.table != "opportunities"
					if owner != "" {
						equal["owner"] = owner
						if ownerKeyIndex {
							indexes = append(indexes, l.table+"_owner_"+l.index)
						}
					}
					var key []string
					if page != "" {
						key = l.key
					}
					sql, args, err := l.sql(listing.Order{Field: l.field, Desc: desc}, equal, key, page)
					if err != nil {
						t.Fatal(err)
					}
					p := explain(t, f, sql, args)
					ordered := false
					for _, index := range indexes {
						ordered = ordered || strings.Contains(p, "Index Scan using "+index+" ") || strings.Contains(p, "Index Scan Backward using "+index+" ")
					}
					// A rare owner's few rows may be read through an
					// index on owner and sorted: never more than theirs.
					ownRows := owner == "rare" && strings.Contains(p, "Index Cond: ((owner = 'rare'::text)")
					// An owner's opportunities may be read through
					// opportunities_owner_idx and sorted, whichever owner.
					ownRows = ownRows || !ownerKeyIndex && owner != "" &&
						strings.Contains(p, " opportunities_owner_idx ") && strings.Contains(p, "Index Cond: (owner = '"+owner+"'::text)")
					if !(ordered && !strings.Contains(p, "Sort") || ownRows) || strings.Contains(p, "Seq Scan") {
						t.Errorf("%s by %s (desc %v, owner %q, after %q %q) is not read from %v in order:\n%s\n%s",
							l.table, l.field, desc, owner, key, page, indexes, sql, p)
					}
					if owner != "rare" {
						continue
					}
					// With sorting priced out, the rare owner's page is
					// read from the owner's index on the order (the
					// order's index for opportunities), from the token's
					// position on.
					p = explainWith(t, conn, sql, args)
					index := l.table + "_owner_" + l.index
					if !ownerKeyIndex {
						index = l.table + "_" + l.index
					}
					if !strings.Contains(p, "Index Scan using "+index+" ") && !strings.Contains(p, "Index Scan Backward using "+index+" ") ||
						page != "" && !strings.Contains(p, "ROW(") || strings.Contains(p, "Sort") || strings.Contains(p, "Seq Scan") {
						t.Errorf("%s by %s (desc %v, owner %q, after %q %q) is not read from %s in order:\n%s\n%s",
							l.table, l.field, desc, owner, key, page, index, sql, p)
					}
				}
			}
		}
	}
}

// No index of accounts or opportunities reads update_time: an update of
// an indexed column cannot be heap-only, and every update sets it, the
// bridge's order and balance write-backs included, which then would
// write a new entry in every index of the table.
func TestNoUpdateTimeIndexOnWriteBackTables(t *testing.T) {
	f := newFixture(t)
	rows, err := f.pool.Query(t.Context(), `SELECT indexrelid::regclass::text FROM pg_index
WHERE indrelid IN ('accounts'::regclass, 'opportunities'::regclass) AND pg_get_indexdef(indexrelid) LIKE '%update_time%'`)
	if err != nil {
		t.Fatal(err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(indexes) > 0 {
		t.Errorf("indexes on update_time: %v", indexes)
	}
}

// Opportunities, whose every insert and non-heap-only update writes each
// of their indexes, have one index led by owner, (owner, id): no (owner,
// key, id) per sort order.
func TestOpportunitiesHaveOneOwnerIndex(t *testing.T) {
	f := newFixture(t)
	rows, err := f.pool.Query(t.Context(), `SELECT i.indexrelid::regclass::text FROM pg_index i
JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = 'opportunities'::regclass AND a.attname = 'owner' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	indexes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(indexes, []string{"opportunities_owner_idx"}) {
		t.Errorf("indexes of opportunities led by owner: %v, want opportunities_owner_idx alone", indexes)
	}
}

func explainWith(t *testing.T, conn *pgxpool.Conn, sql string, args []any) string {
	t.Helper()
	rows, err := conn.Query(t.Context(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
