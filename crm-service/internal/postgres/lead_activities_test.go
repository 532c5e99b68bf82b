package postgres_test

import (
	"strings"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/postgres"
)

// A lead's activities are read from (lead_id, id), in order, no further
// than a page, on the first page and after a page token.
func TestListActivitiesByLeadUsesIndex(t *testing.T) {
	f := newFixture(t)
	l := newLead(t, f, "Initech", "bo@initech.example")
	if _, err := f.pool.Exec(t.Context(), `INSERT INTO activities (id, type, subject, description, lead_id, owner, activity_time, done, version, create_time, update_time)
SELECT gen_random_uuid(), 'call', 'Call ' || i, '', CASE WHEN i % 1000 = 0 THEN $1::uuid END, 'ana', now(), false, 1, now(), now()
FROM generate_series(1, 20000) AS i`, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(t.Context(), `ANALYZE activities`); err != nil {
		t.Fatal(err)
	}
	for _, after := range []string{"", "0190a000-0000-7000-8000-000000000000"} {
		sql, args, err := postgres.ListActivitiesSQL(activity.Query{Equal: map[string]string{"lead_id": l.ID}, After: after, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		p := explain(t, f, sql, args)
		if !strings.Contains(p, "Index Scan using activities_lead_id_idx") || strings.Contains(p, "Seq Scan") || strings.Contains(p, "Sort") {
			t.Errorf("%s is not served by activities_lead_id_idx in order:\n%s", sql, p)
		}
	}
}

// createWithLead creates a call with leadID through the store and returns
// the lead's state as the create's transaction read it.
func createWithLead(t *testing.T, f fixture, leadID string) (activity.LeadState, error) {
	t.Helper()
	var st activity.LeadState
	a := activity.Activity{ID: newID(t), Type: activity.TypeCall, Subject: "Call", LeadID: leadID, ActivityTime: now,
		Version: 1, CreateTime: now, UpdateTime: now}
	_, err := f.store.CreateActivity(t.Context(), "", activity.MethodCreate, activity.LinkIDs{Lead: leadID},
		func(acc activity.LinkAccounts) (activity.Activity, activity.Event, error) {
			st = acc.Lead
			return a, activity.Event{Type: activity.EventCreated, Key: a.ID, Payload: []byte(`{}`)}, nil
		})
	return st, err
}

// An activity write reads its lead's state: found or not, converted, and
// for a duplicate merged away the lead it went into.
func TestActivityWriteReadsLeadState(t *testing.T) {
	f := newFixture(t)
	l := newLead(t, f, "Initech", "bo@initech.example")
	if st, err := createWithLead(t, f, l.ID); err != nil || !st.Found || st.Converted || st.MergedInto != "" {
		t.Fatalf("open lead: %+v %v", st, err)
	}
	dup := newLead(t, f, "Initech", "bo@initech.example")
	if _, err := f.pool.Exec(t.Context(), `INSERT INTO lead_merges (duplicate_id, lead_id, merge_time) VALUES ($1, $2, now())`, dup.ID, l.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pool.Exec(t.Context(), `DELETE FROM leads WHERE id = $1`, dup.ID); err != nil {
		t.Fatal(err)
	}
	st, err := createWithLead(t, f, dup.ID)
	if st.Found || st.MergedInto != l.ID {
		t.Fatalf("merged duplicate: %+v", st)
	}
	// The build did not refuse it, so the foreign key does.
	if err == nil || !strings.Contains(err.Error(), "lead") {
		t.Fatalf("activity with a lead that is gone: %v", err)
	}
}

// A conversion (or a merge, or a deletion) locks the lead FOR UPDATE
// before it reads the lead's activities; an activity write that links the
// lead waits for it and then sees the lead converted, so no activity
// slips past the conversion with the lead's link.
func TestActivityWriteWaitsForLeadConversion(t *testing.T) {
	f := newFixture(t)
	l := newLead(t, f, "Initech", "bo@initech.example")
	tx, err := f.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), `SELECT 1 FROM leads WHERE id = $1 FOR UPDATE`, l.ID); err != nil {
		t.Fatal(err)
	}
	type result struct {
		st  activity.LeadState
		err error
	}
	done := make(chan result, 1)
	go func() {
		st, err := createWithLead(t, f, l.ID)
		done <- result{st, err}
	}()
	select {
	case r := <-done:
		t.Fatalf("the activity write did not wait for the lead's lock: %+v %v", r.st, r.err)
	case <-time.After(300 * time.Millisecond):
	}
	if _, err := tx.Exec(t.Context(), `UPDATE leads SET status = 'converted', convert_time = now() WHERE id = $1`, l.ID); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r := <-done; r.err != nil || !r.st.Found || !r.st.Converted {
		t.Fatalf("after the conversion: %+v %v", r.st, r.err)
	}
}
