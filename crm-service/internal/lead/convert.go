package lead

import (
	"context"
	"strings"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// ConvertInput is a conversion request.
type ConvertInput struct {
	Etag      string
	RequestID string
	// AccountID, when set, is the account to attach to.
	AccountID string
	// Opportunity, when set, is created for the account.
	Opportunity *OpportunityInput
}

// OpportunityInput is the deal to open on conversion.
type OpportunityInput struct {
	Name              string
	Currency          string
	ExpectedCloseDate string
	Owner             string
}

func (o *OpportunityInput) pipeline(l Lead) pipeline.Input {
	owner := o.Owner
	if owner == "" {
		owner = l.Owner
	}
	return pipeline.Input{Name: o.Name, Currency: o.Currency, ExpectedCloseDate: o.ExpectedCloseDate, Owner: owner}
}

// Convert turns the lead into an account (reused by AccountID, or by the
// company name and website domain, else created, with the lead's website
// as account.WebsiteFrom makes it), a contact (reused by
// email, else created at that account; with AccountID only a contact at
// that account is reused, so the lead's contact is always at the account
// it was converted into) and optionally an opportunity (of
// the lead's campaign, when it names one), moves the lead's campaign
// memberships to the contact (campaign.Members.Transfer) and the lead's
// activities to the account, contact and opportunity
// (activity.Service.ConvertLead: they keep lead_id), and marks the lead
// converted, all in one transaction. A converted or
// disqualified lead is FAILED_PRECONDITION with nothing written; a retry
// with the same request id returns the lead as it is.
func (s *Service) Convert(ctx context.Context, id string, in ConvertInput) (Lead, error) {
	var v errs.Violations
	id, err := ids.UUID("id", id)
	_ = v.Merge("", err)
	ids.Normalize(&v, "account_id", &in.AccountID)
	if o := in.Opportunity; o != nil {
		// Owner is checked against the lead later; only its length here.
		if err := s.opportunities.CheckDraft(pipeline.Input{Name: o.Name, Currency: o.Currency, ExpectedCloseDate: o.ExpectedCloseDate, Owner: o.Owner}); err != nil {
			if merr := v.Merge("opportunity", err); merr != nil {
				return Lead{}, merr
			}
		}
	}
	if err := v.Err(); err != nil {
		return Lead{}, err
	}
	// The lookups need the lead; the store reads it locked and the keys are
	// computed from what it holds, so they are passed as a function of it.
	return s.store.ConvertLead(ctx, id, in.RequestID, MethodConvert, Lookup{AccountID: in.AccountID}, func(cur Lead, found Found) (Conversion, error) {
		if err := errs.CheckEtag(in.Etag, cur.ETag(), "lead "+id); err != nil {
			return Conversion{}, err
		}
		switch cur.Status {
		case StatusConverted:
			return Conversion{}, errs.FailedPreconditionf("lead %s is already converted (account %s)", id, cur.ConvertedAccountID)
		case StatusDisqualified:
			return Conversion{}, errs.FailedPreconditionf("lead %s is disqualified; move it back to WORKING first", id)
		}
		var c Conversion
		accountID := found.AccountID
		if accountID == "" {
			if strings.TrimSpace(cur.Company) == "" {
				return Conversion{}, errs.FailedPreconditionf("lead %s has no company; set its company or pass account_id", id)
			}
			// A lead's website is free text; the account's is an http or
			// https URL.
			website, ok := account.WebsiteFrom(cur.Website)
			if !ok {
				return Conversion{}, errs.FailedPreconditionf("lead %s has the website %q, which is no http or https URL an account can take; correct the lead's website or pass account_id", id, cur.Website)
			}
			a, ev, err := s.accounts.New(account.Input{Name: cur.Company, Website: website, Owner: cur.Owner})
			if err != nil {
				return Conversion{}, errs.FailedPreconditionf("lead %s cannot become an account: %v", id, err)
			}
			c.Account, c.AccountEvent, accountID = &a, ev, a.ID
		}
		contactID, contactAccountID := found.ContactID, found.ContactAccountID
		if contactID == "" {
			p, ev, err := s.contacts.New(contact.Input{
				AccountID: accountID, Name: cur.Name, Email: cur.Email, Phone: cur.Phone, Title: cur.Title, Owner: cur.Owner,
			})
			if err != nil {
				return Conversion{}, errs.FailedPreconditionf("lead %s cannot become a contact: %v", id, err)
			}
			c.Contact, c.ContactEvent, contactID, contactAccountID = &p, ev, p.ID, accountID
		}
		// The campaigns that reached the lead reached the contact.
		members, err := s.members.Transfer(found.LeadMembers, found.ContactMembers, contactID)
		if err != nil {
			return Conversion{}, err
		}
		c.Members = members
		l := cur
		if in.Opportunity != nil {
			draft := in.Opportunity.pipeline(cur)
			// The deal comes from the lead's campaign, as the lead did.
			draft.CampaignID = found.CampaignID
			o, ev, err := s.opportunities.NewDraft(draft, accountID)
			if err != nil {
				var ov errs.Violations
				if merr := ov.Merge("opportunity", err); merr != nil {
					return Conversion{}, merr
				}
				return Conversion{}, ov.Err()
			}
			c.Opportunity, c.OpportunityEvent = &o, ev
			l.ConvertedOpportunityID = o.ID
		}
		// The calls and meetings with the lead go to the customer's
		// records, still naming the lead.
		if c.Activities, err = s.activities.ConvertLead(found.Activities, activity.Conversion{
			AccountID: accountID, ContactID: contactID, ContactAccountID: contactAccountID, OpportunityID: l.ConvertedOpportunityID,
		}); err != nil {
			return Conversion{}, err
		}
		now := s.now()
		l.Status = StatusConverted
		l.ConvertedAccountID, l.ConvertedContactID, l.ConvertTime = accountID, contactID, now
		l.Version++
		l.UpdateTime = now
		ev, err := s.event(EventConverted, l)
		if err != nil {
			return Conversion{}, err
		}
		c.Lead, c.LeadEvent = l, ev
		return c, nil
	})
}
