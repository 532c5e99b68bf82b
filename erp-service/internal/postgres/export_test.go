package postgres

// MovesSQL is the query of a ListMoves page, for the plan test.
var MovesSQL = movesSQL
