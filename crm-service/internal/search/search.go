// Package search finds accounts, contacts and leads by the start of their
// name or email address.
package search

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// Types a search can cover, in the order results of equal rank and sort
// value are listed.
const (
	Accounts = "accounts"
	Contacts = "contacts"
	Leads    = "leads"
)

// AllTypes are the searchable resource types.
var AllTypes = []string{Accounts, Contacts, Leads}

// MaxQuery bounds a query, in characters.
const MaxQuery = 200

// Ranks of a hit: lower comes first.
const (
	RankExactName  = 0
	RankNamePrefix = 1
	RankEmail      = 2
)

// Query is a validated search request.
type Query struct {
	// Text is the query as sent, trimmed. Names match it folded to lower
	// case by the store, the way the store folds the names, so both sides
	// fold every letter alike whatever the database's own collation.
	Text string
	// Prefix is the query folded to lower case (by Go), the way email keys
	// are stored.
	Prefix string
	// Types to search, a non-empty subset of AllTypes in that order.
	Types []string
	// After is the sort key of the last hit of the previous page, or nil.
	After *Key
	Limit int
}

// Key is the position of a hit in the ranking.
type Key struct {
	Rank int
	// Sort orders hits within a rank: the name folded to lower case for
	// name matches, the email folded to lower case for email matches.
	Sort string
	Type string
	ID   string
}

// Hit is one matching record.
type Hit struct {
	Key
	// DisplayName is the name as stored.
	DisplayName string
	Email       string
}

// MatchedField says what matched: "name" or "email".
func (h Hit) MatchedField() string {
	if h.Rank == RankEmail {
		return "email"
	}
	return "name"
}

// Store runs searches.
type Store interface {
	// Search returns up to q.Limit+1 hits after q.After in ranking order.
	Search(ctx context.Context, q Query) ([]Hit, error)
}

// Service serves searches.
type Service struct{ store Store }

// NewService returns a Service on store.
func NewService(store Store) *Service { return &Service{store: store} }

// Request is a search as the client sent it.
type Request struct {
	Query     string
	Types     string
	PageSize  int32
	PageToken string
}

// Parse validates r, naming every bad field.
func Parse(r Request) (Query, error) {
	var v errs.Violations
	var q Query
	text := strings.TrimSpace(r.Query)
	switch {
	case text == "":
		v.Add("query", "is required")
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		v.Add("query", "must be valid text")
	case utf8.RuneCountInString(text) > MaxQuery:
		v.Add("query", "must be at most %d characters", MaxQuery)
	}
	q.Text, q.Prefix = text, strings.ToLower(text)
	var err error
	if q.Types, err = parseTypes(r.Types); err != nil {
		v.Add("types", "%v", err)
	}
	if q.Limit, err = listing.PageSize(r.PageSize); err != nil {
		_ = v.Merge("", err)
	}
	if v.Len() > 0 {
		return Query{}, v.Err()
	}
	tok, err := listing.DecodeToken(r.PageToken, listing.QueryDigest("search", q.Prefix, strings.Join(q.Types, ",")))
	if err != nil {
		return Query{}, err
	}
	if tok != nil {
		k, ok := decodeKey(tok.After)
		if !ok {
			return Query{}, errs.Invalid("page_token", "is not a token returned by this list")
		}
		q.After = &k
	}
	return q, nil
}

func parseTypes(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return AllTypes, nil
	}
	seen := map[string]bool{}
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if !slices.Contains(AllTypes, t) {
			return nil, fmt.Errorf("unknown type %q; use accounts, contacts, leads", t)
		}
		seen[t] = true
	}
	var out []string
	for _, t := range AllTypes {
		if seen[t] {
			out = append(out, t)
		}
	}
	return out, nil
}

func decodeKey(after []string) (Key, bool) {
	if len(after) != 4 {
		return Key{}, false
	}
	rank, err := strconv.Atoi(after[0])
	if err != nil || rank < RankExactName || rank > RankEmail || !slices.Contains(AllTypes, after[2]) {
		return Key{}, false
	}
	return Key{Rank: rank, Sort: after[1], Type: after[2], ID: after[3]}, true
}

// Search runs r and returns a page of hits and the next page token (empty
// on the last page).
func (s *Service) Search(ctx context.Context, r Request) ([]Hit, string, error) {
	q, err := Parse(r)
	if err != nil {
		return nil, "", err
	}
	hits, err := s.store.Search(ctx, q)
	if err != nil {
		return nil, "", err
	}
	if len(hits) <= q.Limit {
		return hits, "", nil
	}
	hits = hits[:q.Limit]
	last := hits[len(hits)-1].Key
	tok := listing.Token{
		After: []string{strconv.Itoa(last.Rank), last.Sort, last.Type, last.ID},
		Query: listing.QueryDigest("search", q.Prefix, strings.Join(q.Types, ",")),
	}
	return hits, tok.Encode(), nil
}
