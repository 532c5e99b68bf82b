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
			s := NewService(st, names{}, nil, nil, nil, nil, time.Now)
			_, err := s.Update(context.Background(), id, Input{Status: to}, []Field{FieldStatus}, "")
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
