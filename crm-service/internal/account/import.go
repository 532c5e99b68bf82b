package account

import (
	"context"
	"fmt"
	"slices"

	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportKeys are what an import's transaction looks up: the accounts of
// the ids rows give, the accounts holding the external ids and website
// domains rows give, and the parents rows name.
type ImportKeys struct {
	IDs         []string
	Domains     []string
	ExternalIDs []string
	Parents     []string
}

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByID maps the ids asked about to their accounts.
	ByID map[string]Account
	// ByExternalID maps an external id to the account holding it.
	ByExternalID map[string]Account
	// ByDomain maps a website domain to every account holding it, oldest
	// first.
	ByDomain map[string][]Account
	// Parents holds the parent account ids asked about that exist.
	Parents map[string]bool
}

// ImportPlan is what an import writes: new accounts, changed accounts (at
// their new version) and the events of both, in one transaction.
type ImportPlan struct {
	Insert []Account
	Update []Account
	Events []Event
	// DryRun asks the store to write the plan, check it, and roll it back:
	// a validate-only import that would write, so that what only the
	// database can check (the hierarchy staying a tree) is reported too.
	DryRun bool
}

// importKey is how a row of an import finds its account.
type importKey struct {
	// field is the row's key field, named in its violations.
	field string
	// kind is 'i' (an id), 'x' (an external id) or 'd' (a website domain).
	kind  byte
	value string
}

func (k importKey) String() string { return string(k.kind) + ":" + k.value }

// fieldID is the id of an import row: read-only in every other request,
// it is the key of the row in an import.
const fieldID = "id"

// Import creates or updates one batch of accounts. A row that gives its
// id updates that account (an id that names none is a bad row). Other
// rows are matched by their external_id when the row gives one (and the
// fields include it), else (or when no account has that id yet) by the
// domain of their website, leaving out accounts that carry another
// external id: a row that matches no account creates one, a row that
// matches one updates the given fields of it, and a row whose domain
// matches several accounts is bad (it must not guess which one it
// means: its id, or an external id, tells them apart). An empty
// external_id never clears one, two rows matching one account are bad,
// and a row that would change nothing writes nothing.
// It returns a result per row and whether the batch was written (see
// upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("accounts", len(rows)); err != nil {
		return nil, false, err
	}
	byExternal, byDomain := slices.Contains(fields, FieldExternal), slices.Contains(fields, FieldWebsite)
	if !byExternal && !byDomain && !slices.ContainsFunc(rows, func(in Input) bool { return in.ID != "" }) {
		return nil, false, errs.Invalid("update_mask", "must include external_id or website unless the rows give their ids: imports match accounts by id, else by external_id, else by website domain")
	}
	setsParent := slices.Contains(fields, FieldParent)
	checked := make([]upsert.Result, len(rows))
	keys := make([]importKey, len(rows))
	first := make(map[string]int, len(rows))
	var keysFound ImportKeys
	rows = slices.Clone(rows) // validate writes ids in their canonical form
	for i := range rows {
		in := &rows[i]
		// A row's website is checked for its form when the row creates an
		// account or changes the website of one (see Update).
		if err := in.validateExceptWebsiteForm(fields); err != nil {
			var v errs.Violations
			_ = v.Merge("", err)
			_ = v.Merge("", in.websiteFormError(fields, nil))
			if checked[i], err = upsert.InvalidResult(v.Err()); err != nil {
				return nil, false, err
			}
			continue
		}
		domain := Domain(in.Website)
		switch {
		case in.ID != "":
			keys[i] = importKey{fieldID, 'i', in.ID}
		case byExternal && in.ExternalID != "":
			keys[i] = importKey{string(FieldExternal), 'x', in.ExternalID}
		case byDomain && domain != "":
			keys[i] = importKey{string(FieldWebsite), 'd', domain}
		case !byExternal && !byDomain:
			checked[i] = upsert.Invalidf(fieldID, "is required when the update_mask names neither external_id nor website: imports match accounts by id, else by external_id, else by website domain")
			continue
		default:
			checked[i] = upsert.Invalidf(string(FieldWebsite), "is required without an id or external_id: imports match accounts by id, else by external_id, else by website domain")
			continue
		}
		k := keys[i]
		if j, dup := first[k.String()]; dup {
			checked[i] = upsert.Invalidf(k.field, fmt.Sprintf("has the %s %q of row %d of this batch", keyName(k), k.value, j))
			continue
		}
		// An id row setting an external id gives it to its account: no
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
		// A row with an external id no account has yet falls back to its
		// domain (an account made in the CRM, now given its id).
		if k.kind != 'i' && byDomain && domain != "" {
			keysFound.Domains = append(keysFound.Domains, domain)
		}
		if setsParent && in.ParentID != "" {
			keysFound.Parents = append(keysFound.Parents, in.ParentID)
		}
	}
	var results []upsert.Result
	var written bool
	err := s.store.ImportAccounts(ctx, keysFound, func(found ImportFound) (*ImportPlan, error) {
		// A retried transaction decides again from the checked rows.
		results = slices.Clone(checked)
		plan := &ImportPlan{}
		matched := map[string]int{} // account id -> the row that matched it
		for i, in := range rows {
			if results[i].Outcome == upsert.Invalid {
				continue
			}
			if setsParent && in.ParentID != "" && !found.Parents[in.ParentID] {
				results[i] = upsert.Invalidf(string(FieldParent), fmt.Sprintf("account %q not found", in.ParentID))
				continue
			}
			cur, ok, bad := match(keys[i], in, found, byExternal, byDomain)
			if bad != nil {
				results[i] = *bad
				continue
			}
			if ok {
				if j, twice := matched[cur.ID]; twice {
					results[i] = upsert.Invalidf(keys[i].field, fmt.Sprintf("matches the same account as row %d of this batch", j))
					continue
				}
				matched[cur.ID] = i
			}
			if !ok {
				a, ev, err := s.New(in)
				if err != nil {
					if results[i], err = upsert.InvalidResult(err); err != nil {
						return nil, err
					}
					continue
				}
				results[i] = upsert.Result{Outcome: upsert.Created, ID: a.ID}
				plan.Insert = append(plan.Insert, a)
				plan.Events = append(plan.Events, ev)
				continue
			}
			rowFields := fields
			if in.ExternalID == "" {
				// An empty external_id never clears one: files (and clients)
				// without the column's value keep it.
				rowFields = slices.DeleteFunc(slices.Clone(fields), func(f Field) bool { return f == FieldExternal })
			}
			if err := in.websiteFormError(rowFields, &cur.Website); err != nil {
				if results[i], err = upsert.InvalidResult(err); err != nil {
					return nil, err
				}
				continue
			}
			next := apply(cur, in, rowFields)
			switch {
			case clientWritten(next) == clientWritten(cur):
				results[i] = upsert.Result{Outcome: upsert.Unchanged, ID: cur.ID}
				continue
			case next.ParentID == cur.ID:
				results[i] = upsert.Invalidf(string(FieldParent), "an account cannot be its own parent")
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
			if validateOnly && upsert.Write(mode, false, results) {
				plan.DryRun = true
				return plan, nil
			}
			return nil, nil
		}
		return plan, nil
	})
	if err != nil {
		return nil, false, err
	}
	return results, written, nil
}

// keyName names the kind of a row's key in a violation.
func keyName(k importKey) string {
	switch k.kind {
	case 'i':
		return "id"
	case 'x':
		return "external_id"
	}
	return "domain"
}

// match finds the account a checked row with key k updates: ok is false
// when the row creates one, bad is set when the row is invalid.
func match(k importKey, in Input, found ImportFound, byExternal, byDomain bool) (cur Account, ok bool, bad *upsert.Result) {
	domain := Domain(in.Website)
	keys := upsert.Keys[Account]{
		Kind: "account", Third: string(FieldWebsite),
		ID: func(a Account) string { return a.ID }, ExternalID: func(a Account) string { return a.ExternalID },
		ByID: found.ByID, ByExternalID: found.ByExternalID, ByThird: found.ByDomain,
	}
	return upsert.MatchByKeys(keys, k.kind, k.value, in.ExternalID, domain, fmt.Sprintf("by the domain %q", domain), byExternal, byDomain)
}
