package postgres_test

import (
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
