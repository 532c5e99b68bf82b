package migrations

import (
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/feed"
)

// The outbox table must be exactly the platform's, or feed.Append and the
// reader would drift from the schema.
func TestInitContainsFeedSchema(t *testing.T) {
	t.Parallel()
	b, err := FS.ReadFile("0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), feed.Schema) {
		t.Fatal("0001_init.sql does not contain feed.Schema verbatim")
	}
}
