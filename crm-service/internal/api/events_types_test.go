package api

import (
	"testing"

	"github.com/seamhq/seam/platform/feed"
	"github.com/seamhq/seam/platform/feed/feedtest"
)

// Every event type the CRM declares reaches the wire with its resource as
// the payload and its version. Before campaigns had an encoding, their
// first event stopped the feed for every consumer.
func TestEveryEventTypeEncodes(t *testing.T) {
	t.Parallel()
	types := feedtest.EventTypes(t, "..")
	for _, typ := range types {
		ev, err := eventToProto(feed.Event{ID: "e-1", Type: typ, Key: "k", Payload: []byte(`{"etag":"3"}`)})
		if err != nil {
			t.Errorf("%s: %v", typ, err)
			continue
		}
		if ev.GetPayload() == nil || ev.GetVersion() != 3 {
			t.Errorf("%s: payload %v, version %d", typ, ev.GetPayload(), ev.GetVersion())
		}
	}
	t.Logf("%d event types: %v", len(types), types)

	// A type this binary does not know goes out without a payload.
	ev, err := eventToProto(feed.Event{ID: "e-2", Type: "widget.created", Key: "k", Payload: []byte(`{"etag":"1"}`)})
	if err != nil || ev.GetType() != "widget.created" || ev.GetPayload() != nil {
		t.Errorf("unknown type = %v, %v", ev, err)
	}
}
