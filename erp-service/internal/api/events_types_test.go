package api

import (
	"testing"

	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/feed/feedtest"
)

// Every event type the ERP declares reaches the wire with its resource as
// the payload; a type without one would reach consumers empty.
func TestEveryEventTypeEncodes(t *testing.T) {
	t.Parallel()
	types := feedtest.EventTypes(t, "..")
	for _, typ := range types {
		ev, err := eventToProto(feed.Event{ID: "e-1", Type: typ, Key: "k", Payload: []byte(`{}`)})
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if ev.GetPayload() == nil {
			t.Errorf("%s: no payload", typ)
		}
	}
	t.Logf("%d event types: %v", len(types), types)
}
