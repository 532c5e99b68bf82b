package audit_test

import (
	"strings"
	"testing"

	"github.com/seamhq/seam/crm-service/internal/audit"
	"github.com/seamhq/seam/platform/errs"
)

func TestParseResource(t *testing.T) {
	const id = "0190a5d6-1c2b-7d3e-8f40-123456789abc"
	for _, ok := range []string{"accounts/" + id, "opportunities/" + id, "cases/" + id} {
		if got, err := audit.ParseResource("filter", ok); err != nil || got != ok {
			t.Errorf("%s: %q %v", ok, got, err)
		}
	}
	// An id in upper case is the same UUID, kept in lower case.
	if got, err := audit.ParseResource("filter", "accounts/"+strings.ToUpper(id)); err != nil || got != "accounts/"+id {
		t.Errorf("upper case: %q %v", got, err)
	}
	for _, bad := range []string{"", "accounts", "accounts/", "leads/" + id, "accounts/{" + id + "}", "accounts/urn:uuid:" + id,
		"accounts/" + id + "/x", "/" + id} {
		if _, err := audit.ParseResource("filter", bad); errs.KindOf(err) != errs.InvalidArgument {
			t.Errorf("%q accepted: %v", bad, err)
		}
	}
}

func FuzzParseResource(f *testing.F) {
	f.Add("accounts/0190a5d6-1c2b-7d3e-8f40-123456789abc")
	f.Add("cases/x")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := audit.ParseResource("filter", s)
		if err != nil {
			if errs.KindOf(err) != errs.InvalidArgument {
				t.Fatalf("kind %v", errs.KindOf(err))
			}
			return
		}
		if got != strings.ToLower(s) || strings.Count(s, "/") != 1 {
			t.Fatalf("accepted %q", s)
		}
	})
}
