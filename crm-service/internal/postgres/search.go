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

// Names are folded to lower case by ICU's root locale (collation
// "und-x-icu"), names and query alike, so every letter folds, Ä and É as
// A does, whatever the database's ctype (lower() under ctype C folds only
// A-Z). They are ranked by the folded text in byte order (COLLATE "C");
// the upper bound of a prefix range appends the largest code point, which
// sorts after every character a name or email can continue with. Emails
// are matched on their stored key, folded by Go (contact.EmailKey), with
// the query folded the same way (search.Query.Prefix).
const (
	// sortName is the order within a rank: the folded name, a column
	// stored by every write (migration 0023). Its index holds it with the
	// id, so the name matches of a table are read in ranking order and no
	// further than a page needs.
	sortName = `name_fold`
)

// foldName is the query given in parameter p folded as the name_fold
// columns fold the names.
func foldName(p string) string { return `(lower(` + p + `::text COLLATE "und-x-icu") COLLATE "C")` }

// nameRange selects the names that start with the query in parameter p.
func nameRange(p string) string {
	return sortName + ` >= ` + foldName(p) + ` AND ` + sortName + ` < (` + foldName(p) + ` || chr(1114111))`
}

// emailRange selects the email keys that start with the folded query in
// $1, with the text_pattern_ops operators of the 0012 indexes.
func emailRange() string {
	return `email_key ~>=~ $1::text AND email_key ~<~ ($1::text || chr(1114111))`
}

// sortEmail is the order of the email matches: byte order, as the
// text_pattern_ops operators (~<~ etc.) of the 0012 email indexes, which
// yield it; sortEmailText is the same value as a column that sorts so.
const (
	sortEmail     = `email_key`
	sortEmailText = `email_key COLLATE "C"`
)

// order is how a rank's rows are sorted and compared: by sort, whose
// operators ge and gt are those of its index, then by id.
type order struct{ sort, ge, gt string }

var (
	byName  = order{sortName, ">=", ">"}
	byEmail = order{sortEmail, "~>=~", "~>~"}
)

// afterIn is the keyset condition on the rows of table typ that follow
// after in (sort value, type, id) order; $2 is after's sort value and $3
// its id.
func (o order) afterIn(typ string, after *search.Key) string {
	switch {
	case after == nil:
		return ""
	case typ > after.Type:
		return ` AND ` + o.sort + ` ` + o.ge + ` $2`
	case typ < after.Type:
		return ` AND ` + o.sort + ` ` + o.gt + ` $2`
	default:
		return ` AND ` + o.sort + ` ` + o.ge + ` $2 AND (` + o.sort + ` ` + o.gt + ` $2 OR id::text COLLATE "C" > $3)`
	}
}

func searchColumns(rank, sort, typ string) string {
	email := "email"
	if typ == search.Accounts {
		email = "''::text"
	}
	return rank + ` AS rank, ` + sort + ` AS sort_name, '` + typ + `'::text COLLATE "C" AS type,
id::text COLLATE "C" AS id, name, ` + email + ` AS email`
}

// searchPage wraps per-table branches into one ranked page of $n rows.
func searchPage(branches []string, args []any, limit int) (string, []any) {
	args = append(args, limit)
	n := `$` + strconv.Itoa(len(args))
	for i, b := range branches {
		branches[i] = `(` + b + ` LIMIT ` + n + `)`
	}
	return `SELECT rank, sort_name, type, id, name, email FROM (` + strings.Join(branches, "\nUNION ALL\n") + `) h
ORDER BY rank, sort_name, type, id LIMIT ` + n, args
}

// searchNamesSQL finds the name matches (ranks exact and prefix) after
// q.After, up to limit: each table's are read in index order, and as the
// exact match sorts first among a prefix's matches, (rank, sort name)
// order is sort name order. ok is false when q.After is past them.
func searchNamesSQL(q search.Query, limit int) (sql string, args []any, ok bool) {
	args = []any{q.Text}
	after := q.After
	if after != nil {
		if after.Rank == search.RankEmail {
			return "", nil, false
		}
		args = append(args, after.Sort, after.ID)
	}
	branches := make([]string, len(q.Types))
	for i, t := range q.Types {
		branches[i] = `SELECT ` + searchColumns(`CASE WHEN `+sortName+` = `+foldName("$1")+` THEN 0 ELSE 1 END`, sortName, t) + `
FROM ` + t + ` WHERE ` + nameRange("$1") + byName.afterIn(t, after) + ` ORDER BY ` + sortName + `, ` + t + `.id`
	}
	sql, args = searchPage(branches, args, limit)
	return sql, args, true
}

// searchEmailsSQL finds the email matches whose name does not match,
// after q.After, up to limit. Each table's are read from its 0012 email
// index in ranking order (email, then id for the rare equal emails), and
// no further than a page needs.
func searchEmailsSQL(q search.Query, limit int) (string, []any) {
	args := []any{q.Prefix}
	after := q.After
	if after != nil && after.Rank == search.RankEmail {
		args = append(args, after.Sort, after.ID)
	} else {
		after = nil
	}
	// The names that match, and rank by name, are left out here.
	args = append(args, q.Text)
	text := `$` + strconv.Itoa(len(args))
	var branches []string
	for _, t := range q.Types {
		if t == search.Accounts {
			continue
		}
		branches = append(branches, `SELECT `+searchColumns(`2`, sortEmailText, t)+`
FROM `+t+` WHERE `+emailRange()+` AND NOT (`+nameRange(text)+`)`+byEmail.afterIn(t, after)+`
ORDER BY `+sortEmail+` USING ~<~, id::text COLLATE "C"`)
	}
	if len(branches) == 0 {
		return "", nil
	}
	return searchPage(branches, args, limit)
}

// Search implements search.Store: the name matches first, then, when they
// do not fill the page, the email matches.
func (s *Store) Search(ctx context.Context, q search.Query) ([]search.Hit, error) {
	var hits []search.Hit
	if sql, args, ok := searchNamesSQL(q, q.Limit+1); ok {
		var err error
		if hits, err = s.searchQuery(ctx, sql, args); err != nil {
			return nil, err
		}
	}
	if len(hits) > q.Limit {
		return hits, nil
	}
	sql, args := searchEmailsSQL(q, q.Limit+1-len(hits))
	if sql == "" {
		return hits, nil
	}
	more, err := s.searchQuery(ctx, sql, args)
	if err != nil {
		return nil, err
	}
	return append(hits, more...), nil
}

func (s *Store) searchQuery(ctx context.Context, sql string, args []any) ([]search.Hit, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	hits, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (search.Hit, error) {
		var h search.Hit
		err := row.Scan(&h.Rank, &h.Sort, &h.Type, &h.ID, &h.DisplayName, &h.Email)
		return h, err
	})
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	return hits, nil
}
