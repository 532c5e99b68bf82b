package postgres_test

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/platform/errs"
)

func newID(t *testing.T) string {
	t.Helper()
	id, err := uuid.NewV7()
	if err != nil {
		t.Fatal(err)
	}
	return id.String()
}

// Concurrent calls with one request id create one account and all return
// it, with duplicate detection on or off: a call that waited for the
// duplicate key's lock is a replay of the call that held it, not a
// duplicate of its account.
func TestCreateAccountConcurrentRetries(t *testing.T) {
	for _, dedupe := range []bool{false, true} {
		t.Run(fmt.Sprintf("dedupe=%v", dedupe), func(t *testing.T) {
			f := newFixture(t)
			rounds := concurrentRetries(t, func(round int, request string) (string, error) {
				id := newID(t)
				got, err := f.store.CreateAccount(t.Context(), request, account.MethodCreate,
					newAccount(id, fmt.Sprintf("Acme %d", round)), event(account.EventCreated, id), dedupe)
				return got.ID, err
			})
			if a, e := f.count(t, `SELECT count(*) FROM accounts`), f.count(t, `SELECT count(*) FROM outbox_events`); a != rounds || e != rounds {
				t.Fatalf("%d accounts, %d events; want %d and %d", a, e, rounds, rounds)
			}
		})
	}
}

// concurrentRetries runs rounds of concurrent calls of create, each
// round's calls with one request id, and fails unless each round's calls
// all return one id. It returns the number of rounds.
func concurrentRetries(t *testing.T, create func(round int, request string) (string, error)) int {
	t.Helper()
	const rounds, n = 5, 12
	for round := range rounds {
		request := fmt.Sprintf("same-request-%d", round)
		ids := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				id, err := create(round, request)
				if err != nil {
					t.Errorf("round %d, call %d: %v", round, i, err)
					return
				}
				ids[i] = id
			})
		}
		wg.Wait()
		for _, id := range ids {
			if id != ids[0] {
				t.Fatalf("round %d: calls returned different records: %v", round, ids)
			}
		}
	}
	return rounds
}

// A write whose event cannot be recorded is rolled back whole: the event
// and the change share one transaction.
func TestAccountChangeAndEventShareATransaction(t *testing.T) {
	f := newFixture(t)
	id := newID(t)
	_, err := f.store.CreateAccount(t.Context(), "r1", account.MethodCreate, newAccount(id, "Acme"), account.Event{Type: account.EventCreated, Key: id, Payload: []byte(`not json`)}, false)
	if err == nil {
		t.Fatal("created with an invalid event payload")
	}
	if n := f.count(t, `SELECT count(*) FROM accounts`) + f.count(t, `SELECT count(*) FROM idempotency_keys`); n != 0 {
		t.Fatalf("%d rows left by a failed create", n)
	}
	f.seedAccount(t, id)
	_, err = f.store.UpdateAccount(t.Context(), id, func(cur account.Account) (account.Change, error) {
		cur.Name, cur.Version = "Renamed", cur.Version+1
		return account.Change{Account: cur, Event: &account.Event{Type: account.EventUpdated, Key: id}}, nil
	})
	if err == nil {
		t.Fatal("updated with an empty event payload")
	}
	got, _ := f.store.GetAccount(t.Context(), id)
	if got.Name != "Acme" || got.Version != 1 || f.count(t, `SELECT count(*) FROM outbox_events`) != 1 {
		t.Fatalf("failed update left %+v", got)
	}
}

func TestDeleteAccount(t *testing.T) {
	f := newFixture(t)
	id := newID(t)
	err := f.store.DeleteAccount(t.Context(), id, func(account.Account, bool, []activity.Activity) (account.Deletion, error) {
		return account.Deletion{}, nil
	})
	if !errors.Is(err, errs.ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
	f.seedAccount(t, id)
	f.seedProducts(t, "S1")
	f.newOpportunity(t, newID(t), id, "S1")
	var sawOpportunities bool
	err = f.store.DeleteAccount(t.Context(), id, func(_ account.Account, has bool, _ []activity.Activity) (account.Deletion, error) {
		sawOpportunities = has
		return account.Deletion{Event: event(account.EventDeleted, id)}, nil
	})
	// fn allowed it, so the foreign key refuses: the last line of defence.
	if !sawOpportunities || !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Fatalf("delete with opportunities: saw %v, %v", sawOpportunities, err)
	}
}

func TestListAccounts(t *testing.T) {
	f := newFixture(t)
	for i := range 7 {
		a := newAccount(newID(t), fmt.Sprintf("A%d", i))
		a.Industry = []string{"tools", "food"}[i%2]
		if _, err := f.store.CreateAccount(t.Context(), "", account.MethodCreate, a, event(account.EventCreated, a.ID), false); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	after := ""
	for {
		page, more, err := f.store.ListAccounts(t.Context(), account.Query{Equal: map[string]string{"industry": "tools"}, After: after, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range page {
			names = append(names, a.Name)
		}
		if !more {
			break
		}
		after = page[len(page)-1].ID
	}
	if fmt.Sprint(names) != "[A0 A2 A4 A6]" {
		t.Fatalf("names %v", names)
	}
}

// Concurrent calls with one request id create one contact and all return
// it, though each checks the email for duplicates.
func TestCreateContactConcurrentRetries(t *testing.T) {
	f := newFixture(t)
	rounds := concurrentRetries(t, func(round int, request string) (string, error) {
		c := contact.Contact{ID: newID(t), Name: "Ana", Email: fmt.Sprintf("ana-%d@acme.example", round), Version: 1, CreateTime: now, UpdateTime: now}
		got, err := f.store.CreateContact(t.Context(), request, contact.MethodCreate, c,
			contact.Event{Type: contact.EventCreated, Key: c.ID, Payload: []byte(`{}`)}, true)
		return got.ID, err
	})
	if n := f.count(t, `SELECT count(*) FROM contacts`); n != rounds {
		t.Fatalf("%d contacts, want %d", n, rounds)
	}
}
