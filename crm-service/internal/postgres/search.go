package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/crm-service/internal/search"
)

var _ search.Store = (*Store)(nil)

// Prefix ranges on lower-cased text use the text_pattern_ops operators
// (byte order), so the btree indexes of migration 0007 serve them under any
// collation. $1 is the query; the upper bound appends the largest code
// point, which sorts after every character a name or email can continue
// with.
const (
	searchLo = `lower($1::text)`
	searchHi = `(lower($1::text) || chr(1114111))`
)

func prefixRange(expr string) string {
	return expr + ` ~>=~ ` + searchLo + ` AND ` + expr + ` ~<~ ` + searchHi
}

// searchBranch is the SELECT of one resource type: rank, sort name, type,
// id, name, email. The sort name orders bytewise ("C") so pages do not
// depend on the database's collation.
func searchBranch(typ string) string {
	nameRange := prefixRange("lower(name)")
	if typ == search.Accounts {
		return `SELECT CASE WHEN lower(name) = ` + searchLo + ` THEN 0 ELSE 1 END AS rank, lower(name) COLLATE "C" AS sort_name,
'accounts'::text AS type, id::text AS id, name, ''::text AS email FROM accounts WHERE ` + nameRange
	}
	return `SELECT CASE WHEN lower(name) = ` + searchLo + ` THEN 0 WHEN ` + nameRange + ` THEN 1 ELSE 2 END AS rank,
lower(name) COLLATE "C" AS sort_name, '` + typ + `'::text AS type, id::text AS id, name, email FROM ` + typ + `
WHERE (` + nameRange + `) OR (` + prefixRange("email_key") + `)`
}

// searchSQL builds the query of q and its arguments.
func searchSQL(q search.Query) (string, []any) {
	branches := make([]string, len(q.Types))
	for i, t := range q.Types {
		branches[i] = searchBranch(t)
	}
	args := []any{q.Prefix}
	var b strings.Builder
	b.WriteString(`SELECT rank, sort_name, type, id, name, email FROM (` + strings.Join(branches, "\nUNION ALL\n") + `) h`)
	if q.After != nil {
		args = append(args, q.After.Rank, q.After.Name, q.After.Type, q.After.ID)
		b.WriteString(` WHERE (rank, sort_name, type, id) > ($2::int, $3::text, $4::text, $5::text)`)
	}
	args = append(args, q.Limit+1)
	b.WriteString(` ORDER BY rank, sort_name, type, id LIMIT $` + strconv.Itoa(len(args)))
	return b.String(), args
}

// Search implements search.Store.
func (s *Store) Search(ctx context.Context, q search.Query) ([]search.Hit, error) {
	sql, args := searchSQL(q)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (search.Hit, error) {
		var h search.Hit
		err := row.Scan(&h.Rank, &h.Name, &h.Type, &h.ID, &h.DisplayName, &h.Email)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}
