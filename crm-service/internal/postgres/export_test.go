package postgres

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

// FilterColumns are the columns (or expressions) the list filters of
// leads and campaigns compare, by table, for the index test.
var FilterColumns = map[string]map[string]string{"leads": leadFilterCols, "campaigns": campaignFilterCols}
