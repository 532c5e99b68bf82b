package lead

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/seamhq/seam/platform/errs"
)

// memStore keeps one lead, enough to exercise the update rules.
type memStore struct {
	Store
	l Lead
}

func (m *memStore) UpdateLead(_ context.Context, _ string, fn func(Lead) (Change, error)) (Lead, error) {
	ch, err := fn(m.l)
	if err != nil {
		return Lead{}, err
	}
	if !ch.Unchanged {
		m.l = ch.Lead
	}
	return m.l, nil
}

type names struct{}

func (names) EncodeLead(l Lead) ([]byte, error) { return []byte(`"` + l.Name + `"`), nil }

const id = "01900000-0000-7000-8000-000000000001"

func TestStatusTransitions(t *testing.T) {
	all := []Status{StatusNew, StatusWorking, StatusQualified, StatusDisqualified}
	allowed := map[[2]Status]bool{
		{StatusNew, StatusWorking}: true, {StatusNew, StatusQualified}: true, {StatusNew, StatusDisqualified}: true,
		{StatusWorking, StatusQualified}: true, {StatusWorking, StatusDisqualified}: true,
		{StatusQualified, StatusWorking}: true, {StatusQualified, StatusDisqualified}: true,
		{StatusDisqualified, StatusWorking}: true,
	}
	for _, from := range append(all, StatusConverted) {
		for _, to := range all {
			st := &memStore{l: Lead{ID: id, Name: "A", Status: from, Version: 1}}
			s := NewService(st, names{}, nil, nil, nil, nil, nil, time.Now)
			_, err := s.Update(context.Background(), id, Input{Status: to}, []Field{FieldStatus}, "", false)
			switch {
			case from == to && from != StatusConverted:
				if err != nil || st.l.Version != 1 {
					t.Errorf("%s -> %s: %v (version %d), want no change", from, to, err, st.l.Version)
				}
			case allowed[[2]Status{from, to}]:
				if err != nil || st.l.Status != to {
					t.Errorf("%s -> %s: %v", from, to, err)
				}
			default:
				if !errors.Is(err, errs.ErrFailedPrecondition) {
					t.Errorf("%s -> %s: %v, want FAILED_PRECONDITION", from, to, err)
				}
			}
		}
	}
}

// Unlink clears one link of a converted lead, as an update: next version,
// the clock's time, an updated event; the lead stays converted. A field
// that is no link is refused.
func TestUnlink(t *testing.T) {
	at := time.Date(2031, 2, 3, 4, 5, 6, 0, time.UTC)
	s := NewService(nil, names{}, nil, nil, nil, nil, nil, func() time.Time { return at })
	l := Lead{ID: "l1", Name: "Ana", Status: StatusConverted, ConvertedAccountID: "a", ConvertedContactID: "c",
		ConvertedOpportunityID: "o", Version: 2}
	for link, want := range map[Link]Lead{
		LinkAccount:     {ConvertedContactID: "c", ConvertedOpportunityID: "o"},
		LinkContact:     {ConvertedAccountID: "a", ConvertedOpportunityID: "o"},
		LinkOpportunity: {ConvertedAccountID: "a", ConvertedContactID: "c"},
	} {
		u, err := s.UnlinkAll([]Lead{l}, link)
		if err != nil || len(u.Leads) != 1 || len(u.Events) != 1 {
			t.Fatalf("%s: %+v %v", link, u, err)
		}
		got, ev := u.Leads[0], u.Events[0]
		if got.ConvertedAccountID != want.ConvertedAccountID || got.ConvertedContactID != want.ConvertedContactID ||
			got.ConvertedOpportunityID != want.ConvertedOpportunityID || got.Status != StatusConverted ||
			got.Version != 3 || !got.UpdateTime.Equal(at) {
			t.Errorf("%s: %+v", link, got)
		}
		if ev.Type != EventUpdated || ev.Key != "l1" || string(ev.Payload) != `"Ana"` {
			t.Errorf("%s: event %+v", link, ev)
		}
	}
	if _, _, err := s.Unlink(l, Link("name")); err == nil {
		t.Error("unlinking a field that is no link succeeded")
	}
}
