package postgres

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// sortField is a field a list sorts by (order_by): the expression it
// sorts by, which is a column of the list's sort indexes (migration 0036)
// after any owner, and how a page token's text of a row's value of it
// (the domain's OrderKey) is read back.
type sortField struct {
	expr  string
	value func(string) (any, bool)
}

func textKey(s string) (any, bool) { return s, true }

func timeKey(s string) (any, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func decimalKey(s string) (any, bool) {
	d, err := decimal.NewFromString(s)
	return d, err == nil
}

// dateOrLastKey reads a date, or "" for none, which sorts after every
// date: the expression is coalesce(column, 'infinity').
func dateOrLastKey(s string) (any, bool) {
	if s == "" {
		return pgtype.Date{InfinityModifier: pgtype.Infinity, Valid: true}, true
	}
	t, err := time.Parse(time.DateOnly, s)
	return pgtype.Date{Time: t, Valid: true}, err == nil
}

// listKeyset is the keyset of a list in order o of fields (id order for
// the zero Order), starting after the row whose o.Field value is afterKey
// and whose id is afterID (the first page when afterID is "").
func listKeyset(fields map[string]sortField, o listing.Order, afterKey, afterID string) (keyset, error) {
	if o.Field == "" {
		ks := keyset{cols: []string{"id"}}
		if afterID != "" {
			ks.after = []any{afterID}
		}
		return ks, nil
	}
	f, ok := fields[o.Field]
	if !ok {
		return keyset{}, errs.Invalid("order_by", "cannot sort by %q", o.Field)
	}
	ks := keyset{cols: []string{f.expr, "id"}, desc: o.Desc}
	if afterID != "" {
		v, ok := f.value(afterKey)
		if !ok {
			return keyset{}, errs.Invalid("page_token", "is not a token returned by this list")
		}
		ks.after = []any{v, afterID}
	}
	return ks, nil
}
