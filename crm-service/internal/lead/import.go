package lead

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportKeys are what an import's transaction looks up: the leads of the
// ids rows give, the leads holding the email keys other rows give, and
// the campaigns rows name.
type ImportKeys struct {
	IDs       []string
	EmailKeys []string
	Campaigns []string
}

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByID maps the ids asked about to their leads.
	ByID map[string]Lead
	// ByEmail maps an email key (contact.EmailKey) to every lead with it,
	// oldest first.
	ByEmail map[string][]Lead
	// Campaigns holds the campaign ids asked about that exist.
	Campaigns map[string]bool
	// MergedInto maps the ids asked about of leads merged away to the
	// lead each went into.
	MergedInto map[string]string
}

// ImportPlan is what an import writes: new leads, changed leads (at their
// new version) and the events of both, in one transaction.
type ImportPlan struct {
	Insert []Lead
	Update []Lead
	Events []Event
}

// fieldID is the id of an import row: read-only in every other request,
// it is the key of the row in an import.
const fieldID = "id"

// Import creates or updates one batch of leads. A row that gives its id
// updates that lead (an id that names none is a bad row). Other rows are
// matched by email (without case): a row whose email no lead has creates
// a lead, a row whose email one lead has updates the given fields of it
// (not when it is converted; status moves follow the usual transitions),
// and a row whose email several leads have is bad (it must not guess
// which one it means: its id tells them apart). Two rows matching one
// lead are bad, and a row that would change nothing writes nothing. It
// returns a result per row and whether the batch was written (see
// upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("leads", len(rows)); err != nil {
		return nil, false, err
	}
	byEmail := slices.Contains(fields, FieldEmail)
	if !byEmail && !slices.ContainsFunc(rows, func(in Input) bool { return in.ID != "" }) {
		return nil, false, errs.Invalid("update_mask", "must include email unless the rows give their ids: imports match leads by id, else by email")
	}
	setsCampaign := slices.Contains(fields, FieldCampaignID)
	checked := make([]upsert.Result, len(rows))
	// A row's key is "i:" and its id, or "e:" and its email key.
	keys := make([]string, len(rows))
	first := make(map[string]int, len(rows))
	var keysFound ImportKeys
	rows = slices.Clone(rows) // validate writes campaign ids in their canonical form
	for i := range rows {
		in := &rows[i]
		vfields := fields
		if in.Status == StatusConverted {
			// Allowed for a lead that is converted already (an exported
			// lead imported again); checked against the lead below.
			vfields = slices.DeleteFunc(slices.Clone(fields), func(f Field) bool { return f == FieldStatus })
		}
		if err := in.validate(vfields); err != nil {
			if checked[i], err = upsert.InvalidResult(err); err != nil {
				return nil, false, err
			}
			continue
		}
		email := contact.EmailKey(in.Email)
		switch {
		case in.ID != "":
			keys[i] = "i:" + in.ID
		case !byEmail:
			checked[i] = upsert.Invalidf(fieldID, "is required when the update_mask does not name email: imports match leads by id, else by email")
			continue
		case email == "":
			checked[i] = upsert.Invalidf(string(FieldEmail), "is required without an id: imports match leads by id, else by email")
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
		if setsCampaign && in.CampaignID != "" {
			if u, err := uuid.Parse(in.CampaignID); err != nil || u.String() != in.CampaignID {
				checked[i] = upsert.Invalidf(string(FieldCampaignID), fmt.Sprintf("%q is not a valid campaign id", in.CampaignID))
				continue
			}
			keysFound.Campaigns = append(keysFound.Campaigns, in.CampaignID)
		}
		first[keys[i]] = i
		if in.ID != "" {
			keysFound.IDs = append(keysFound.IDs, in.ID)
		} else {
			keysFound.EmailKeys = append(keysFound.EmailKeys, email)
		}
	}
	var results []upsert.Result
	var written bool
	err := s.store.ImportLeads(ctx, keysFound, func(found ImportFound) (*ImportPlan, error) {
		// A retried transaction decides again from the checked rows.
		results = slices.Clone(checked)
		plan := &ImportPlan{}
		matched := make(upsert.Claims, len(rows))
		for i, in := range rows {
			if results[i].Outcome == upsert.Invalid {
				continue
			}
			if setsCampaign && in.CampaignID != "" && !found.Campaigns[in.CampaignID] {
				results[i] = upsert.Invalidf(string(FieldCampaignID), fmt.Sprintf("campaign %q not found", in.CampaignID))
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
				if bad, claimed := matched.Claim(cur.ID, i, field, "lead"); !claimed {
					results[i] = bad
					continue
				}
			}
			if in.Status == StatusConverted {
				if !ok || cur.Status != StatusConverted {
					results[i] = upsert.Invalidf(string(FieldStatus), "LEAD_STATUS_CONVERTED is set by ConvertLead only")
					continue
				}
				in.Status = StatusUnspecified
			}
			if !ok {
				l, ev, err := s.newLead(in)
				if err != nil {
					if results[i], err = upsert.InvalidResult(err); err != nil {
						return nil, err
					}
					continue
				}
				results[i] = upsert.Result{Outcome: upsert.Created, ID: l.ID}
				plan.Insert = append(plan.Insert, l)
				plan.Events = append(plan.Events, ev)
				continue
			}
			next, err := apply(cur, in, fields)
			switch {
			case err == nil && next == cur:
				results[i] = upsert.Result{Outcome: upsert.Unchanged, ID: cur.ID}
				continue
			case err == nil && cur.Status == StatusConverted:
				err = errs.FailedPreconditionf("lead %s is converted and can no longer change", cur.ID)
			}
			if err != nil {
				if results[i], err = upsert.InvalidResult(err); err != nil {
					return nil, err
				}
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

// match finds the lead a checked row with key k updates (see
// upsert.MatchByIDOrEmail).
func match(k string, found ImportFound) (Lead, bool, *upsert.Result) {
	// A row of a file exported before a merge names the duplicate: the
	// violation says which lead its data went into.
	if id, isID := strings.CutPrefix(k, "i:"); isID {
		if kept, merged := found.MergedInto[id]; merged {
			if _, ok := found.ByID[id]; !ok {
				r := upsert.Invalidf(fieldID, fmt.Sprintf("lead %q not found: it was merged into lead %q; give the row that id", id, kept))
				return Lead{}, false, &r
			}
		}
	}
	return upsert.MatchByIDOrEmail(k, "lead", found.ByID, found.ByEmail, func(l Lead) string { return l.ID })
}
