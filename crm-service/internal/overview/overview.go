// Package overview assembles the account 360 view: an account with its
// contacts, open opportunities, recent activities, open cases and the ERP
// orders of its won deals.
package overview

import (
	"context"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/ids"
)

// Overview is an account and what surrounds it.
type Overview struct {
	Account           account.Account
	Contacts          []contact.Contact
	OpenOpportunities []pipeline.Opportunity
	RecentActivities  []activity.Activity
	OpenCases         []servicecase.Case
	// Orders are won opportunities with an ERP order, most recently
	// closed first.
	Orders []pipeline.Opportunity
}

// Limits caps each list of an overview.
type Limits struct {
	Contacts, OpenOpportunities, RecentActivities, OpenCases, Orders int
}

// DefaultLimits are the caps the API documents.
var DefaultLimits = Limits{Contacts: 100, OpenOpportunities: 100, RecentActivities: 20, OpenCases: 100, Orders: 100}

// Store reads an overview; the account missing is NOT_FOUND.
type Store interface {
	AccountOverview(ctx context.Context, id string, l Limits) (Overview, error)
}

// Service serves overviews.
type Service struct {
	store         Store
	opportunities *pipeline.Service
}

// NewService returns a Service; opportunities derives the read-time fields
// of the opportunities (line promise dates).
func NewService(store Store, opportunities *pipeline.Service) *Service {
	return &Service{store: store, opportunities: opportunities}
}

// Get returns the overview of an account.
func (s *Service) Get(ctx context.Context, id string) (Overview, error) {
	id, err := ids.UUID("id", id)
	if err != nil {
		return Overview{}, err
	}
	ov, err := s.store.AccountOverview(ctx, id, DefaultLimits)
	if err != nil {
		return Overview{}, err
	}
	s.opportunities.Derive(ov.OpenOpportunities)
	s.opportunities.Derive(ov.Orders)
	return ov, nil
}
