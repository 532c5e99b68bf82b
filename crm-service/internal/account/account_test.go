package account

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/platform/errs"
)

// memStore keeps one account, enough to exercise the service's rules.
type memStore struct {
	Store
	a      Account
	events []Event
	hasOpp bool
}

func (m *memStore) UpdateAccount(_ context.Context, _ string, fn func(Account) (Change, error)) (Account, error) {
	ch, err := fn(m.a)
	if err != nil {
		return Account{}, err
	}
	if ch.Unchanged {
		return m.a, nil
	}
	m.a = ch.Account
	if ch.Event != nil {
		m.events = append(m.events, *ch.Event)
	}
	return m.a, nil
}

func (m *memStore) DeleteAccount(_ context.Context, _ string, fn func(Account, bool, []activity.Activity) (Deletion, error)) error {
	d, err := fn(m.a, m.hasOpp, nil)
	if err == nil {
		m.events = append(m.events, d.Event)
	}
	return err
}

type jsonName struct{}

func (jsonName) EncodeAccount(a Account) ([]byte, error) { return []byte(`"` + a.Name + `"`), nil }

const id = "01900000-0000-7000-8000-000000000001"

func newService(st *memStore) *Service {
	return NewService(st, jsonName{}, nil, func() time.Time { return time.Date(2030, 1, 1, 0, 0, 0, 123456789, time.UTC) })
}

func TestUpdateRules(t *testing.T) {
	st := &memStore{a: Account{ID: id, Name: "Acme", Version: 3}}
	s := newService(st)
	ctx := context.Background()
	if _, err := s.Update(ctx, id, Input{Name: "X"}, []Field{FieldName}, "2", false); !errors.Is(err, errs.ErrAborted) {
		t.Fatalf("stale etag: %v", err)
	}
	a, err := s.Update(ctx, id, Input{Name: "Acme"}, []Field{FieldName}, "3", false)
	if err != nil || a.Version != 3 || len(st.events) != 0 {
		t.Fatalf("no-op update: %+v %v", a, err)
	}
	a, err = s.Update(ctx, id, Input{Name: "Beta", Owner: "ignored"}, []Field{FieldName}, "", false)
	if err != nil || a.Version != 4 || a.Owner != "" || a.UpdateTime.Nanosecond() != 123456000 || len(st.events) != 1 || st.events[0].Type != EventUpdated {
		t.Fatalf("update: %+v %v %v", a, err, st.events)
	}
	if _, err := s.Update(ctx, id, Input{}, MutableFields, "", false); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Fatalf("empty name: %v", err)
	}
	// Linking bumps the version without an event.
	a, err = s.LinkCustomer(ctx, id, "C-1")
	if err != nil || a.ERPCustomerID != "C-1" || a.Version != 5 || len(st.events) != 1 {
		t.Fatalf("link: %+v %v", a, err)
	}
	st.hasOpp = true
	if err := s.Delete(ctx, id, ""); !errors.Is(err, errs.ErrFailedPrecondition) {
		t.Fatalf("delete with opportunities: %v", err)
	}
	st.hasOpp = false
	if err := s.Delete(ctx, id, "5"); err != nil || st.events[1].Type != EventDeleted {
		t.Fatalf("delete: %v %v", err, st.events)
	}
}

// A parent id is a UUID in its 36-character form, in either case, and is
// kept in the canonical lower-case form (which the store compares); any
// other form is bad input, not a "not found" later.
func TestParentIDMustBeCanonical(t *testing.T) {
	const canonical = "0190f6b8-0000-7000-8000-00000000abcd"
	for id, ok := range map[string]bool{
		canonical:                                 true,
		"0190F6B8-0000-7000-8000-00000000ABCD":    true,
		"{" + canonical + "}":                     false,
		"urn:uuid:" + canonical:                   false,
		"0190f6b800007000800000000000abcd":        false,
		"0190-f6b8-0000-7000-8000-0000-0000-abcd": false,
	} {
		in := Input{Name: "A", ParentID: id}
		err := in.validate([]Field{FieldName, FieldParent})
		if (err == nil) != ok {
			t.Errorf("parent %q: %v", id, err)
		}
		if ok && in.ParentID != canonical {
			t.Errorf("parent %q is kept as %q", id, in.ParentID)
		}
	}
}

// An external id is a key: it is kept trimmed, so " EXT-1 " is the key of
// the account holding "EXT-1", and a blank one is no key at all.
func TestExternalIDIsTrimmed(t *testing.T) {
	for raw, want := range map[string]string{
		"EXT-1":    "EXT-1",
		" EXT-1\t": "EXT-1",
		"   ":      "",
		"\n":       "",
		"A B":      "A B",
		"":         "",
	} {
		in := Input{Name: "A", ExternalID: raw}
		if err := in.validate([]Field{FieldName, FieldExternal}); err != nil {
			t.Fatalf("external id %q: %v", raw, err)
		}
		if in.ExternalID != want {
			t.Errorf("external id %q is kept as %q, want %q", raw, in.ExternalID, want)
		}
	}
	st := &memStore{a: Account{ID: id, Name: "Acme", ExternalID: "EXT-1", Version: 3}}
	s := newService(st)
	a, err := s.Update(context.Background(), id, Input{ExternalID: " EXT-1 "}, []Field{FieldExternal}, "3", false)
	if err != nil {
		t.Fatal(err)
	}
	if a.Version != 3 || len(st.events) != 0 {
		t.Errorf("the same external id padded wrote version %d, %d events; want no write", a.Version, len(st.events))
	}
	created, _, err := s.New(Input{Name: "B", ExternalID: "  "})
	if err != nil {
		t.Fatal(err)
	}
	if created.ExternalID != "" {
		t.Errorf("a blank external id is kept as %q", created.ExternalID)
	}
}
