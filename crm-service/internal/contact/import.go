package contact

import (
	"context"
	"fmt"
	"slices"

	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportKeys are what an import's transaction looks up: the contacts of
// the ids rows give, the contacts holding the email keys other rows give,
// and the accounts rows name.
type ImportKeys struct {
	IDs       []string
	EmailKeys []string
	Accounts  []string
}

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByID maps the ids asked about to their contacts.
	ByID map[string]Contact
	// ByEmail maps an EmailKey to every contact with it, oldest first.
	ByEmail map[string][]Contact
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

// fieldID is the id of an import row: read-only in every other request,
// it is the key of the row in an import.
const fieldID = "id"

// Import creates or updates one batch of contacts. A row that gives its
// id updates that contact (an id that names none is a bad row). Other
// rows are matched by email (EmailKey): a row whose email no contact has
// creates a contact, a row whose email one contact has updates the given
// fields of it, and a row whose email several contacts have is bad (it
// must not guess which one it means: its id tells them apart). Two rows
// matching one contact are bad, and a row that would change nothing
// writes nothing. It returns a result per row and whether the batch was
// written (see upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("contacts", len(rows)); err != nil {
		return nil, false, err
	}
	byEmail := slices.Contains(fields, FieldEmail)
	if !byEmail && !slices.ContainsFunc(rows, func(in Input) bool { return in.ID != "" }) {
		return nil, false, errs.Invalid("update_mask", "must include email unless the rows give their ids: imports match contacts by id, else by email")
	}
	setsAccount := slices.Contains(fields, FieldAccountID)
	checked := make([]upsert.Result, len(rows))
	// A row's key is "i:" and its id, or "e:" and its email key.
	keys := make([]string, len(rows))
	first := make(map[string]int, len(rows))
	var keysFound ImportKeys
	rows = slices.Clone(rows) // validate writes ids in their canonical form
	for i := range rows {
		in := &rows[i]
		if err := in.validate(fields); err != nil {
			if checked[i], err = upsert.InvalidResult(err); err != nil {
				return nil, false, err
			}
			continue
		}
		email := EmailKey(in.Email)
		switch {
		case in.ID != "":
			keys[i] = "i:" + in.ID
		case !byEmail:
			checked[i] = upsert.Invalidf(fieldID, "is required when the update_mask does not name email: imports match contacts by id, else by email")
			continue
		case email == "":
			checked[i] = upsert.Invalidf(string(FieldEmail), "is required without an id: imports match contacts by id, else by email")
			continue
		default:
			keys[i] = "e:" + email
		}
		if j, dup := first[keys[i]]; dup {
			if in.ID != "" {
				checked[i] = upsert.Invalidf(fieldID, fmt.Sprintf("has the id %q of row %d of this batch", in.ID, j))
			} else {
				checked[i] = upsert.Invalidf(string(FieldEmail), fmt.Sprintf("is also the email of row %d of this batch", j))
			}
			continue
		}
		first[keys[i]] = i
		if in.ID != "" {
			keysFound.IDs = append(keysFound.IDs, in.ID)
		} else {
			keysFound.EmailKeys = append(keysFound.EmailKeys, email)
		}
		if setsAccount && in.AccountID != "" {
			keysFound.Accounts = append(keysFound.Accounts, in.AccountID)
		}
	}
	var results []upsert.Result
	var written bool
	err := s.store.ImportContacts(ctx, keysFound, func(found ImportFound) (*ImportPlan, error) {
		// A retried transaction decides again from the checked rows.
		results = slices.Clone(checked)
		plan := &ImportPlan{}
		matched := make(upsert.Claims, len(rows))
		for i, in := range rows {
			if results[i].Outcome == upsert.Invalid {
				continue
			}
			if setsAccount && in.AccountID != "" && !found.Accounts[in.AccountID] {
				results[i] = upsert.Invalidf(string(FieldAccountID), fmt.Sprintf("account %q not found", in.AccountID))
				continue
			}
			cur, ok, bad := match(keys[i], found)
			if bad != nil {
				results[i] = *bad
				continue
			}
			if ok {
				field := string(FieldEmail)
				if in.ID != "" {
					field = fieldID
				}
				if bad, claimed := matched.Claim(cur.ID, i, field, "contact"); !claimed {
					results[i] = bad
					continue
				}
			}
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

// match finds the contact a checked row with key k updates (see
// upsert.MatchByIDOrEmail).
func match(k string, found ImportFound) (Contact, bool, *upsert.Result) {
	return upsert.MatchByIDOrEmail(k, "contact", found.ByID, found.ByEmail, func(c Contact) string { return c.ID })
}
