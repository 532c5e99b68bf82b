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
	contactWriters  = []auth.Role{auth.Sales, auth.Service}
	pipelineWriters = []auth.Role{auth.Sales}
	leadWriters     = []auth.Role{auth.Sales}
	activityWriters = []auth.Role{auth.Sales, auth.Service}
	caseWriters     = []auth.Role{auth.Service}
	bridge          = []auth.Role{auth.Integration}
	// searchers may use search and reports.
	searchers = []auth.Role{auth.Sales, auth.Service, auth.Finance}
	// auditors read the audit trail and stage history.
	auditors = []auth.Role{auth.Sales, auth.Service, auth.Finance}
	// campaignWriters: marketing is part of sales.
	campaignWriters = []auth.Role{auth.Sales}
	// importers load lists of accounts, contacts and leads: sales (and
	// marketing, part of it); admin always may.
	importers = []auth.Role{auth.Sales}
)

// Policy is the permission table of the CRM API.
var Policy = auth.Policy{
	crmv1.AccountService_CreateAccount_FullMethodName: accountWriters,
	crmv1.AccountService_GetAccount_FullMethodName:    readers,
	crmv1.AccountService_ListAccounts_FullMethodName:  readers,
	crmv1.AccountService_UpdateAccount_FullMethodName: accountWriters,
	crmv1.AccountService_DeleteAccount_FullMethodName: accountWriters,

	crmv1.ContactService_CreateContact_FullMethodName: contactWriters,
	crmv1.ContactService_GetContact_FullMethodName:    readers,
	crmv1.ContactService_ListContacts_FullMethodName:  readers,
	crmv1.ContactService_UpdateContact_FullMethodName: contactWriters,
	crmv1.ContactService_DeleteContact_FullMethodName: contactWriters,

	crmv1.LeadService_CreateLead_FullMethodName:  leadWriters,
	crmv1.LeadService_GetLead_FullMethodName:     readers,
	crmv1.LeadService_ListLeads_FullMethodName:   readers,
	crmv1.LeadService_UpdateLead_FullMethodName:  leadWriters,
	crmv1.LeadService_DeleteLead_FullMethodName:  leadWriters,
	crmv1.LeadService_ConvertLead_FullMethodName: leadWriters,
	crmv1.LeadService_MergeLead_FullMethodName:   leadWriters,

	// The bridge raises tasks for decisions only a person can make.
	crmv1.ActivityService_CreateActivity_FullMethodName: append(activityWriters, auth.Integration),
	crmv1.ActivityService_GetActivity_FullMethodName:    readers,
	crmv1.ActivityService_ListActivities_FullMethodName: readers,
	crmv1.ActivityService_UpdateActivity_FullMethodName: append(activityWriters, auth.Integration),
	crmv1.ActivityService_DeleteActivity_FullMethodName: activityWriters,

	crmv1.CaseService_CreateCase_FullMethodName:   caseWriters,
	crmv1.CaseService_GetCase_FullMethodName:      readers,
	crmv1.CaseService_ListCases_FullMethodName:    readers,
	crmv1.CaseService_UpdateCase_FullMethodName:   caseWriters,
	crmv1.CaseService_DeleteCase_FullMethodName:   caseWriters,
	crmv1.CaseService_EscalateCase_FullMethodName: caseWriters,

	crmv1.AccountOverviewService_GetAccountOverview_FullMethodName: readers,

	crmv1.OpportunityService_CreateOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_GetOpportunity_FullMethodName:    readers,
	crmv1.OpportunityService_ListOpportunities_FullMethodName: readers,
	crmv1.OpportunityService_UpdateOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_DeleteOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_WinOpportunity_FullMethodName:    pipelineWriters,
	crmv1.OpportunityService_LoseOpportunity_FullMethodName:   pipelineWriters,
	crmv1.OpportunityService_ReopenOpportunity_FullMethodName: pipelineWriters,
	crmv1.OpportunityService_WatchOpportunity_FullMethodName:  readers,

	crmv1.ProductService_GetProduct_FullMethodName:   readers,
	crmv1.ProductService_ListProducts_FullMethodName: readers,

	crmv1.SyncService_UpsertProducts_FullMethodName:              bridge,
	crmv1.SyncService_SetAvailability_FullMethodName:             bridge,
	crmv1.SyncService_SetOpportunityOrder_FullMethodName:         bridge,
	crmv1.SyncService_LinkAccount_FullMethodName:                 bridge,
	crmv1.SyncService_SetAccountPaymentStatus_FullMethodName:     bridge,
	crmv1.SyncService_SetOpportunityPaymentStatus_FullMethodName: bridge,

	crmv1.EventService_ListEvents_FullMethodName:  bridge,
	crmv1.EventService_WatchEvents_FullMethodName: bridge,

	crmv1.SearchService_Search_FullMethodName: searchers,

	crmv1.AuditService_ListAuditEntries_FullMethodName: auditors,
	crmv1.AuditService_ListStageChanges_FullMethodName: auditors,

	crmv1.CampaignService_CreateCampaign_FullMethodName:   campaignWriters,
	crmv1.CampaignService_GetCampaign_FullMethodName:      readers,
	crmv1.CampaignService_ListCampaigns_FullMethodName:    readers,
	crmv1.CampaignService_UpdateCampaign_FullMethodName:   campaignWriters,
	crmv1.CampaignService_DeleteCampaign_FullMethodName:   campaignWriters,
	crmv1.CampaignService_GetCampaignStats_FullMethodName: searchers,
	// Members are part of managing a campaign; reading them is reading it.
	crmv1.CampaignService_CreateCampaignMember_FullMethodName: campaignWriters,
	crmv1.CampaignService_ListCampaignMembers_FullMethodName:  readers,
	crmv1.CampaignService_UpdateCampaignMember_FullMethodName: campaignWriters,
	crmv1.CampaignService_DeleteCampaignMember_FullMethodName: campaignWriters,

	crmv1.ReportService_GetPipelineReport_FullMethodName: searchers,

	crmv1.ImportService_ImportAccounts_FullMethodName: importers,
	crmv1.ImportService_ImportContacts_FullMethodName: importers,
	crmv1.ImportService_ImportLeads_FullMethodName:    importers,
}
