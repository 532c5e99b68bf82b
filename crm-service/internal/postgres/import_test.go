package postgres_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// payloads renders event payloads as JSON of the domain types.
type payloads struct{}

func (payloads) EncodeAccount(a account.Account) ([]byte, error) { return json.Marshal(a) }
func (payloads) EncodeContact(c contact.Contact) ([]byte, error) { return json.Marshal(c) }
func (payloads) EncodeLead(l lead.Lead) ([]byte, error)          { return json.Marshal(l) }

func clock() time.Time { return now }

func outcomes(results []upsert.Result) string {
	s := ""
	for _, r := range results {
		s += fmt.Sprint(r.Outcome)
		if r.Outcome == upsert.Invalid {
			s += fmt.Sprintf("%v", r.Violations)
		}
		s += " "
	}
	return s
}

func TestImportAccountsUpsert(t *testing.T) {
	f := newFixture(t)
	svc := account.NewService(f.store, payloads{}, nil, clock)
	rows := []account.Input{
		{Name: "Acme", Website: "https://www.acme.example", Owner: "ana", Billing: account.Address{City: "Berlin", CountryCode: "DE"}},
		{Name: "Globex", Website: "globex.example", Owner: "bo"},
	}
	var results []upsert.Result
	var written bool
	trips := f.trips.Measure(func() {
		var err error
		results, written, err = svc.Import(t.Context(), rows, account.MutableFields, upsert.AllOrNothing, false)
		if err != nil {
			t.Fatal(err)
		}
	})
	// BEGIN with locks and lookups, the inserts, the events, COMMIT:
	// the same for any number of rows.
	if got := outcomes(results); !written || got != "1 1 " || trips > 4 {
		t.Fatalf("first import: %s written %v, %d round trips", got, written, trips)
	}
	acme := results[0].ID

	results, written, err := svc.Import(t.Context(), rows, account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || !written || outcomes(results) != "3 3 " || results[0].ID != acme {
		t.Fatalf("second import: %s %v %v", outcomes(results), written, err)
	}
	if v, e, a := f.count(t, `SELECT count(*) FROM accounts WHERE version = 1`), f.count(t, `SELECT count(*) FROM outbox_events`),
		f.count(t, `SELECT count(*) FROM audit_entries`); v != 2 || e != 2 || a != 0 {
		t.Fatalf("after the second import: %d accounts at version 1, %d events, %d audit entries; want 2, 2, 0", v, e, a)
	}

	// A changed owner updates; a file without the industry column keeps it.
	if _, err := f.pool.Exec(t.Context(), `UPDATE accounts SET industry = 'Tools' WHERE id = $1`, acme); err != nil {
		t.Fatal(err)
	}
	audit := f.count(t, `SELECT count(*) FROM audit_entries`)
	rows[0].Owner = "cy"
	results, _, err = svc.Import(t.Context(), rows, []account.Field{account.FieldName, account.FieldWebsite, account.FieldOwner}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 3 " {
		t.Fatalf("changed import: %s %v", outcomes(results), err)
	}
	a, err := f.store.GetAccount(t.Context(), acme)
	if err != nil || a.Owner != "cy" || a.Industry != "Tools" || a.Version != 2 || a.Billing.City != "Berlin" {
		t.Fatalf("acme: %+v %v", a, err)
	}
	if n := f.count(t, `SELECT count(*) FROM audit_entries WHERE id > $1 AND resource = $2 AND field = 'owner' AND old_value = 'ana' AND new_value = 'cy'`, audit, "accounts/"+acme); n != 1 {
		t.Fatalf("%d audit entries of the owner change", n)
	}
	if n := f.count(t, `SELECT count(*) FROM outbox_events WHERE type = $1 AND key = $2`, account.EventUpdated, acme); n != 1 {
		t.Fatalf("%d update events", n)
	}
}

// Accounts are matched by their external id first: accounts without a
// website import, a second import changes nothing, a row moved to another
// website still updates its own account, and an id repeated in a batch is
// a bad row.
func TestImportAccountsByExternalID(t *testing.T) {
	f := newFixture(t)
	svc := account.NewService(f.store, payloads{}, nil, clock)
	rows := []account.Input{
		{Name: "No Site GmbH", ExternalID: "SAP-1"},
		{Name: "Acme", Website: "acme.example", ExternalID: "SAP-2"},
		{Name: "Globex", Website: "globex.example"},
	}
	results, written, err := svc.Import(t.Context(), rows, account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || !written || outcomes(results) != "1 1 1 " {
		t.Fatalf("first import: %s %v %v", outcomes(results), written, err)
	}
	first := results
	if results, _, err = svc.Import(t.Context(), rows, account.MutableFields, upsert.AllOrNothing, false); err != nil ||
		outcomes(results) != "3 3 3 " || results[0].ID != first[0].ID || results[1].ID != first[1].ID {
		t.Fatalf("second import: %s %v", outcomes(results), err)
	}
	rows[1].Website = "acme-group.example"
	if results, _, err = svc.Import(t.Context(), rows, account.MutableFields, upsert.AllOrNothing, false); err != nil ||
		outcomes(results) != "3 2 3 " || results[1].ID != first[1].ID {
		t.Fatalf("moved website: %s %v", outcomes(results), err)
	}
	if n := f.count(t, `SELECT count(*) FROM accounts`); n != 3 {
		t.Fatalf("%d accounts, want 3", n)
	}
	// An account made in the CRM gets its id by its domain; an empty
	// external_id never clears one; two rows that reach one account are
	// bad; a domain whose account has another id makes a new account.
	made, err := svc.Create(t.Context(), account.Input{Name: "Initech", Website: "initech.example"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{Name: "Initech", Website: "initech.example", ExternalID: "SAP-3"}},
		account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != made.ID {
		t.Fatalf("id by domain: %s %v", outcomes(results), err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{Name: "Initech", Website: "initech.example"}},
		account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "3 " {
		t.Fatalf("a row without the id: %s %v", outcomes(results), err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{
		{Name: "Initech", ExternalID: "SAP-3", Website: "initech.example"}, {Name: "Initech Inc", Website: "initech.example"},
	}, account.MutableFields, upsert.SkipInvalid, false)
	if err != nil || outcomes(results) != `3 4[{website matches the same account as row 0 of this batch}] ` {
		t.Fatalf("two rows, one account: %s %v", outcomes(results), err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{Name: "Initech Europe", Website: "initech.example", ExternalID: "SAP-4"}},
		account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "1 " || results[0].ID == made.ID {
		t.Fatalf("another system's record on a known domain: %s %v", outcomes(results), err)
	}
	if n := f.count(t, `SELECT count(*) FROM accounts WHERE id = $1 AND external_id = 'SAP-3'`, made.ID); n != 1 {
		t.Fatalf("the CRM account lost or never got its id")
	}

	dup := []account.Input{{Name: "A", ExternalID: "SAP-9"}, {Name: "B", ExternalID: "SAP-9"}}
	results, written, err = svc.Import(t.Context(), dup, account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || written || outcomes(results) != `1 4[{external_id has the external_id "SAP-9" of row 0 of this batch}] ` {
		t.Fatalf("repeated id: %s %v %v", outcomes(results), written, err)
	}
	// Without external_id or website in the mask there is no key.
	if _, _, err := svc.Import(t.Context(), rows, []account.Field{account.FieldName}, upsert.AllOrNothing, false); err == nil {
		t.Fatal("an import without a key field succeeded")
	}
}

// Accounts sharing a website domain (subsidiaries, a duplicate made with
// force) are never guessed between: a row matching several by its domain
// is bad and writes nothing; its id, or an external id one of them has,
// names the account to update.
func TestImportAccountsAmbiguousDomain(t *testing.T) {
	f := newFixture(t)
	svc := account.NewService(f.store, payloads{}, nil, clock)
	billing := account.Address{City: "Berlin", CountryCode: "DE"}
	parent, err := svc.Create(t.Context(), account.Input{Name: "Beta Group", Website: "beta.example", Billing: billing}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	sub, err := svc.Create(t.Context(), account.Input{Name: "Beta Services", Website: "https://www.beta.example/services"}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	versions := f.count(t, `SELECT sum(version) FROM accounts`)

	results, written, err := svc.Import(t.Context(), []account.Input{{Name: "Beta Services Ltd", Website: "beta.example"}},
		[]account.Field{account.FieldName, account.FieldWebsite, account.FieldBilling}, upsert.SkipInvalid, false)
	want := `4[{website matches 2 accounts by the domain "beta.example" (` + parent.ID + `, ` + sub.ID +
		`): give the row the id of the account it means (or that account's external_id)}] `
	if err != nil || outcomes(results) != want {
		t.Fatalf("ambiguous domain:\n got %s %v %v\nwant %s", outcomes(results), written, err, want)
	}
	if n := f.count(t, `SELECT sum(version) FROM accounts`); n != versions {
		t.Fatalf("the ambiguous row wrote: versions %d, was %d", n, versions)
	}
	if a, err := f.store.GetAccount(t.Context(), parent.ID); err != nil || a.Name != "Beta Group" || a.Billing != billing {
		t.Fatalf("the first account changed: %+v %v", a, err)
	}

	// The id names the account: exactly that one is updated, whatever its
	// domain, also when the fields hold no other key.
	results, _, err = svc.Import(t.Context(), []account.Input{{ID: strings.ToUpper(sub.ID), Name: "Beta Services Ltd", Website: "beta.example"}},
		[]account.Field{account.FieldName, account.FieldWebsite, account.FieldBilling}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != sub.ID {
		t.Fatalf("by id: %s %v", outcomes(results), err)
	}
	if a, err := f.store.GetAccount(t.Context(), sub.ID); err != nil || a.Name != "Beta Services Ltd" || a.Version != 2 {
		t.Fatalf("the second account: %+v %v", a, err)
	}
	if a, err := f.store.GetAccount(t.Context(), parent.ID); err != nil || a.Name != "Beta Group" || a.Version != 1 {
		t.Fatalf("the first account changed: %+v %v", a, err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{ID: parent.ID, Industry: "Holding"}},
		[]account.Field{account.FieldIndustry}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != parent.ID {
		t.Fatalf("by id without a key field: %s %v", outcomes(results), err)
	}

	// An id row may give its account an external id, which then tells the
	// two apart; one held by another account is bad.
	results, _, err = svc.Import(t.Context(), []account.Input{{ID: sub.ID, Name: "Beta Services Ltd", ExternalID: "SAP-20"}},
		[]account.Field{account.FieldName, account.FieldExternal}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " {
		t.Fatalf("id row setting an external id: %s %v", outcomes(results), err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{ID: parent.ID, Name: "Beta Group", ExternalID: "SAP-20"}},
		[]account.Field{account.FieldName, account.FieldExternal}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != `4[{external_id "SAP-20" is the external_id of account `+sub.ID+`}] ` {
		t.Fatalf("id row taking another account's external id: %s %v", outcomes(results), err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{Name: "Beta Services GmbH", Website: "beta.example", ExternalID: "SAP-20"}},
		account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != sub.ID {
		t.Fatalf("by external id: %s %v", outcomes(results), err)
	}
	// A new external id on the shared domain leaves out the account with
	// another one: only the first is left, and updated.
	results, _, err = svc.Import(t.Context(), []account.Input{{Name: "Beta Group", Website: "beta.example", ExternalID: "SAP-10"}},
		account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != parent.ID {
		t.Fatalf("new external id on a shared domain: %s %v", outcomes(results), err)
	}

	// Ids that name nothing, or are no ids, are bad rows; so are two rows
	// of one id, and an id row and a domain row reaching one account.
	missing := newID(t)
	results, _, err = svc.Import(t.Context(), []account.Input{
		{ID: missing, Name: "Gone"}, {ID: "beta", Name: "Beta"}, {ID: sub.ID, Name: "A"}, {ID: sub.ID, Name: "B"},
	}, []account.Field{account.FieldName}, upsert.SkipInvalid, false)
	want = `4[{id account "` + missing + `" not found: an id updates the account it names; leave it empty to match by external_id or website}] ` +
		`4[{id ` + ids.NotUUID + `}] 2 4[{id has the id "` + sub.ID + `" of row 2 of this batch}] `
	if err != nil || outcomes(results) != want {
		t.Fatalf("bad ids:\n got %s %v\nwant %s", outcomes(results), err, want)
	}
	other, err := svc.Create(t.Context(), account.Input{Name: "Gamma", Website: "gamma.example"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	results, _, err = svc.Import(t.Context(), []account.Input{{ID: other.ID, Name: "Gamma", Website: "gamma.example"}, {Name: "Gamma AG", Website: "gamma.example"}},
		account.MutableFields, upsert.SkipInvalid, false)
	if err != nil || outcomes(results) != "3 4[{website matches the same account as row 0 of this batch}] " {
		t.Fatalf("id and domain rows of one account: %s %v", outcomes(results), err)
	}
	// Without a key field in the mask, a row without an id has no key.
	results, _, err = svc.Import(t.Context(), []account.Input{{ID: other.ID, Name: "Gamma"}, {Name: "Delta"}},
		[]account.Field{account.FieldName}, upsert.SkipInvalid, false)
	if err != nil || !strings.HasPrefix(outcomes(results), "3 4[{id is required when the update_mask names neither external_id nor website") {
		t.Fatalf("a row without an id and no key field: %s %v", outcomes(results), err)
	}
}

func TestImportAccountsBadRows(t *testing.T) {
	f := newFixture(t)
	svc := account.NewService(f.store, payloads{}, nil, clock)
	missing := newID(t)
	rows := []account.Input{
		{Name: "Good", Website: "good.example"},
		{Name: "No site"},
		{Name: "Orphan", Website: "orphan.example", ParentID: missing},
		{Name: "", Website: "nameless.example"},
		{Name: "Good again", Website: "http://GOOD.example/x"},
	}
	want := `1 4[{website is required without an id or external_id: imports match accounts by id, else by external_id, else by website domain}] ` +
		`4[{parent_account_id account "` + missing + `" not found}] 4[{name is required}] ` +
		`4[{website has the domain "good.example" of row 0 of this batch}] `

	// All or nothing: nothing written, the good row reported as it would be.
	results, written, err := svc.Import(t.Context(), rows, account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || written || outcomes(results) != want || results[0].ID != "" {
		t.Fatalf("all or nothing:\n got %s %v %v\nwant %s", outcomes(results), written, err, want)
	}
	if n := f.count(t, `SELECT count(*) FROM accounts`) + f.count(t, `SELECT count(*) FROM outbox_events`); n != 0 {
		t.Fatalf("%d rows written", n)
	}
	// Validate only writes nothing either.
	results, written, err = svc.Import(t.Context(), rows[:1], account.MutableFields, upsert.SkipInvalid, true)
	if err != nil || written || outcomes(results) != "1 " || f.count(t, `SELECT count(*) FROM accounts`) != 0 {
		t.Fatalf("validate only: %s %v %v", outcomes(results), written, err)
	}
	// Skipping: the good row is written.
	results, written, err = svc.Import(t.Context(), rows, account.MutableFields, upsert.SkipInvalid, false)
	if err != nil || !written || outcomes(results) != want || results[0].ID == "" {
		t.Fatalf("skip: %s %v %v", outcomes(results), written, err)
	}
	if n := f.count(t, `SELECT count(*) FROM accounts WHERE website_domain = 'good.example'`); n != 1 {
		t.Fatalf("%d good accounts", n)
	}
	// A parent change that would make a cycle fails the batch.
	parent := results[0].ID
	child, _, err := svc.Import(t.Context(), []account.Input{{Name: "Child", Website: "child.example", ParentID: parent}}, account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || child[0].Outcome != upsert.Created {
		t.Fatalf("child: %+v %v", child, err)
	}
	_, _, err = svc.Import(t.Context(), []account.Input{{Name: "Good", Website: "good.example", ParentID: child[0].ID}}, account.MutableFields, upsert.SkipInvalid, false)
	if !errors.Is(err, errs.ErrInvalidArgument) {
		t.Fatalf("cycle with the stored hierarchy: %v, want invalid argument", err)
	}
	// Two rows that each put the other account above their own close a
	// cycle only between them: the batch fails, nothing written.
	other, _, err := svc.Import(t.Context(), []account.Input{{Name: "Other", Website: "other.example"}}, account.MutableFields, upsert.AllOrNothing, false)
	if err != nil || other[0].Outcome != upsert.Created {
		t.Fatalf("other: %+v %v", other, err)
	}
	versions := f.count(t, `SELECT sum(version) FROM accounts`)
	_, _, err = svc.Import(t.Context(), []account.Input{
		{Name: "Other", Website: "other.example", ParentID: parent},
		{Name: "Good", Website: "good.example", ParentID: other[0].ID},
	}, account.MutableFields, upsert.SkipInvalid, false)
	if !errors.Is(err, errs.ErrInvalidArgument) || !strings.Contains(err.Error(), "own ancestor") {
		t.Fatalf("cycle within the batch: %v, want invalid argument", err)
	}
	if n := f.count(t, `SELECT sum(version) FROM accounts`); n != versions {
		t.Fatalf("the failed batch changed versions: %d, was %d", n, versions)
	}
	// Validating the batch reports the cycle too, and writes nothing either
	// way.
	_, written, err = svc.Import(t.Context(), []account.Input{
		{Name: "Other", Website: "other.example", ParentID: parent},
		{Name: "Good", Website: "good.example", ParentID: other[0].ID},
	}, account.MutableFields, upsert.SkipInvalid, true)
	if !errors.Is(err, errs.ErrInvalidArgument) || written {
		t.Fatalf("validating the cycle: %v, written %v; want invalid argument", err, written)
	}
	results, written, err = svc.Import(t.Context(), []account.Input{
		{Name: "Other", Website: "other.example", ParentID: parent},
		{Name: "New", Website: "new.example"},
	}, account.MutableFields, upsert.SkipInvalid, true)
	if err != nil || written || outcomes(results) != "2 1 " || results[1].ID != "" {
		t.Fatalf("validating a good batch: %s %v %v", outcomes(results), written, err)
	}
	if n := f.count(t, `SELECT sum(version) FROM accounts`) + f.count(t, `SELECT count(*) FROM accounts WHERE website_domain = 'new.example'`); n != versions {
		t.Fatalf("validating wrote: versions %d, was %d", n, versions)
	}
	// Either change alone is fine.
	if _, _, err := svc.Import(t.Context(), []account.Input{{Name: "Other", Website: "other.example", ParentID: parent}},
		account.MutableFields, upsert.AllOrNothing, false); err != nil {
		t.Fatalf("one parent change: %v", err)
	}
}

// Contacts are matched by their external id first: contacts without an
// email import, a second import changes nothing, a row whose email changed
// in the partner's system still updates its own contact, a row with a new
// external id takes over the contact with its email unless that one
// carries another, an empty external_id keeps the stored one, and an id
// repeated in a batch is a bad row.
func TestImportContactsByExternalID(t *testing.T) {
	f := newFixture(t)
	svc := contact.NewService(f.store, payloads{}, nil, nil, nil, clock)
	rows := []contact.Input{
		{Name: "No Mail", ExternalID: " P-1 "},
		{Name: "Ana Ruiz", Email: "ana@example.com", ExternalID: "P-2"},
		{Name: "Bo Chen", Email: "bo@example.com"},
	}
	results, written, err := svc.Import(t.Context(), rows, contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || !written || outcomes(results) != "1 1 1 " {
		t.Fatalf("first import: %s %v %v", outcomes(results), written, err)
	}
	first := results
	if n := f.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND external_id = 'P-1' AND email = ''`, first[0].ID); n != 1 {
		t.Fatal("the contact without an email is not stored with its trimmed external_id")
	}
	if results, _, err = svc.Import(t.Context(), rows, contact.MutableFields, upsert.AllOrNothing, false); err != nil ||
		outcomes(results) != "3 3 3 " || results[0].ID != first[0].ID || results[1].ID != first[1].ID {
		t.Fatalf("second import: %s %v", outcomes(results), err)
	}
	// The partner changed Ana's email: still her contact, not a new one.
	rows[1].Email = "ana.ruiz@example.org"
	if results, _, err = svc.Import(t.Context(), rows, contact.MutableFields, upsert.AllOrNothing, false); err != nil ||
		outcomes(results) != "3 2 3 " || results[1].ID != first[1].ID {
		t.Fatalf("changed email: %s %v", outcomes(results), err)
	}
	if n := f.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND email = 'ana.ruiz@example.org'`, first[1].ID); n != 1 {
		t.Fatal("the email change was not written to the contact")
	}
	if n := f.count(t, `SELECT count(*) FROM contacts`); n != 3 {
		t.Fatalf("%d contacts, want 3", n)
	}
	// Bo, made without an external id, is given one by a row with his
	// email; a row without one keeps it.
	results, _, err = svc.Import(t.Context(), []contact.Input{{Name: "Bo Chen", Email: "bo@example.com", ExternalID: "P-3"}},
		contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != first[2].ID {
		t.Fatalf("external id by email: %s %v", outcomes(results), err)
	}
	results, _, err = svc.Import(t.Context(), []contact.Input{{Name: "Bo Chen", Email: "bo@example.com", Title: "CTO"}},
		contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != first[2].ID {
		t.Fatalf("row without an external id: %s %v", outcomes(results), err)
	}
	if n := f.count(t, `SELECT count(*) FROM contacts WHERE id = $1 AND external_id = 'P-3' AND title = 'CTO'`, first[2].ID); n != 1 {
		t.Fatal("an empty external_id cleared the stored one")
	}
	// A new external id on Bo's email is another person of the partner's:
	// Bo carries another id, so the row creates a contact.
	results, _, err = svc.Import(t.Context(), []contact.Input{{Name: "Bo Chen Jr", Email: "bo@example.com", ExternalID: "P-4"}},
		contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "1 " || results[0].ID == first[2].ID {
		t.Fatalf("new external id on a known email: %s %v", outcomes(results), err)
	}
	// An id row cannot take another contact's external id.
	results, _, err = svc.Import(t.Context(), []contact.Input{{ID: first[2].ID, Name: "Bo Chen", ExternalID: "P-2"}},
		[]contact.Field{contact.FieldName, contact.FieldExternal}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != `4[{external_id "P-2" is the external_id of contact `+first[1].ID+`}] ` {
		t.Fatalf("id row taking another contact's external id: %s %v", outcomes(results), err)
	}
	dup := []contact.Input{{Name: "A", ExternalID: "P-9"}, {Name: "B", ExternalID: "P-9 "}}
	results, written, err = svc.Import(t.Context(), dup, contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || written || outcomes(results) != `1 4[{external_id has the external_id "P-9" of row 0 of this batch}] ` {
		t.Fatalf("repeated id: %s %v %v", outcomes(results), written, err)
	}
	// Without external_id or email in the mask there is no key.
	if _, _, err := svc.Import(t.Context(), rows, []contact.Field{contact.FieldName}, upsert.AllOrNothing, false); err == nil {
		t.Fatal("an import without a key field succeeded")
	}
}

// Contacts sharing an email (a duplicate made with force) are never
// guessed between: a row matching several by its email is bad and writes
// nothing; its id names the contact to update.
func TestImportContactsAmbiguousEmail(t *testing.T) {
	f := newFixture(t)
	svc := contact.NewService(f.store, payloads{}, nil, nil, nil, clock)
	first, err := svc.Create(t.Context(), contact.Input{Name: "Ana Ruiz", Email: "ana@example.com", Title: "CEO"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.Create(t.Context(), contact.Input{Name: "Ana Ruiz (assistant)", Email: "Ana@Example.com"}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	versions := f.count(t, `SELECT sum(version) FROM contacts`)

	results, written, err := svc.Import(t.Context(), []contact.Input{{Name: "Ana Ruiz", Email: "ana@example.com", Title: "CFO"}},
		contact.MutableFields, upsert.SkipInvalid, false)
	want := `4[{email matches 2 contacts by email (` + first.ID + `, ` + second.ID + `): give the row the id of the contact it means (or that contact's external_id)}] `
	if err != nil || outcomes(results) != want {
		t.Fatalf("ambiguous email:\n got %s %v %v\nwant %s", outcomes(results), written, err, want)
	}
	if n := f.count(t, `SELECT sum(version) FROM contacts`); n != versions {
		t.Fatalf("the ambiguous row wrote: versions %d, was %d", n, versions)
	}

	// The id names the contact: exactly that one is updated, also when
	// the fields do not hold the email.
	results, _, err = svc.Import(t.Context(), []contact.Input{{ID: strings.ToUpper(second.ID), Name: "Bo Assistant", Email: "ana@example.com"}},
		contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != second.ID {
		t.Fatalf("by id: %s %v", outcomes(results), err)
	}
	if c, err := f.store.GetContact(t.Context(), second.ID); err != nil || c.Name != "Bo Assistant" || c.Version != 2 {
		t.Fatalf("the second contact: %+v %v", c, err)
	}
	if c, err := f.store.GetContact(t.Context(), first.ID); err != nil || c.Name != "Ana Ruiz" || c.Title != "CEO" || c.Version != 1 {
		t.Fatalf("the first contact changed: %+v %v", c, err)
	}
	results, _, err = svc.Import(t.Context(), []contact.Input{{ID: first.ID, Title: "CFO"}},
		[]contact.Field{contact.FieldTitle}, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != first.ID {
		t.Fatalf("by id without the email: %s %v", outcomes(results), err)
	}

	// Ids that name nothing, or are no ids, are bad rows; so are two rows
	// of one id, an id row and an email row reaching one contact, and a
	// row with neither id nor email in the mask.
	missing := newID(t)
	results, _, err = svc.Import(t.Context(), []contact.Input{
		{ID: missing, Name: "Gone"}, {ID: "ana", Name: "Ana"}, {ID: first.ID, Name: "A"}, {ID: first.ID, Name: "B"}, {Name: "Cy"},
	}, []contact.Field{contact.FieldName}, upsert.SkipInvalid, false)
	want = `4[{id contact "` + missing + `" not found: an id updates the contact it names; leave it empty to match by external_id or email}] ` +
		`4[{id ` + ids.NotUUID + `}] 2 4[{id has the id "` + first.ID + `" of row 2 of this batch}] ` +
		`4[{id is required when the update_mask names neither external_id nor email: imports match contacts by id, else by external_id, else by email}] `
	if err != nil || outcomes(results) != want {
		t.Fatalf("bad ids:\n got %s %v\nwant %s", outcomes(results), err, want)
	}
	other, err := svc.Create(t.Context(), contact.Input{Name: "Cy", Email: "cy@example.com"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	results, _, err = svc.Import(t.Context(), []contact.Input{{ID: other.ID, Name: "Cy", Email: "cy@example.com"}, {Name: "Cy Young", Email: "cy@example.com"}},
		contact.MutableFields, upsert.SkipInvalid, false)
	if err != nil || outcomes(results) != "3 4[{email matches the same contact as row 0 of this batch}] " {
		t.Fatalf("id and email rows of one contact: %s %v", outcomes(results), err)
	}
}

// Leads sharing an email are never guessed between either: a row
// matching several by its email is bad; its id names the lead.
func TestImportLeadsAmbiguousEmail(t *testing.T) {
	f := newFixture(t)
	contacts := contact.NewService(f.store, payloads{}, nil, nil, nil, clock)
	svc := lead.NewService(f.store, payloads{}, nil, contacts, nil, nil, nil, clock)
	first, err := svc.Create(t.Context(), lead.Input{Name: "Cy", Company: "Acme", Email: "cy@example.com"}, "", false)
	if err != nil {
		t.Fatal(err)
	}
	second, err := svc.Create(t.Context(), lead.Input{Name: "Cy", Company: "Globex", Email: "CY@example.com"}, "", true)
	if err != nil {
		t.Fatal(err)
	}
	versions := f.count(t, `SELECT sum(version) FROM leads`)

	results, written, err := svc.Import(t.Context(), []lead.Input{{Name: "Cy", Company: "Initech", Email: "cy@example.com"}},
		lead.MutableFields, upsert.SkipInvalid, false)
	want := `4[{email matches 2 leads by email (` + first.ID + `, ` + second.ID + `): give the row the id of the one it means}] `
	if err != nil || outcomes(results) != want {
		t.Fatalf("ambiguous email:\n got %s %v %v\nwant %s", outcomes(results), written, err, want)
	}
	if n := f.count(t, `SELECT sum(version) FROM leads`); n != versions {
		t.Fatalf("the ambiguous row wrote: versions %d, was %d", n, versions)
	}

	results, _, err = svc.Import(t.Context(), []lead.Input{{ID: second.ID, Name: "Cy", Company: "Globex Ltd", Email: "cy@example.com"}},
		lead.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "2 " || results[0].ID != second.ID {
		t.Fatalf("by id: %s %v", outcomes(results), err)
	}
	if n := f.count(t, `SELECT count(*) FROM leads WHERE id = '`+second.ID+`' AND company = 'Globex Ltd' AND version = 2`) +
		f.count(t, `SELECT count(*) FROM leads WHERE id = '`+first.ID+`' AND company = 'Acme' AND version = 1`); n != 2 {
		t.Fatal("the id row did not update exactly its lead")
	}
	missing := newID(t)
	results, _, err = svc.Import(t.Context(), []lead.Input{{ID: missing, Company: "Gone"}, {ID: first.ID, Company: "Acme AG"}},
		[]lead.Field{lead.FieldCompany}, upsert.SkipInvalid, false)
	want = `4[{id lead "` + missing + `" not found: an id updates the lead it names; leave it empty to match by email}] 2 `
	if err != nil || outcomes(results) != want {
		t.Fatalf("ids:\n got %s %v\nwant %s", outcomes(results), err, want)
	}
}

func TestImportContactsAndLeadsUpsert(t *testing.T) {
	f := newFixture(t)
	contacts := contact.NewService(f.store, payloads{}, nil, nil, nil, clock)
	rows := []contact.Input{{Name: "Ana", Email: "ana@example.com"}, {Name: "Bo", Email: "Bo@Example.com", Phone: "+1 555"}}
	for i, want := range []string{"1 1 ", "3 3 "} {
		results, written, err := contacts.Import(t.Context(), rows, contact.MutableFields, upsert.AllOrNothing, false)
		if err != nil || !written || outcomes(results) != want {
			t.Fatalf("contacts import %d: %s %v %v", i, outcomes(results), written, err)
		}
	}
	rows[1] = contact.Input{Name: "Bo", Email: "bo@example.com", Phone: "+1 556"}
	results, _, err := contacts.Import(t.Context(), rows, contact.MutableFields, upsert.AllOrNothing, false)
	if err != nil || outcomes(results) != "3 2 " {
		t.Fatalf("changed contact: %s %v", outcomes(results), err)
	}
	if n := f.count(t, `SELECT count(*) FROM contacts WHERE email = 'bo@example.com' AND phone = '+1 556' AND version = 2`); n != 1 {
		t.Fatal("contact not updated")
	}

	leads := lead.NewService(f.store, payloads{}, nil, contacts, nil, nil, nil, clock)
	lrows := []lead.Input{{Name: "Cy", Email: "cy@example.com", Status: lead.StatusWorking}, {Name: "Dee", Email: "dee@example.com"}}
	for i, want := range []string{"1 1 ", "3 3 "} {
		results, written, err := leads.Import(t.Context(), lrows, lead.MutableFields, upsert.AllOrNothing, false)
		if err != nil || !written || outcomes(results) != want {
			t.Fatalf("leads import %d: %s %v %v", i, outcomes(results), written, err)
		}
	}
	// A converted lead stays as it is; a status move must be allowed.
	if _, err := f.pool.Exec(t.Context(), `UPDATE leads SET status = 'converted' WHERE email_key = 'dee@example.com'`); err != nil {
		t.Fatal(err)
	}
	lrows = []lead.Input{{Name: "Cy", Email: "cy@example.com", Status: lead.StatusNew}, {Name: "Dee", Email: "dee@example.com", Status: lead.StatusConverted},
		{Name: "Dee 2", Email: "dee@example.com"}}
	results, _, err = leads.Import(t.Context(), lrows[:2], lead.MutableFields, upsert.SkipInvalid, false)
	if err != nil || outcomes(results)[:2] != "4[" || outcomes(results)[len(outcomes(results))-2:] != "3 " {
		t.Fatalf("status rules: %s %v", outcomes(results), err)
	}
	results, _, err = leads.Import(t.Context(), lrows[2:], lead.MutableFields, upsert.SkipInvalid, false)
	if err != nil || results[0].Outcome != upsert.Invalid {
		t.Fatalf("converted lead changed: %s %v", outcomes(results), err)
	}
}
