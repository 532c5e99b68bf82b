package lead

import (
	"context"
	"time"

	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// Merge is what merging a duplicate into a lead writes: the kept lead
// (with Event when it changed), the duplicate's campaign memberships and
// activities moved to it, and the duplicate deleted with DuplicateEvent.
type Merge struct {
	Lead           Lead
	Event          *Event
	Members        campaign.Transfer
	Activities     activity.Unlinked
	DuplicateEvent Event
	// Time is when the merge happened.
	Time time.Time
}

// Merge merges the lead duplicateID into the lead id, which is kept: each
// field empty on the kept lead (company, title, email, phone, website,
// source, campaign_id, owner) takes the duplicate's value; the name and
// status stay the kept lead's, and a campaign_id of free text (from before
// campaigns) is not copied. The duplicate's campaign memberships move to
// the kept lead; where both are members of a campaign the kept lead's
// membership stays, RESPONDED if either responded, and the duplicate's is
// deleted. The duplicate's activities move to the kept lead. Then the
// duplicate is deleted. All in one transaction, with the events
// campaign_member.updated/deleted, activity.updated, lead.updated (when
// the kept lead changed) and lead.deleted. A converted lead (either one) is
// FAILED_PRECONDITION; a non-empty etag must be the kept lead's.
//
// Merging the same pair again after it succeeded returns the kept lead
// as it is and writes nothing (the store remembers which lead a
// duplicate went into, and the etag is not checked then, as the merge
// changed it); a duplicate that was deleted otherwise, or merged into
// another lead, is NOT_FOUND.
func (s *Service) Merge(ctx context.Context, id, duplicateID, etag string) (Lead, error) {
	var v errs.Violations
	id, err := ids.UUID("id", id)
	_ = v.Merge("", err)
	duplicateID, err = ids.UUID("duplicate_id", duplicateID)
	_ = v.Merge("", err)
	if err := v.Err(); err != nil {
		return Lead{}, err
	}
	if id == duplicateID {
		return Lead{}, errs.Invalid("duplicate_id", "must be another lead than %s", id)
	}
	return s.store.MergeLeads(ctx, id, duplicateID, func(kept, dup Lead, keptMembers, dupMembers []campaign.Member, dupActivities []activity.Activity) (Merge, error) {
		if err := errs.CheckEtag(etag, kept.ETag(), "lead "+id); err != nil {
			return Merge{}, err
		}
		for _, l := range []Lead{kept, dup} {
			if l.Status == StatusConverted {
				return Merge{}, errs.FailedPreconditionf("lead %s is converted and can no longer change; merge only leads that are not converted", l.ID)
			}
		}
		n := kept
		fill := func(dst *string, src string) {
			if *dst == "" {
				*dst = src
			}
		}
		fill(&n.Company, dup.Company)
		fill(&n.Title, dup.Title)
		fill(&n.Email, dup.Email)
		fill(&n.Phone, dup.Phone)
		fill(&n.Website, dup.Website)
		fill(&n.Source, dup.Source)
		fill(&n.Owner, dup.Owner)
		if c, valid := ids.Canonical(dup.CampaignID); valid {
			fill(&n.CampaignID, c)
		}
		var m Merge
		if m.Members, err = s.members.TransferToLead(dupMembers, keptMembers, kept.ID); err != nil {
			return Merge{}, err
		}
		// The history with the duplicate is the kept lead's.
		if m.Activities, err = s.activities.MergeLead(dupActivities, kept.ID); err != nil {
			return Merge{}, err
		}
		now := s.now()
		if n != kept {
			n.Version++
			n.UpdateTime = now
			ev, err := s.event(EventUpdated, n)
			if err != nil {
				return Merge{}, err
			}
			m.Event = &ev
		}
		m.Lead, m.Time = n, now
		gone := dup
		gone.Version++
		gone.UpdateTime = now
		gone.MergedInto = kept.ID
		if m.DuplicateEvent, err = s.event(EventDeleted, gone); err != nil {
			return Merge{}, err
		}
		return m, nil
	})
}
