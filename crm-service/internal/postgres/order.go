package postgres

import (
	"slices"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// sortField is a field a list sorts by (order_by): the expressions it
// sorts by, before the id, which are columns of the list's sort indexes
// (migrations 0036, 0038 and 0039) after any owner, and how a page token's text
// of a row's value of each (the domain's OrderKey) is read back. A name
// sorts by its folded form, then by itself: the token carries both, as
// the row holds them.
type sortField struct {
	exprs []string
	value func(string) (any, bool)
}

func textKey(s string) (any, bool) { return s, true }

// foldedSort sorts by the text column col in lower case: by its folded
// form, the stored column fold (lower(col COLLATE "und-x-icu"), in byte
// order), then by col itself, so that values differing in case alone
// keep one order.
func foldedSort(fold, col string) sortField {
	return sortField{exprs: []string{fold, col}, value: textKey}
}

// plainSort sorts by expr alone.
func plainSort(expr string, value func(string) (any, bool)) sortField {
	return sortField{exprs: []string{expr}, value: value}
}

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
// the zero Order), starting after the row whose values of o.Field's
// expressions are afterKey and whose id is afterID (the first page when
// afterID is "").
func listKeyset(fields map[string]sortField, o listing.Order, afterKey []string, afterID string) (keyset, error) {
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
	ks := keyset{cols: append(slices.Clone(f.exprs), "id"), desc: o.Desc}
	if afterID != "" {
		if len(afterKey) != len(f.exprs) {
			// A token of the order before names sorted in lower case
			// holds the name alone: it cannot say where a page of this
			// order starts.
			return keyset{}, errs.Invalid("page_token", "does not continue this order (name and company tokens issued before those orders ignored case are not taken); list again from the first page")
		}
		for _, k := range afterKey {
			v, ok := f.value(k)
			if !ok {
				return keyset{}, errs.Invalid("page_token", "is not a token returned by this list")
			}
			ks.after = append(ks.after, v)
		}
		ks.after = append(ks.after, afterID)
	}
	return ks, nil
}
