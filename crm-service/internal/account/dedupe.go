package account

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/seamhq/seam/platform/errs"
)

// DuplicateKey is what makes two accounts the same company: the name
// without case and surrounding space, and the host of the website without
// "www." (both may be empty).
type DuplicateKey struct {
	Name   string
	Domain string
}

// KeyOf returns the duplicate key of an account.
func KeyOf(name, website string) DuplicateKey {
	return DuplicateKey{Name: strings.ToLower(strings.Join(strings.Fields(name), " ")), Domain: Domain(website)}
}

// Domain returns the host of a website ("https://www.Acme.com/x" ->
// "acme.com"), or "" when there is none.
func Domain(website string) string {
	w := strings.TrimSpace(website)
	if w == "" {
		return ""
	}
	if !strings.Contains(w, "://") {
		w = "http://" + w
	}
	u, err := url.Parse(w)
	if err != nil || u.Hostname() == "" {
		// Not a URL: compare what was written, without case.
		return strings.ToLower(strings.TrimSpace(website))
	}
	host := strings.TrimRight(strings.ToLower(u.Hostname()), ".")
	for strings.HasPrefix(host, "www.") {
		host = host[len("www."):]
	}
	return host
}

// DuplicateError reports that a create or update would duplicate an existing
// account.
type DuplicateError struct {
	ExistingID string
	Key        DuplicateKey
}

func (e *DuplicateError) Error() string {
	if e.Key.Domain == "" {
		return fmt.Sprintf("account %s already has the name %q and no website; set force to allow another", e.ExistingID, e.Key.Name)
	}
	return fmt.Sprintf("account %s already has the name %q and the website domain %q; set force to allow another",
		e.ExistingID, e.Key.Name, e.Key.Domain)
}

// Unwrap makes the error an ALREADY_EXISTS for errs and for callers that
// do not know this type.
func (e *DuplicateError) Unwrap() error { return errs.AlreadyExistsf("%s", e.Error()) }

// ExternalIDError is an external_id another account has: ALREADY_EXISTS,
// naming that account when it is known.
type ExternalIDError struct {
	ExternalID string
	// ExistingID is the account that has the external_id; "" when unknown
	// (it was deleted since).
	ExistingID string
}

func (e *ExternalIDError) Error() string {
	if e.ExistingID == "" {
		return fmt.Sprintf("another account has external_id %q", e.ExternalID)
	}
	return fmt.Sprintf("account %s already has external_id %q", e.ExistingID, e.ExternalID)
}

// Unwrap makes the error an ALREADY_EXISTS for errs and for callers that
// do not know this type.
func (e *ExternalIDError) Unwrap() error { return errs.AlreadyExistsf("%s", e.Error()) }
