package api

import (
	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// Who may call what. Admin may call everything (auth.Policy); a method
// missing here is denied to everyone else, and a test checks that every
// RPC of every registered service is listed.
var (
	readers         = []auth.Role{auth.Sales, auth.Service, auth.Finance, auth.Integration}
	accountWriters  = []auth.Role{auth.Sales, auth.Service}
	pipelineWriters = []auth.Role{auth.Sales}
	bridge          = []auth.Role{auth.Integration}
)

// Policy is the permission table of the CRM API.
var Policy = auth.Policy{
	crmv1.AccountService_CreateAccount_FullMethodName: accountWriters,
	crmv1.AccountService_GetAccount_FullMethodName:    readers,
	crmv1.AccountService_ListAccounts_FullMethodName:  readers,
	crmv1.AccountService_UpdateAccount_FullMethodName: accountWriters,
	crmv1.AccountService_DeleteAccount_FullMethodName: accountWriters,

	crmv1.OpportunityService_CreateOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_GetOpportunity_FullMethodName:    readers,
	crmv1.OpportunityService_ListOpportunities_FullMethodName: readers,
	crmv1.OpportunityService_UpdateOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_DeleteOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_WinOpportunity_FullMethodName:    pipelineWriters,
	crmv1.OpportunityService_LoseOpportunity_FullMethodName:   pipelineWriters,
	crmv1.OpportunityService_ReopenOpportunity_FullMethodName: pipelineWriters,

	crmv1.ProductService_GetProduct_FullMethodName:   readers,
	crmv1.ProductService_ListProducts_FullMethodName: readers,

	crmv1.SyncService_UpsertProducts_FullMethodName:      bridge,
	crmv1.SyncService_SetAvailability_FullMethodName:     bridge,
	crmv1.SyncService_SetOpportunityOrder_FullMethodName: bridge,
	crmv1.SyncService_LinkAccount_FullMethodName:         bridge,

	crmv1.EventService_ListEvents_FullMethodName:  bridge,
	crmv1.EventService_WatchEvents_FullMethodName: bridge,
}
