// Package audit reads the audit trail of accounts, opportunities and cases
// (who changed which field from what to what, when) and the stage history
// of opportunities. Both are written by the database in the transaction
// of each change.
package audit

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
)

// Entry is one changed field.
type Entry struct {
	ID int64
	// Resource is "accounts/{id}", "opportunities/{id}" or "cases/{id}".
	Resource string
	// Field is the proto name of the field (the column).
	Field string
	// OldValue and NewValue are the values as text (JSON for structured
	// values); empty for no value.
	OldValue, NewValue string
	Actor              string
	Time               time.Time
}

// StageChange is one step of an opportunity's stage history; From is
// empty for the stage it was created in.
type StageChange struct {
	ID       int64
	From, To pipeline.Stage
	Actor    string
	Time     time.Time
}

// Query selects a page of entries in the order they were written.
type Query struct {
	// Resource is empty for every resource.
	Resource string
	After    int64
	Limit    int
}

// StageQuery selects a page of an opportunity's stage history.
type StageQuery struct {
	OpportunityID string
	After         int64
	Limit         int
}

// Store reads the trail; lists return one page and whether more follow.
type Store interface {
	ListAuditEntries(ctx context.Context, q Query) ([]Entry, bool, error)
	ListStageChanges(ctx context.Context, q StageQuery) ([]StageChange, bool, error)
}

// Service serves the trail.
type Service struct{ store Store }

// NewService returns a Service on store.
func NewService(store Store) *Service { return &Service{store: store} }

// Audited are the resource collections with an audit trail.
var Audited = []string{"accounts", "opportunities", "cases"}

// ParseResource checks a resource name like "accounts/{uuid}".
func ParseResource(field, s string) (string, error) {
	coll, id, ok := strings.Cut(s, "/")
	valid := false
	for _, a := range Audited {
		valid = valid || a == coll
	}
	if !ok || !valid {
		return "", errs.Invalid(field, "resource %q must be accounts/{id}, opportunities/{id} or cases/{id}", s)
	}
	id, ok = ids.Canonical(id)
	if !ok {
		return "", errs.Invalid(field, "resource %q has an invalid id: it %s", s, ids.NotUUID)
	}
	return coll + "/" + id, nil
}

// List returns a page of entries and the next page token. filter is the
// AIP-160 subset `resource = "accounts/{id}"` (or empty for all). fit,
// when not nil, says how many of the entries read, from the first, the
// page keeps (listing.Fit of their messages: values of whole opportunity
// lines or long descriptions make large entries); the token continues
// after the last one kept.
func (s *Service) List(ctx context.Context, filter string, pageSize int32, pageToken string, fit func([]Entry) int) ([]Entry, string, error) {
	var v errs.Violations
	var q Query
	conds, err := listing.ParseFilter(filter, "resource")
	if err != nil {
		if v.Merge("", err) != nil {
			v.Add("filter", "%v", err)
		}
	}
	for _, c := range conds {
		if c.Op != listing.Eq {
			v.Add("filter", "resource takes only =")
			continue
		}
		r, err := ParseResource("filter", c.Value)
		if err != nil {
			_ = v.Merge("", err)
			continue
		}
		q.Resource = r
	}
	if q.Limit, err = listing.PageSize(pageSize); err != nil {
		_ = v.Merge("", err)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	digest := listing.QueryDigest("audit", q.Resource)
	if q.After, err = decodeAfter(pageToken, digest); err != nil {
		return nil, "", err
	}
	list, more, err := s.store.ListAuditEntries(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if fit != nil {
		if n := fit(list); n < len(list) {
			list, more = list[:n], true
		}
	}
	if !more {
		return list, "", nil
	}
	return list, listing.Token{After: []string{strconv.FormatInt(list[len(list)-1].ID, 10)}, Query: digest}.Encode(), nil
}

// StageHistory returns a page of an opportunity's stage changes, oldest
// first, and the next page token.
func (s *Service) StageHistory(ctx context.Context, opportunityID string, pageSize int32, pageToken string) ([]StageChange, string, error) {
	var v errs.Violations
	opportunityID, err := ids.UUID("opportunity_id", opportunityID)
	_ = v.Merge("", err)
	q := StageQuery{OpportunityID: opportunityID}
	if q.Limit, err = listing.PageSize(pageSize); err != nil {
		_ = v.Merge("", err)
	}
	if err := v.Err(); err != nil {
		return nil, "", err
	}
	digest := listing.QueryDigest("stages", opportunityID)
	if q.After, err = decodeAfter(pageToken, digest); err != nil {
		return nil, "", err
	}
	list, more, err := s.store.ListStageChanges(ctx, q)
	if err != nil || !more {
		return list, "", err
	}
	return list, listing.Token{After: []string{strconv.FormatInt(list[len(list)-1].ID, 10)}, Query: digest}.Encode(), nil
}

func decodeAfter(token, digest string) (int64, error) {
	tok, err := listing.DecodeToken(token, digest)
	if err != nil || tok == nil {
		return 0, err
	}
	n, err := strconv.ParseInt(tok.After[0], 10, 64)
	if err != nil || n < 0 || len(tok.After) != 1 {
		return 0, errs.Invalid("page_token", "is not a token returned by this list")
	}
	return n, nil
}
