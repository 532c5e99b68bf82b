// Package api serves the CRM's gRPC services (and through the platform's
// gateway their REST routes): it converts between protos and domain types,
// and nothing else; the rules live in the domain packages.
package api

import (
	"google.golang.org/grpc"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/audit"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/catalog"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/overview"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/report"
	"github.com/seamhq/seam/crm-service/internal/search"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/server"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// API holds the domain services behind the gRPC services.
type API struct {
	Accounts      *account.Service
	Opportunities *pipeline.Service
	Catalog       *catalog.Service
	Contacts      *contact.Service
	Leads         *lead.Service
	Activities    *activity.Service
	Cases         *servicecase.Service
	Overviews     *overview.Service
	Search        *search.Service
	Audit         *audit.Service
	Campaigns     *campaign.Service
	// CampaignMembers are served by CampaignService too.
	CampaignMembers *campaign.Members
	Reports         *report.Service
	Events          feed.Source
}

// Register adds every CRM gRPC service to s.
func (a *API) Register(s grpc.ServiceRegistrar) {
	crmv1.RegisterAccountServiceServer(s, &accountServer{svc: a.Accounts})
	crmv1.RegisterContactServiceServer(s, &contactServer{svc: a.Contacts})
	crmv1.RegisterLeadServiceServer(s, &leadServer{svc: a.Leads})
	crmv1.RegisterActivityServiceServer(s, &activityServer{svc: a.Activities})
	crmv1.RegisterCaseServiceServer(s, &caseServer{svc: a.Cases})
	crmv1.RegisterAccountOverviewServiceServer(s, &overviewServer{svc: a.Overviews, cases: a.Cases})
	crmv1.RegisterOpportunityServiceServer(s, &opportunityServer{svc: a.Opportunities})
	crmv1.RegisterProductServiceServer(s, &productServer{svc: a.Catalog})
	crmv1.RegisterSyncServiceServer(s, &syncServer{catalog: a.Catalog, accounts: a.Accounts, opportunities: a.Opportunities})
	crmv1.RegisterEventServiceServer(s, &eventServer{src: a.Events})
	crmv1.RegisterSearchServiceServer(s, &searchServer{svc: a.Search})
	crmv1.RegisterAuditServiceServer(s, &auditServer{svc: a.Audit})
	crmv1.RegisterCampaignServiceServer(s, &campaignServer{svc: a.Campaigns, members: a.CampaignMembers})
	crmv1.RegisterReportServiceServer(s, &reportServer{svc: a.Reports})
	crmv1.RegisterImportServiceServer(s, &importServer{accounts: a.Accounts, contacts: a.Contacts, leads: a.Leads})
}

// Gateways are the REST routes of the CRM (crm_gateway.yaml).
func Gateways() []server.GatewayRegistrar {
	return []server.GatewayRegistrar{
		crmv1.RegisterAccountServiceHandler,
		crmv1.RegisterContactServiceHandler,
		crmv1.RegisterLeadServiceHandler,
		crmv1.RegisterActivityServiceHandler,
		crmv1.RegisterCaseServiceHandler,
		crmv1.RegisterAccountOverviewServiceHandler,
		crmv1.RegisterOpportunityServiceHandler,
		crmv1.RegisterProductServiceHandler,
		crmv1.RegisterSyncServiceHandler,
		crmv1.RegisterEventServiceHandler,
		crmv1.RegisterSearchServiceHandler,
		crmv1.RegisterAuditServiceHandler,
		crmv1.RegisterCampaignServiceHandler,
		crmv1.RegisterReportServiceHandler,
		crmv1.RegisterImportServiceHandler,
	}
}
