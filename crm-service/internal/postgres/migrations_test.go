package postgres_test

import (
	"fmt"
	"io/fs"
	"strings"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/migrations"
)

// Migration 0003 backfills the duplicate keys of accounts that existed
// before it with SQL; for ordinary names and websites it must agree with
// account.KeyOf, which the service writes from then on.
func TestDuplicateKeyBackfillMatchesKeyOf(t *testing.T) {
	f := newFixture(t)
	raw, err := fs.ReadFile(migrations.FS, "0003_contacts.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := string(raw)
	start := strings.Index(sql, "UPDATE accounts SET")
	end := strings.Index(sql[start:], ";")
	if start < 0 || end < 0 {
		t.Fatal("no backfill UPDATE in 0003_contacts.sql")
	}
	backfill := sql[start : start+end]
	cases := []struct{ name, website string }{
		{"Acme", ""},
		{"  Acme   GmbH ", "https://www.Acme.example/de?x=1"},
		{"Acme", "acme.example:8080/path"},
		{"ACME Corp", "HTTP://WWW.ACME.EXAMPLE"},
		{"Acme", "shop.acme.example#top"},
		{"Tab\tName", "  acme.example  "},
	}
	for i, c := range cases {
		if _, err := f.pool.Exec(t.Context(), `INSERT INTO accounts (id, name, website, version, create_time, update_time)
VALUES ($1, $2, $3, 1, now(), now())`, newID(t), c.name, c.website); err != nil {
			t.Fatalf("case %d: %v", i, err)
		}
	}
	if _, err := f.pool.Exec(t.Context(), backfill); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	rows, err := f.pool.Query(t.Context(), `SELECT name, website, name_key, website_domain FROM accounts`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var name, website string
		var got account.DuplicateKey
		if err := rows.Scan(&name, &website, &got.Name, &got.Domain); err != nil {
			t.Fatal(err)
		}
		if want := account.KeyOf(name, website); got != want {
			t.Errorf("backfill of (%q, %q) = %v, KeyOf = %v", name, website, got, want)
		}
		n++
	}
	if n != len(cases) {
		t.Fatalf("%d rows", n)
	}
}

// Migration 0019 gives an activity linked to an opportunity and to no
// account the opportunity's account (with a new version), as the service
// does on every write since; others stay as they are.
func TestActivityAccountBackfill(t *testing.T) {
	f := newFixture(t)
	raw, err := fs.ReadFile(migrations.FS, "0019_activity_account_from_opportunity.sql")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	acc, other, opp := newID(t), newID(t), newID(t)
	for _, id := range []string{acc, other} {
		if _, err := f.pool.Exec(ctx, `INSERT INTO accounts (id, name, version, create_time, update_time) VALUES ($1, $2, 1, now(), now())`, id, "Account "+id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.pool.Exec(ctx, `INSERT INTO opportunities (id, account_id, name, stage, probability, currency_code, amount, version, create_time, update_time)
VALUES ($1, $2, 'Deal', 'prospecting', 10, 'EUR', 0, 1, now(), now())`, opp, acc); err != nil {
		t.Fatal(err)
	}
	insert := func(accountID, opportunityID *string) string {
		t.Helper()
		id := newID(t)
		if _, err := f.pool.Exec(ctx, `INSERT INTO activities (id, type, subject, account_id, opportunity_id, activity_time, version, create_time, update_time)
VALUES ($1, 'call', 'x', $2, $3, now(), 3, now(), now())`, id, accountID, opportunityID); err != nil {
			t.Fatal(err)
		}
		return id
	}
	orphan, linked, alone := insert(nil, &opp), insert(&other, &opp), insert(nil, nil)
	if _, err := f.pool.Exec(ctx, string(raw)); err != nil {
		t.Fatalf("migration: %v", err)
	}
	for id, want := range map[string]string{orphan: acc + " 4", linked: other + " 3", alone: " 3"} {
		var got string
		if err := f.pool.QueryRow(ctx, `SELECT coalesce(account_id::text, '') || ' ' || version FROM activities WHERE id = $1`, id).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("activity %s: account and version %q, want %q", id, got, want)
		}
	}
}

// Migration 0020 makes the one balance an account showed before (its
// currency, amounts and payment version) the first of its per-currency
// balances; accounts without a reported balance get none.
func TestAccountBalancesBackfill(t *testing.T) {
	f := newFixture(t)
	raw, err := fs.ReadFile(migrations.FS, "0020_account_balances.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := string(raw)
	start := strings.Index(sql, "INSERT INTO account_balances")
	if start < 0 {
		t.Fatal("no backfill INSERT in 0020_account_balances.sql")
	}
	backfill := sql[start : start+strings.Index(sql[start:], ";")]
	ctx := t.Context()
	reported, overdueUnknown, statusOnly, none := newID(t), newID(t), newID(t), newID(t)
	for _, row := range []struct {
		id, status, currency string
		open, overdue        *string
		version              *int64
	}{
		{reported, "overdue", "EUR", ptr("22.48"), ptr("10.00"), ptr(int64(7))},
		{overdueUnknown, "open", "USD", ptr("5"), nil, ptr(int64(3))},
		{statusOnly, "paid", "", nil, nil, ptr(int64(2))},
		{none, "unspecified", "", nil, nil, nil},
	} {
		if _, err := f.pool.Exec(ctx, `INSERT INTO accounts (id, name, payment_status, balance_currency, open_balance, overdue_balance,
payment_version, version, create_time, update_time) VALUES ($1, $2, $3, nullif($4, ''), $5::numeric, $6::numeric, $7, 1, now(), now())`,
			row.id, "Account "+row.id, row.status, row.currency, row.open, row.overdue, row.version); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.pool.Exec(ctx, backfill); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	for id, want := range map[string]string{
		// {currency open overdue credit version}: no credit (0027) before a report of one.
		reported: "[{EUR 22.48 10 0 7}]", overdueUnknown: "[{USD 5 0 0 3}]", statusOnly: "[]", none: "[]",
	} {
		a, err := f.store.GetAccount(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if got := fmt.Sprint(a.Balances); got != want {
			t.Errorf("account %s: balances %s, want %s", id, got, want)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// Migration 0022 turns the empty text and 0 a win stored for a pending
// order's id, number and revision into NULL without audit entries, and
// leaves reported orders as they are.
func TestPendingOrderBackfill(t *testing.T) {
	f := newFixture(t)
	raw, err := fs.ReadFile(migrations.FS, "0022_audit_user_visible_changes.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := string(raw)
	start := strings.Index(sql, "ALTER TABLE opportunities DISABLE TRIGGER")
	end := strings.Index(sql, "ENABLE TRIGGER opportunities_audit;")
	if start < 0 || end < 0 {
		t.Fatal("no backfill in 0022_audit_user_visible_changes.sql")
	}
	backfill := sql[start : end+len("ENABLE TRIGGER opportunities_audit;")]
	ctx := t.Context()
	acc, pending, reported := newID(t), newID(t), newID(t)
	f.seedAccount(t, acc)
	f.seedProducts(t, "S1")
	f.newOpportunity(t, pending, acc, "S1")
	f.newOpportunity(t, reported, acc, "S1")
	for id, set := range map[string]string{
		pending:  `order_status = 'pending', order_id = '', order_number = '', order_version = 0`,
		reported: `order_status = 'confirmed', order_id = 'ord-1', order_number = 'SO-1', order_version = 4`,
	} {
		if _, err := f.pool.Exec(ctx, `UPDATE opportunities SET `+set+` WHERE id = $1`, id); err != nil {
			t.Fatal(err)
		}
	}
	entries := f.count(t, `SELECT count(*) FROM audit_entries`)
	if _, err := f.pool.Exec(ctx, backfill); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM opportunities WHERE id = $1 AND order_id IS NULL AND order_number IS NULL
		AND order_version IS NULL AND order_status = 'pending'`, pending); n != 1 {
		t.Error("the pending order keeps its empty values")
	}
	if n := f.count(t, `SELECT count(*) FROM opportunities WHERE id = $1 AND order_id = 'ord-1' AND order_number = 'SO-1'
		AND order_version = 4`, reported); n != 1 {
		t.Error("the reported order changed")
	}
	if n := f.count(t, `SELECT count(*) FROM audit_entries`); n != entries {
		t.Errorf("the backfill wrote %d audit entries", n-entries)
	}
}

// Migration 0030 gives each closed deal the owner it had when it closed,
// read from the audit trail: the owner before the first owner change
// after the last stage change, else (no change since) the current owner;
// open deals get none. The rewrite is not audited.
func TestCloseOwnerBackfill(t *testing.T) {
	f := newFixture(t)
	raw, err := fs.ReadFile(migrations.FS, "0030_close_owner_and_period_amounts.sql")
	if err != nil {
		t.Fatal(err)
	}
	sql := string(raw)
	const last = "ENABLE TRIGGER opportunities_pipeline_totals;"
	start := strings.Index(sql, "ALTER TABLE opportunities DISABLE TRIGGER opportunities_audit;")
	end := strings.Index(sql, last)
	if start < 0 || end < 0 {
		t.Fatal("no backfill in 0030_close_owner_and_period_amounts.sql")
	}
	backfill := sql[start : end+len(last)]
	ctx := t.Context()
	acc := newID(t)
	f.seedAccount(t, acc)
	// Each deal's writes, one statement (so one audit step) each.
	deals := map[string]struct {
		writes []string
		want   string
	}{
		"reassigned after the win":  {[]string{`owner = 'ana'`, `stage = 'closed_won'`, `owner = 'bo'`, `owner = 'cy'`}, "ana"},
		"reassigned before the win": {[]string{`owner = 'ana'`, `owner = 'bo'`, `stage = 'closed_won'`, `owner = 'cy'`}, "bo"},
		"lost after the win":        {[]string{`owner = 'ana'`, `stage = 'closed_won'`, `owner = 'bo'`, `stage = 'closed_lost'`, `owner = 'cy'`}, "bo"},
		"closed in the write":       {[]string{`owner = 'ana'`, `owner = 'bo', stage = 'closed_lost'`, `owner = 'cy'`}, "bo"},
		"never reassigned":          {[]string{`owner = 'ana'`, `stage = 'closed_won'`}, "ana"},
		"reopened":                  {[]string{`owner = 'ana'`, `stage = 'closed_won'`, `stage = 'proposal'`, `owner = 'bo'`}, ""},
		// Closed before the trail began: every owner change came after.
		"closed before the trail": {[]string{`owner = 'dee', stage = 'closed_won'`, `DELETE`, `owner = 'eve'`, `owner = 'fay'`}, "dee"},
	}
	ids := map[string]string{}
	for name, d := range deals {
		id := newID(t)
		ids[name] = id
		f.newOpportunity(t, id, acc)
		for _, w := range d.writes {
			stmt := `UPDATE opportunities SET ` + w + ` WHERE id = $1`
			if w == "DELETE" {
				stmt = `DELETE FROM audit_entries WHERE resource = 'opportunities/' || $1`
			}
			if _, err := f.pool.Exec(ctx, stmt, id); err != nil {
				t.Fatalf("%s: %s: %v", name, w, err)
			}
		}
	}
	// As before the migration: no close owner anywhere.
	if _, err := f.pool.Exec(ctx, `ALTER TABLE opportunities DISABLE TRIGGER USER;
UPDATE opportunities SET close_owner = NULL;
ALTER TABLE opportunities ENABLE TRIGGER USER`); err != nil {
		t.Fatal(err)
	}
	entries := f.count(t, `SELECT count(*) FROM audit_entries`)
	if _, err := f.pool.Exec(ctx, backfill); err != nil {
		t.Fatalf("backfill: %v", err)
	}
	for name, d := range deals {
		var got string
		if err := f.pool.QueryRow(ctx, `SELECT coalesce(close_owner, '') FROM opportunities WHERE id = $1`, ids[name]).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != d.want {
			t.Errorf("%s: close owner %q, want %q", name, got, d.want)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM audit_entries`); n != entries {
		t.Errorf("the backfill wrote %d audit entries", n-entries)
	}
}
