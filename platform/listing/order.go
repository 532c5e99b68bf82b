package listing

import (
	"maps"
	"slices"
	"strings"

	"github.com/seamhq/seam/platform/errs"
)

// Order is the order_by of a list (AIP-132): one field, ascending unless
// Desc. The zero Order is the list's default order (by id, which is
// creation order). A list sorted by a field breaks ties by id, in the
// same direction, so its keyset pages are exact.
type Order struct {
	Field string
	Desc  bool
}

// String is the canonical form of o: "field" or "field desc"; "" for the
// default order.
func (o Order) String() string {
	if o.Desc {
		return o.Field + " desc"
	}
	return o.Field
}

// MaxOrderByLength bounds an order_by expression.
const MaxOrderByLength = 200

// ParseOrder parses an order_by of the form "field" or "field desc"
// ("asc" may be written; words are separated by spaces, case matters
// for the field only). Only one of fields may be named; "" is the default
// order. Errors are InvalidArgument on the "order_by" field, listing the
// fields a list sorts by.
func ParseOrder(s string, fields ...string) (Order, error) {
	return ParseOrderAliases(s, nil, fields...)
}

// ParseOrderAliases is ParseOrder where a field may also be named by an
// alias (aliases maps it to one of fields), as when a list's sort key is
// named otherwise than the resource's field it sorts by: the Order holds
// the field, so the alias and the field are one order. Errors list the
// aliases beside the fields.
func ParseOrderAliases(s string, aliases map[string]string, fields ...string) (Order, error) {
	if len(s) > MaxOrderByLength {
		return Order{}, errs.Invalid("order_by", "is longer than %d characters", MaxOrderByLength)
	}
	words := strings.Fields(s)
	if len(words) == 0 {
		return Order{}, nil
	}
	named := slices.Clone(fields)
	for i, f := range named {
		for _, alias := range slices.Sorted(maps.Keys(aliases)) {
			if aliases[alias] == f {
				named[i] += " (or " + alias + ")"
			}
		}
	}
	allowed := "sortable fields: " + strings.Join(named, ", ") + `; e.g. "` + fields[0] + `" or "` + fields[0] + ` desc"`
	if strings.Contains(s, ",") {
		return Order{}, errs.Invalid("order_by", "sorts by one field only (%s)", allowed)
	}
	if len(words) > 2 {
		return Order{}, errs.Invalid("order_by", "must be a field optionally followed by asc or desc (%s)", allowed)
	}
	o := Order{Field: words[0]}
	if field, ok := aliases[o.Field]; ok {
		o.Field = field
	}
	if !contains(fields, o.Field) {
		return Order{}, errs.Invalid("order_by", "unknown field %q (%s)", o.Field, allowed)
	}
	if len(words) == 2 {
		switch strings.ToLower(words[1]) {
		case "asc":
		case "desc":
			o.Desc = true
		default:
			return Order{}, errs.Invalid("order_by", "direction %q is not asc or desc", words[1])
		}
	}
	return o, nil
}
