package search_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/search"
	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

func violations(t *testing.T, err error) []string {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) || e.Kind != errs.InvalidArgument {
		t.Fatalf("want INVALID_ARGUMENT, got %v", err)
	}
	var fields []string
	for _, v := range e.Violations {
		fields = append(fields, v.Field)
	}
	return fields
}

func TestParse(t *testing.T) {
	q, err := search.Parse(search.Request{Query: "  AcMe ", Types: " Leads, accounts,leads"})
	if err != nil {
		t.Fatal(err)
	}
	if q.Prefix != "acme" || !slices.Equal(q.Types, []string{"accounts", "leads"}) || q.Limit != 50 || q.After != nil {
		t.Fatalf("%+v", q)
	}
	q, err = search.Parse(search.Request{Query: "x", PageSize: 5000})
	if err != nil || q.Limit != 1000 || !slices.Equal(q.Types, search.AllTypes) {
		t.Fatalf("%+v %v", q, err)
	}
	for _, tc := range []struct {
		r    search.Request
		want []string
	}{
		{search.Request{}, []string{"query"}},
		{search.Request{Query: "   "}, []string{"query"}},
		{search.Request{Query: strings.Repeat("a", 201)}, []string{"query"}},
		{search.Request{Query: "a\x00"}, []string{"query"}},
		{search.Request{Query: "a", Types: "accounts,opportunities"}, []string{"types"}},
		{search.Request{Query: "", Types: "x", PageSize: -1}, []string{"query", "types", "page_size"}},
		{search.Request{Query: "a", PageToken: "garbage"}, []string{"page_token"}},
		{search.Request{Query: "a", PageToken: listing.Token{After: []string{"1", "a", "accounts", "x"}, Query: "other"}.Encode()}, []string{"page_token"}},
		{search.Request{Query: "a", PageToken: listing.Token{
			After: []string{"9", "a", "accounts", "x"}, Query: listing.QueryDigest("search", "a", "accounts,contacts,leads"),
		}.Encode()}, []string{"page_token"}},
	} {
		_, err := search.Parse(tc.r)
		if got := violations(t, err); !slices.Equal(got, tc.want) {
			t.Errorf("%+v: violations %v, want %v", tc.r, got, tc.want)
		}
	}
	_, err = search.Parse(search.Request{Query: strings.Repeat("é", 200)})
	if err != nil {
		t.Fatalf("200 characters: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add("acme", "accounts,leads", int32(10), "")
	f.Add("", "", int32(-1), "eyJhIjpbIjEiXX0")
	f.Fuzz(func(t *testing.T, query, types string, size int32, token string) {
		q, err := search.Parse(search.Request{Query: query, Types: types, PageSize: size, PageToken: token})
		if err != nil {
			if errs.KindOf(err) != errs.InvalidArgument {
				t.Fatalf("error of kind %v: %v", errs.KindOf(err), err)
			}
			return
		}
		if q.Prefix == "" || len(q.Types) == 0 || q.Limit < 1 || q.Limit > 1000 {
			t.Fatalf("accepted %+v", q)
		}
	})
}
