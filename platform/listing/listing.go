// Package listing implements the list conventions of every API: page sizes,
// opaque keyset page tokens (AIP-158) and a small filter language (a subset
// of AIP-160).
package listing

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/seamhq/seam/platform/errs"
)

// Page size bounds of every list method.
const (
	DefaultPageSize = 50
	MaxPageSize     = 1000
)

// MaxPageBytes bounds the encoded size of the items of one page of a list
// or an event feed. A page whose items would grow past it ends early,
// with fewer items than page_size asked for (AIP-158 allows a short page)
// and a token or cursor that continues after its last item, so that a
// page of large resources (an opportunity or an order of hundreds of
// lines) stays below the 4 MiB a gRPC client accepts by default instead
// of failing there with RESOURCE_EXHAUSTED, for every page size.
const MaxPageBytes = 3 << 20

// Fit returns how many of items, from the first, make a page of at most
// MaxPageBytes: at least one, so that a list always advances.
func Fit[T proto.Message](items []T) int { return FitWithin(items, MaxPageBytes) }

// FitWithin returns how many of items, from the first, encode to at most
// budget bytes as a repeated field: at least one. A response of several
// lists shares MaxPageBytes among them with it.
func FitWithin[T proto.Message](items []T, budget int) int {
	total := 0
	for i, it := range items {
		total += ItemSize(it)
		if total > budget && i > 0 {
			return i
		}
	}
	return len(items)
}

// ItemSize is what an item adds to a repeated field: the item, its field
// tag and its length prefix (at most).
func ItemSize(item proto.Message) int { return proto.Size(item) + 6 }

// PageSize validates a requested page size: 0 means the default, values
// above the maximum are lowered to it, negative values are an error.
func PageSize(requested int32) (int, error) {
	switch {
	case requested < 0:
		return 0, errs.Invalid("page_size", "must not be negative")
	case requested == 0:
		return DefaultPageSize, nil
	case requested > MaxPageSize:
		return MaxPageSize, nil
	default:
		return int(requested), nil
	}
}

// Token is the position after the last row of a page: the values of the
// list's sort key in that row, bound to the filter it was made for.
type Token struct {
	// After holds the sort key of the last row returned, as strings.
	After []string `json:"a"`
	// Query is a digest of the filter and order of the list, so that a
	// token cannot be replayed against a different query.
	Query string `json:"q"`
}

// QueryDigest summarizes the parts of a list request a token depends on.
func QueryDigest(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		fmt.Fprintf(h, "%d:%s;", len(p), p)
	}
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil)[:9])
}

// RequestDigest is the QueryDigest of a list request: its message type and
// every field but page_size and page_token (the filter, the order, the
// parent the list is under), so that a token continues only the list and
// the query it came from. A token of another list keyed the same way
// would otherwise be taken, and skip that list's rows up to its key.
func RequestDigest(req proto.Message) string {
	c := proto.Clone(req).ProtoReflect()
	fields := c.Descriptor().Fields()
	for _, name := range []protoreflect.Name{"page_size", "page_token"} {
		if fd := fields.ByName(name); fd != nil {
			c.Clear(fd)
		}
	}
	body, err := proto.MarshalOptions{Deterministic: true}.Marshal(c.Interface())
	if err != nil {
		// Not reached for the generated messages of list requests; the
		// type alone still binds the token to its list.
		body = nil
	}
	return QueryDigest(string(c.Descriptor().FullName()), string(body))
}

// Encode renders a token as an opaque string.
func (t Token) Encode() string {
	b, _ := json.Marshal(t)
	return base64.RawURLEncoding.EncodeToString(b)
}

// DecodeToken parses a page token made by Encode for the query digest
// query. An empty string is the first page (nil, nil).
func DecodeToken(s, query string) (*Token, error) {
	if s == "" {
		return nil, nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, errs.Invalid("page_token", "is not a token returned by this list")
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil || len(t.After) == 0 {
		return nil, errs.Invalid("page_token", "is not a token returned by this list")
	}
	if t.Query != query {
		return nil, errs.Invalid("page_token", "was issued for a different filter or order")
	}
	return &t, nil
}
