package contact

import (
	"context"
	"fmt"
	"slices"

	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportKeys are what an import's transaction looks up: the contacts of
// the ids rows give, the contacts holding the external ids and email keys
// other rows give, and the accounts rows name.
type ImportKeys struct {
	IDs         []string
	ExternalIDs []string
	EmailKeys   []string
	Accounts    []string
}

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByID maps the ids asked about to their contacts.
	ByID map[string]Contact
	// ByExternalID maps an external id to the contact holding it.
	ByExternalID map[string]Contact
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

// importKey is how a row of an import finds its contact.
type importKey struct {
	// field is the row's key field, named in its violations.
	field string
	// kind is 'i' (an id), 'x' (an external id) or 'e' (an email key).
	kind  byte
	value string
}

func (k importKey) String() string { return string(k.kind) + ":" + k.value }

// keyName names the kind of a row's key in a violation.
func (k importKey) name() string {
	switch k.kind {
	case 'i':
		return "id"
	case 'x':
		return "external_id"
	}
	return "email"
}

// fieldID is the id of an import row: read-only in every other request,
// it is the key of the row in an import.
const fieldID = "id"

// keysRule says how imports match contacts, for violations.
const keysRule = "imports match contacts by id, else by external_id, else by email"

// Import creates or updates one batch of contacts. A row that gives its
// id updates that contact (an id that names none is a bad row). Other
// rows are matched by their external_id when the row gives one (and the
// fields include it), else (or when no contact has that external id yet)
// by email (EmailKey), leaving out contacts that carry another external
// id: a row that matches no contact creates one, a row that matches one
// updates the given fields of it, and a row whose email several contacts
// have is bad (it must not guess which one it means: its id, or an
// external id, tells them apart). An empty external_id never clears one,
// two rows matching one contact are bad, and a row that would change
// nothing writes nothing. It returns a result per row and whether the
// batch was written (see upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("contacts", len(rows)); err != nil {
		return nil, false, err
	}
	byExternal, byEmail := slices.Contains(fields, FieldExternal), slices.Contains(fields, FieldEmail)
	if !byExternal && !byEmail && !slices.ContainsFunc(rows, func(in Input) bool { return in.ID != "" }) {
		return nil, false, errs.Invalid("update_mask", "must include external_id or email unless the rows give their ids: "+keysRule)
	}
	setsAccount := slices.Contains(fields, FieldAccountID)
	checked := make([]upsert.Result, len(rows))
	keys := make([]importKey, len(rows))
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
			keys[i] = importKey{fieldID, 'i', in.ID}
		case byExternal && in.ExternalID != "":
			keys[i] = importKey{string(FieldExternal), 'x', in.ExternalID}
		case byEmail && email != "":
			keys[i] = importKey{string(FieldEmail), 'e', email}
		case !byExternal && !byEmail:
			checked[i] = upsert.Invalidf(fieldID, "is required when the update_mask names neither external_id nor email: "+keysRule)
			continue
		default:
			checked[i] = upsert.Invalidf(string(FieldEmail), "is required without an id or external_id: "+keysRule)
			continue
		}
		k := keys[i]
		if j, dup := first[k.String()]; dup {
			if k.kind == 'e' {
				checked[i] = upsert.Invalidf(k.field, fmt.Sprintf("is also the email of row %d of this batch", j))
			} else {
				checked[i] = upsert.Invalidf(k.field, fmt.Sprintf("has the %s %q of row %d of this batch", k.name(), k.value, j))
			}
			continue
		}
		// An id row setting an external id gives it to its contact: no
		// other row may claim it.
		ext := importKey{string(FieldExternal), 'x', in.ExternalID}
		if k.kind == 'i' && byExternal && in.ExternalID != "" {
			if j, dup := first[ext.String()]; dup {
				checked[i] = upsert.Invalidf(string(FieldExternal), fmt.Sprintf("has the external_id %q of row %d of this batch", ext.value, j))
				continue
			}
			first[ext.String()] = i
		}
		first[k.String()] = i
		switch k.kind {
		case 'i':
			keysFound.IDs = append(keysFound.IDs, k.value)
			if byExternal && in.ExternalID != "" {
				keysFound.ExternalIDs = append(keysFound.ExternalIDs, in.ExternalID)
			}
		case 'x':
			keysFound.ExternalIDs = append(keysFound.ExternalIDs, k.value)
		}
		// A row with an external id no contact has yet falls back to its
		// email (a contact made in the CRM, now given the partner's key).
		if k.kind != 'i' && byEmail && email != "" {
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
			cur, ok, bad := match(keys[i], in, found, byExternal, byEmail)
			if bad != nil {
				results[i] = *bad
				continue
			}
			if ok {
				if bad, claimed := matched.Claim(cur.ID, i, keys[i].field, "contact"); !claimed {
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
			rowFields := fields
			if in.ExternalID == "" {
				// An empty external_id never clears one: files (and clients)
				// without the column's value keep it.
				rowFields = slices.DeleteFunc(slices.Clone(fields), func(f Field) bool { return f == FieldExternal })
			}
			next := apply(cur, in, rowFields)
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

// match finds the contact a checked row with key k updates: ok is false
// when the row creates one, bad is set when the row is invalid.
func match(k importKey, in Input, found ImportFound, byExternal, byEmail bool) (cur Contact, ok bool, bad *upsert.Result) {
	keys := upsert.Keys[Contact]{
		Kind: "contact", Third: string(FieldEmail),
		ID: func(c Contact) string { return c.ID }, ExternalID: func(c Contact) string { return c.ExternalID },
		ByID: found.ByID, ByExternalID: found.ByExternalID, ByThird: found.ByEmail,
	}
	return upsert.MatchByKeys(keys, k.kind, k.value, in.ExternalID, EmailKey(in.Email), "by email", byExternal, byEmail)
}
