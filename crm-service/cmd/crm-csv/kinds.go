package main

import (
	"context"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
)

// key is a column that identifies a record on import.
type key struct {
	column string
	of     func(string) string
}

// batch is one import call.
type batch struct {
	rows         []proto.Message
	mask         []string
	mode         crmv1.ImportMode
	validateOnly bool
}

// kind is a resource the tool exports and maybe imports.
type kind struct {
	name  string
	empty proto.Message // its type
	// keys are the columns that match a row to a record on import, in the
	// order the service tries them (a row's first non-empty one counts),
	// each with the form in which the service compares it. An import file
	// has at least one of them.
	keys []key
	// required columns of an import file.
	required []string
	// mutable and readOnly are the top-level fields an import writes and
	// ignores.
	mutable, readOnly []string
	// send imports a batch; nil when the kind cannot be imported.
	send func(ctx context.Context, conn grpc.ClientConnInterface, b batch) (*crmv1.ImportResponse, error)
	// list reads a page.
	list func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error)
	// lists are repeated fields an export writes as one column of text
	// each, after the other columns. They are read-only: an import reads
	// and ignores them.
	lists []listColumn
	// header and rows, when set, are what an export writes instead of the
	// message's columns: a header of its own and any number of rows per
	// record.
	header []string
	rows   func(proto.Message) [][]string
}

// listColumn is a repeated field exported as one column of text.
type listColumn struct {
	name string
	text func(proto.Message) string
}

// idKey is the form in which the service compares ids: either case.
func idKey(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func names[F ~string](fields []F) []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = string(f)
	}
	return out
}

func protos[M proto.Message](list []M) []proto.Message {
	out := make([]proto.Message, len(list))
	for i, m := range list {
		out[i] = m
	}
	return out
}

func typed[M proto.Message](rows []proto.Message) []M {
	out := make([]M, len(rows))
	for i, r := range rows {
		out[i] = r.(M)
	}
	return out
}

func mask(b batch) *fieldmaskpb.FieldMask { return &fieldmaskpb.FieldMask{Paths: b.mask} }

func listAccounts(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
	resp, err := crmv1.NewAccountServiceClient(conn).ListAccounts(ctx, &crmv1.ListAccountsRequest{Filter: filter, PageToken: token, PageSize: size})
	return protos(resp.GetAccounts()), resp.GetNextPageToken(), err
}

var kinds = []*kind{
	{
		name: "accounts", empty: &crmv1.Account{},
		keys:     []key{{"id", idKey}, {"external_id", strings.TrimSpace}, {"website", account.Domain}},
		required: []string{"name"},
		mutable:  names(account.MutableFields), readOnly: account.ReadOnlyFields,
		lists: []listColumn{{"balances", balancesText}},
		send: func(ctx context.Context, conn grpc.ClientConnInterface, b batch) (*crmv1.ImportResponse, error) {
			return crmv1.NewImportServiceClient(conn).ImportAccounts(ctx, &crmv1.ImportAccountsRequest{
				Accounts: typed[*crmv1.Account](b.rows), UpdateMask: mask(b), Mode: b.mode, ValidateOnly: b.validateOnly,
			})
		},
		list: listAccounts,
	},
	{
		// One row per account and currency, export only.
		name: "account-balances", empty: &crmv1.Account{},
		header: balanceHeader, rows: balanceRows,
		list: listAccounts,
	},
	{
		name: "contacts", empty: &crmv1.Contact{},
		keys:     []key{{"id", idKey}, {"external_id", strings.TrimSpace}, {"email", contact.EmailKey}},
		required: []string{"name"},
		mutable:  names(contact.MutableFields), readOnly: contact.ReadOnlyFields,
		send: func(ctx context.Context, conn grpc.ClientConnInterface, b batch) (*crmv1.ImportResponse, error) {
			return crmv1.NewImportServiceClient(conn).ImportContacts(ctx, &crmv1.ImportContactsRequest{
				Contacts: typed[*crmv1.Contact](b.rows), UpdateMask: mask(b), Mode: b.mode, ValidateOnly: b.validateOnly,
			})
		},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewContactServiceClient(conn).ListContacts(ctx, &crmv1.ListContactsRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetContacts()), resp.GetNextPageToken(), err
		},
	},
	{
		name: "leads", empty: &crmv1.Lead{},
		keys: []key{{"id", idKey}, {"email", contact.EmailKey}}, required: []string{"name", "email"},
		mutable: names(lead.MutableFields), readOnly: lead.ReadOnlyFields,
		send: func(ctx context.Context, conn grpc.ClientConnInterface, b batch) (*crmv1.ImportResponse, error) {
			return crmv1.NewImportServiceClient(conn).ImportLeads(ctx, &crmv1.ImportLeadsRequest{
				Leads: typed[*crmv1.Lead](b.rows), UpdateMask: mask(b), Mode: b.mode, ValidateOnly: b.validateOnly,
			})
		},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewLeadServiceClient(conn).ListLeads(ctx, &crmv1.ListLeadsRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetLeads()), resp.GetNextPageToken(), err
		},
	},
	{
		name: "opportunities", empty: &crmv1.Opportunity{},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewOpportunityServiceClient(conn).ListOpportunities(ctx, &crmv1.ListOpportunitiesRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetOpportunities()), resp.GetNextPageToken(), err
		},
	},
	{
		name: "activities", empty: &crmv1.Activity{},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewActivityServiceClient(conn).ListActivities(ctx, &crmv1.ListActivitiesRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetActivities()), resp.GetNextPageToken(), err
		},
	},
	{
		name: "cases", empty: &crmv1.Case{},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewCaseServiceClient(conn).ListCases(ctx, &crmv1.ListCasesRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetCases()), resp.GetNextPageToken(), err
		},
	},
	{
		name: "campaigns", empty: &crmv1.Campaign{},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewCampaignServiceClient(conn).ListCampaigns(ctx, &crmv1.ListCampaignsRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetCampaigns()), resp.GetNextPageToken(), err
		},
	},
	{
		name: "products", empty: &crmv1.Product{},
		list: func(ctx context.Context, conn grpc.ClientConnInterface, filter, token string, size int32) ([]proto.Message, string, error) {
			resp, err := crmv1.NewProductServiceClient(conn).ListProducts(ctx, &crmv1.ListProductsRequest{Filter: filter, PageToken: token, PageSize: size})
			return protos(resp.GetProducts()), resp.GetNextPageToken(), err
		},
	},
}

// exportable lists the kinds export takes, for usage messages.
func exportable() string {
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = k.name
	}
	return strings.Join(out, "|")
}

func kindNamed(name string, importable bool) *kind {
	i := slices.IndexFunc(kinds, func(k *kind) bool { return k.name == name && (!importable || k.send != nil) })
	if i < 0 {
		return nil
	}
	return kinds[i]
}
