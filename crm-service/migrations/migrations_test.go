package migrations

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/seamhq/seam/platform/feed"
)

// The outbox table is platform/feed's; the first migration must carry its
// DDL verbatim so the two cannot drift.
func TestInitContainsFeedSchema(t *testing.T) {
	raw, err := fs.ReadFile(FS, "0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(raw), feed.Schema) {
		t.Fatal("0001_init.sql does not contain feed.Schema verbatim")
	}
}
