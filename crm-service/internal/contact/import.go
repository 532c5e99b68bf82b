package contact

import (
	"context"
	"fmt"
	"slices"

	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByEmail maps an EmailKey to the oldest contact with it.
	ByEmail map[string]Contact
	// Accounts holds the account ids asked about that exist.
	Accounts map[string]bool
}

// ImportPlan is what an import writes: new contacts, changed contacts (at
// their new version) and the events of both, in one transaction.
type ImportPlan struct {
	Insert []Contact
	Update []Contact
	Events []Event
}

// Import creates or updates one batch of contacts, matched by email
// (EmailKey): a row whose email no contact has creates a contact, a row
// whose email a contact has updates the given fields of the oldest such
// contact, and a row that would change nothing writes nothing. It returns
// a result per row and whether the batch was written (see upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("contacts", len(rows)); err != nil {
		return nil, false, err
	}
	if !slices.Contains(fields, FieldEmail) {
		return nil, false, errs.Invalid("update_mask", "must include email: imports match contacts by email")
	}
	setsAccount := slices.Contains(fields, FieldAccountID)
	checked := make([]upsert.Result, len(rows))
	keys := make([]string, len(rows))
	first := make(map[string]int, len(rows))
	var emails, accounts []string
	rows = slices.Clone(rows) // validate writes ids in their canonical form
	for i := range rows {
		in := &rows[i]
		if err := in.validate(fields); err != nil {
			if checked[i], err = upsert.InvalidResult(err); err != nil {
				return nil, false, err
			}
			continue
		}
		keys[i] = EmailKey(in.Email)
		if keys[i] == "" {
			checked[i] = upsert.Invalidf(string(FieldEmail), "is required: imports match contacts by email")
			continue
		}
		if j, dup := first[keys[i]]; dup {
			checked[i] = upsert.Invalidf(string(FieldEmail), fmt.Sprintf("is also the email of row %d of this batch", j))
			continue
		}
		first[keys[i]] = i
		emails = append(emails, keys[i])
		if setsAccount && in.AccountID != "" {
			accounts = append(accounts, in.AccountID)
		}
	}
	var results []upsert.Result
	var written bool
	err := s.store.ImportContacts(ctx, emails, accounts, func(found ImportFound) (*ImportPlan, error) {
		// A retried transaction decides again from the checked rows.
		results = slices.Clone(checked)
		plan := &ImportPlan{}
		for i, in := range rows {
			if results[i].Outcome == upsert.Invalid {
				continue
			}
			if setsAccount && in.AccountID != "" && !found.Accounts[in.AccountID] {
				results[i] = upsert.Invalidf(string(FieldAccountID), fmt.Sprintf("account %q not found", in.AccountID))
				continue
			}
			cur, ok := found.ByEmail[keys[i]]
			if !ok {
				c, ev, err := s.New(in)
				if err != nil {
					if results[i], err = upsert.InvalidResult(err); err != nil {
						return nil, err
					}
					continue
				}
				results[i] = upsert.Result{Outcome: upsert.Created, ID: c.ID}
				plan.Insert = append(plan.Insert, c)
				plan.Events = append(plan.Events, ev)
				continue
			}
			next := apply(cur, in, fields)
			if next == cur {
				results[i] = upsert.Result{Outcome: upsert.Unchanged, ID: cur.ID}
				continue
			}
			next.Version++
			next.UpdateTime = s.now()
			ev, err := s.event(EventUpdated, next)
			if err != nil {
				return nil, err
			}
			results[i] = upsert.Result{Outcome: upsert.Updated, ID: cur.ID}
			plan.Update = append(plan.Update, next)
			plan.Events = append(plan.Events, ev)
		}
		if written = upsert.Write(mode, validateOnly, results); !written {
			upsert.Forget(results)
			return nil, nil
		}
		return plan, nil
	})
	if err != nil {
		return nil, false, err
	}
	return results, written, nil
}
