package lead

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/upsert"
	"github.com/seamhq/seam/platform/errs"
)

// ImportFound is what an import's transaction found for its keys.
type ImportFound struct {
	// ByEmail maps an email key (contact.EmailKey) to the oldest lead
	// with it.
	ByEmail map[string]Lead
	// Campaigns holds the campaign ids asked about that exist.
	Campaigns map[string]bool
}

// ImportPlan is what an import writes: new leads, changed leads (at their
// new version) and the events of both, in one transaction.
type ImportPlan struct {
	Insert []Lead
	Update []Lead
	Events []Event
}

// Import creates or updates one batch of leads, matched by email (without
// case): a row whose email no lead has creates a lead, a row whose email a
// lead has updates the given fields of the oldest such lead (not when it
// is converted; status moves follow the usual transitions), and a row that
// would change nothing writes nothing. It returns a result per row and
// whether the batch was written (see upsert.Write).
func (s *Service) Import(ctx context.Context, rows []Input, fields []Field, mode upsert.Mode, validateOnly bool) ([]upsert.Result, bool, error) {
	if err := upsert.CheckBatch("leads", len(rows)); err != nil {
		return nil, false, err
	}
	if !slices.Contains(fields, FieldEmail) {
		return nil, false, errs.Invalid("update_mask", "must include email: imports match leads by email")
	}
	setsCampaign := slices.Contains(fields, FieldCampaignID)
	checked := make([]upsert.Result, len(rows))
	keys := make([]string, len(rows))
	first := make(map[string]int, len(rows))
	var emails, campaigns []string
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
		keys[i] = contact.EmailKey(in.Email)
		if keys[i] == "" {
			checked[i] = upsert.Invalidf(string(FieldEmail), "is required: imports match leads by email")
			continue
		}
		if j, dup := first[keys[i]]; dup {
			checked[i] = upsert.Invalidf(string(FieldEmail), fmt.Sprintf("is also the email of row %d of this batch", j))
			continue
		}
		if setsCampaign && in.CampaignID != "" {
			if u, err := uuid.Parse(in.CampaignID); err != nil || u.String() != in.CampaignID {
				checked[i] = upsert.Invalidf(string(FieldCampaignID), fmt.Sprintf("%q is not a valid campaign id", in.CampaignID))
				continue
			}
			campaigns = append(campaigns, in.CampaignID)
		}
		first[keys[i]] = i
		emails = append(emails, keys[i])
	}
	var results []upsert.Result
	var written bool
	err := s.store.ImportLeads(ctx, emails, campaigns, func(found ImportFound) (*ImportPlan, error) {
		// A retried transaction decides again from the checked rows.
		results = slices.Clone(checked)
		plan := &ImportPlan{}
		for i, in := range rows {
			if results[i].Outcome == upsert.Invalid {
				continue
			}
			if setsCampaign && in.CampaignID != "" && !found.Campaigns[in.CampaignID] {
				results[i] = upsert.Invalidf(string(FieldCampaignID), fmt.Sprintf("campaign %q not found", in.CampaignID))
				continue
			}
			cur, ok := found.ByEmail[keys[i]]
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
