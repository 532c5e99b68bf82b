package postgres

// SearchSQL exposes the search query to the EXPLAIN test.
var SearchSQL = searchSQL
