// Package listingtest reads a list through, page by page, as a client
// does, and checks each page against the platform's page rules.
package listingtest

import (
	"testing"

	"github.com/seamhq/seam/platform/listing"
)

// Page is what a test reads of one page of a list: the encoded size of
// the response, the keys of its items and its next page token.
type Page struct {
	Size int
	Keys []string
	Next string
}

// ReadThrough pages through a list from the start (list is called with
// each page's token, "" first) and fails t if a page encodes to more than
// listing.MaxPageBytes plus a kilobyte for the response's own fields, an
// item comes twice, or the list does not hold want items.
func ReadThrough(t testing.TB, want int, list func(token string) (Page, error)) {
	t.Helper()
	seen := map[string]bool{}
	token := ""
	for n := 0; ; n++ {
		p, err := list(token)
		if err != nil {
			t.Fatalf("page %d: %v", n, err)
		}
		if p.Size > listing.MaxPageBytes+1024 {
			t.Errorf("page %d is %d bytes", n, p.Size)
		}
		for _, k := range p.Keys {
			if seen[k] {
				t.Errorf("%s listed twice", k)
			}
			seen[k] = true
		}
		if token = p.Next; token == "" {
			break
		}
	}
	if len(seen) != want {
		t.Errorf("listed %d, want %d", len(seen), want)
	}
}
