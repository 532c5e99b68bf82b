package account

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByExternalID maps an external id to the account holding it.
	ByExternalID map[string]Account
	// ByDomain maps a website domain to the oldest account holding it.
	ByDomain map[string]Account
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

// Import creates or updates one batch of accounts, matched by their
// external_id when the row gives one (and the fields include it), else
// (or when no account has that id yet) by the domain of their website,
// unless the domain's account carries another external id: a row that
// matches no account creates one, a row that matches updates the given
// fields of it (of the oldest such account, for a domain), an empty
// external_id never clears one, two rows matching one account are bad,
// and a row that would change nothing writes nothing.
// It returns a result per row and whether the batch was written (see
// upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("accounts", len(rows)); err != nil {
		return nil, false, err
	}
	byExternal, byDomain := slices.Contains(fields, FieldExternal), slices.Contains(fields, FieldWebsite)
	if !byExternal && !byDomain {
		return nil, false, errs.Invalid("update_mask", "must include external_id or website: imports match accounts by external_id, else by website domain")
	}
	setsParent := slices.Contains(fields, FieldParent)
	checked := make([]upsert.Result, len(rows))
	// A row's key is "x:" and its external id, or "d:" and its domain.
	keys := make([]string, len(rows))
	first := make(map[string]int, len(rows))
	var domains, externalIDs, parents []string
	rows = slices.Clone(rows) // validate writes ids in their canonical form
	for i := range rows {
		in := &rows[i]
		if err := in.validate(fields); err != nil {
			if checked[i], err = upsert.InvalidResult(err); err != nil {
				return nil, false, err
			}
			continue
		}
		field, what, value := FieldWebsite, "domain", Domain(in.Website)
		switch {
		case byExternal && in.ExternalID != "":
			field, what, value = FieldExternal, "external_id", in.ExternalID
			keys[i] = "x:" + value
		case byDomain && value != "":
			keys[i] = "d:" + value
		default:
			checked[i] = upsert.Invalidf(string(FieldWebsite), "is required without an external_id: imports match accounts by external_id, else by website domain")
			continue
		}
		if j, dup := first[keys[i]]; dup {
			checked[i] = upsert.Invalidf(string(field), fmt.Sprintf("has the %s %q of row %d of this batch", what, value, j))
			continue
		}
		first[keys[i]] = i
		if field == FieldExternal {
			externalIDs = append(externalIDs, value)
		}
		// A row with an external id no account has yet falls back to its
		// domain (an account made in the CRM, now given its id).
		if d := Domain(in.Website); byDomain && d != "" {
			domains = append(domains, d)
		}
		if setsParent && in.ParentID != "" {
			parents = append(parents, in.ParentID)
		}
	}
	var results []upsert.Result
	var written bool
	err := s.store.ImportAccounts(ctx, domains, externalIDs, parents, func(found ImportFound) (*ImportPlan, error) {
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
			var cur Account
			var ok bool
			if id, isExternal := strings.CutPrefix(keys[i], "x:"); isExternal {
				cur, ok = found.ByExternalID[id]
			}
			if !ok && byDomain {
				cur, ok = found.ByDomain[Domain(in.Website)]
				if ok && cur.ExternalID != "" && in.ExternalID != "" && cur.ExternalID != in.ExternalID {
					ok = false // the domain's account is another system's record: a new one
				}
			}
			if ok {
				if j, twice := matched[cur.ID]; twice {
					results[i] = upsert.Invalidf(string(FieldWebsite), fmt.Sprintf("matches the same account as row %d of this batch", j))
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
