package api

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"google.golang.org/protobuf/proto"

	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/fieldmaskpb"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
	"github.com/seamhq/seam/platform/listing"
)

// requestFields are request-level fields whose violations are not moved
// under the resource.
var requestFields = map[string]bool{"request_id": true, "update_mask": true}

// under moves the field violations of err under the request field that
// holds the resource ("name" -> "account.name"), so they name fields as the
// client sent them.
func under(prefix string, err error) error {
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument || len(e.Violations) == 0 {
		return err
	}
	var v errs.Violations
	for _, fv := range e.Violations {
		field := fv.Field
		if !requestFields[field] {
			field = prefix + "." + field
		}
		v.Add(field, "%s", fv.Description)
	}
	return v.Err()
}

// maskFields resolves an update mask into the mutable fields it names. No
// mask means every mutable field (a full replacement); a mask present
// with no path names none, so the update changes nothing and answers the
// current resource (its etag still checked). The server's interceptor
// leaves only a REST PATCH whose body has no fields so: an empty mask
// over gRPC, and "*", arrive as no mask. Read-only fields are ignored (the
// REST gateway fills the mask from every field present in the body, and a
// client may send back a resource it read); unknown fields are an error.
func maskFields(mask *fieldmaskpb.FieldMask, mutable, readOnly []string) ([]string, error) {
	if mask == nil {
		return slices.Clone(mutable), nil
	}
	if len(mask.GetPaths()) == 0 {
		return nil, nil
	}
	var out []string
	var v errs.Violations
	for _, p := range mask.GetPaths() {
		top, _, _ := strings.Cut(p, ".")
		switch {
		case slices.Contains(mutable, top):
			if !slices.Contains(out, top) {
				out = append(out, top)
			}
		case slices.Contains(readOnly, top):
			// read-only: ignored
		default:
			v.Add("update_mask", "unknown field %q (updatable: %s)", p, strings.Join(mutable, ", "))
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

// page is a parsed list request.
type page struct {
	equal map[string]string
	// ranges are the < and <= terms on rangeFields.
	ranges []listing.Condition
	// order is the order_by of a list that takes one.
	order listing.Order
	// after is the id of the last row of the previous page; afterKey,
	// when order names a field, that row's key of it (OrderKey).
	after    string
	afterKey []string
	limit    int
	digest   string
}

// listRequest is the request of a list method.
type listRequest interface {
	proto.Message
	GetPageSize() int32
	GetPageToken() string
	GetFilter() string
}

// parsePage validates page_size, filter (equality on fields only) and
// page_token, which must come from the same list with the same query
// (listing.RequestDigest). uuidKey says the keyset key is a UUID.
// convert, when not nil, rewrites a filter value (e.g. an enum name to
// its stored form). rangeFields may also be compared with < and <=
// (collected in ranges).
func parsePage(req listRequest, uuidKey bool, fields []string, convert func(field, value string) (string, error), rangeFields ...string) (page, error) {
	return parseList(req, uuidKey, fields, convert, nil, nil, rangeFields)
}

// orderedListRequest is the request of a list method that takes order_by.
type orderedListRequest interface {
	listRequest
	GetOrderBy() string
}

// parseOrderedPage is parsePage for a list keyed by UUID that sorts by
// orderFields (order_by, listing.ParseOrderAliases; orderAliases, when
// not nil, name some of them otherwise). Its page token carries the sort
// field's key (the domain's OrderKey) and the id of the last row, and is
// bound to the order as written canonically ("name" and " name asc" are
// one order, as are an alias and its field).
func parseOrderedPage(req orderedListRequest, fields []string, convert func(field, value string) (string, error), orderFields []string, orderAliases map[string]string) (page, error) {
	return parseList(req, true, fields, convert, orderFields, orderAliases, nil)
}

func parseList(req listRequest, uuidKey bool, fields []string, convert func(field, value string) (string, error), orderFields []string, orderAliases map[string]string, rangeFields []string) (page, error) {
	var p page
	var v errs.Violations
	filter, token := req.GetFilter(), req.GetPageToken()
	limit, err := listing.PageSize(req.GetPageSize())
	if merr := v.Merge("", err); merr != nil {
		return p, merr
	}
	p.limit = limit
	conds, err := listing.ParseFilter(filter, append(slices.Clone(fields), rangeFields...)...)
	if merr := v.Merge("", err); merr != nil {
		return p, merr
	}
	p.equal = make(map[string]string, len(conds))
	for _, c := range conds {
		if slices.Contains(rangeFields, c.Field) {
			if c.Op == listing.Ne || c.Op == listing.Eq {
				v.Add("filter", "%s supports only <, <=, > and >=, got %s", c.Field, c.Op)
				continue
			}
			p.ranges = append(p.ranges, c)
			continue
		}
		if c.Op != listing.Eq {
			v.Add("filter", "only = is supported, got %s %s", c.Field, c.Op)
			continue
		}
		if _, dup := p.equal[c.Field]; dup {
			v.Add("filter", "%s appears more than once", c.Field)
			continue
		}
		value := c.Value
		if c.Field == "owner" {
			// Every owner is stored trimmed, so the filter's value is
			// read trimmed: " sam " is sam, not a silent empty page.
			value = strings.TrimSpace(value)
		}
		if convert != nil {
			if value, err = convert(c.Field, value); err != nil {
				v.Add("filter", "%v", err)
				continue
			}
		}
		p.equal[c.Field] = value
	}
	var digested proto.Message = req
	if orderFields != nil {
		if p.order, err = listing.ParseOrderAliases(req.(orderedListRequest).GetOrderBy(), orderAliases, orderFields...); err != nil {
			// A token cannot be checked against an order that is not one.
			if merr := v.Merge("", err); merr != nil {
				return p, merr
			}
			return p, v.Err()
		}
		digested = withOrderBy(req, p.order.String())
	}
	p.digest = listing.RequestDigest(digested)
	tok, err := listing.DecodeToken(token, p.digest)
	if merr := v.Merge("", err); merr != nil {
		return p, merr
	}
	if tok != nil {
		p.after = tok.After[0]
		if p.order.Field != "" {
			// The sort field's value (as many parts as the order's
			// key has: the store checks them), then the id.
			if len(tok.After) < 2 {
				v.Add("page_token", "is not a token returned by this list")
				return p, v.Err()
			}
			last := len(tok.After) - 1
			p.afterKey, p.after = tok.After[:last], tok.After[last]
		}
		if _, ok := ids.Canonical(p.after); uuidKey && !ok {
			v.Add("page_token", "is not a token returned by this list")
		}
	}
	return p, v.Err()
}

// withOrderBy is a copy of req with order_by set to orderBy.
func withOrderBy(req listRequest, orderBy string) proto.Message {
	c := proto.Clone(req)
	m := c.ProtoReflect()
	m.Set(m.Descriptor().Fields().ByName("order_by"), protoreflect.ValueOfString(orderBy))
	return c
}

// enumFilterValue reads the value of a filter on an enum field, given as
// its enum name ("LEAD_STATUS_NEW") or as its short form in any case
// ("new", "NEW"), and returns the stored form. values maps the stored
// forms to the wire enum (an UNSPECIFIED entry is never a match); what
// names the field in the error.
func enumFilterValue[D ~string, P protoreflect.Enum](what, value string, values map[D]P) (string, error) {
	short := strings.ToLower(value)
	names := make([]string, 0, len(values))
	for d, p := range values {
		if p.Number() == 0 {
			continue
		}
		name := string(p.Descriptor().Values().ByNumber(p.Number()).Name())
		if name == value || string(d) == short {
			return string(d), nil
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return "", fmt.Errorf("unknown %s %q (one of %s, or the same without the prefix)", what, value, strings.Join(names, ", "))
}

// nextToken returns the token of the page after the one ending at key, or
// "" when there is none.
func (p page) nextToken(more bool, key string) string {
	if !more {
		return ""
	}
	return listing.Token{After: []string{key}, Query: p.digest}.Encode()
}

// nextOrderedToken returns the token of the page of an ordered list
// (parseOrderedPage) after the one ending at the row of id whose value of
// the order's field is key (the domain's OrderKey), or "" when there is
// none.
func (p page) nextOrderedToken(more bool, key []string, id string) string {
	if !more {
		return ""
	}
	if p.order.Field == "" {
		return p.nextToken(more, id)
	}
	return listing.Token{After: append(slices.Clone(key), id), Query: p.digest}.Encode()
}
