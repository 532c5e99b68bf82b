package postgres

import (
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/account"
	"github.com/seamhq/seam/crm-service/internal/activity"
	"github.com/seamhq/seam/crm-service/internal/campaign"
	"github.com/seamhq/seam/crm-service/internal/contact"
	"github.com/seamhq/seam/crm-service/internal/lead"
	"github.com/seamhq/seam/crm-service/internal/pipeline"
	"github.com/seamhq/seam/crm-service/internal/servicecase"
)

// The search queries, for the EXPLAIN test.
var (
	SearchNamesSQL  = searchNamesSQL
	SearchEmailsSQL = searchEmailsSQL
)

// ListContactsSQL is the query ListContacts sends for a filter, and its
// arguments, for the EXPLAIN test.
func ListContactsSQL(equal map[string]string, limit int) (string, []any, error) {
	sql, args, err := listQuery(`SELECT `+contactCols+` FROM contacts`, "id", contactFilterCols, equal, "", limit)
	if err != nil {
		return "", nil, err
	}
	return sql, args[1:], nil // without the query mode a filtered list is sent in
}

// ListContactsOrderedSQL is the query ListContacts sends for q, for the
// order plan test.
func ListContactsOrderedSQL(q contact.Query) (string, []any, error) {
	return withoutMode(listContactsSQL(q))
}

// ListCampaignsSQL is the query ListCampaigns sends for q, for the order
// plan test.
func ListCampaignsSQL(q campaign.Query) (string, []any, error) {
	return withoutMode(listCampaignsSQL(q))
}

// ListCasesSQL and ListActivitiesSQL are the queries ListCases and
// ListActivities send, and their arguments, for the EXPLAIN tests.
func ListCasesSQL(q servicecase.Query) (string, []any, error) { return withoutMode(listCasesSQL(q)) }

func ListActivitiesSQL(q activity.Query) (string, []any, error) {
	return withoutMode(listActivitiesSQL(q))
}

// withoutMode drops the query mode a filtered list is sent in.
func withoutMode(sql string, args []any, err error) (string, []any, error) {
	if err != nil || len(args) == 0 {
		return sql, args, err
	}
	if _, ok := args[0].(pgx.QueryExecMode); ok {
		args = args[1:]
	}
	return sql, args, nil
}

// FilterColumns are the columns (or expressions) the list filters of
// leads, campaigns and cases compare, by table, for the index test (the
// cases' own columns, without their alias c).
var FilterColumns = map[string]map[string]string{"leads": leadFilterCols, "campaigns": campaignFilterCols, "cases": caseOwnFilterCols()}

func caseOwnFilterCols() map[string]string {
	out := map[string]string{}
	for f, col := range caseFilterCols {
		if strings.Contains(col, "c.") {
			out[f] = strings.ReplaceAll(col, "c.", "")
		}
	}
	return out
}

// ListAccountsSQL, ListOpportunitiesSQL and ListLeadsSQL are the queries
// of the account, opportunity and lead lists, for the EXPLAIN tests of
// their orders.
func ListAccountsSQL(q account.Query) (string, []any, error) { return withoutMode(listAccountsSQL(q)) }

func ListOpportunitiesSQL(q pipeline.Query) (string, []any, error) {
	return withoutMode(listOpportunitiesSQL(q))
}

func ListLeadsSQL(q lead.Query) (string, []any, error) { return withoutMode(listLeadsSQL(q)) }
