package postgres

// The search queries, for the EXPLAIN test.
var (
	SearchNamesSQL  = searchNamesSQL
	SearchEmailsSQL = searchEmailsSQL
)
