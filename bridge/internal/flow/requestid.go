package flow

import (
	"context"

	"google.golang.org/grpc/metadata"

	"github.com/seamhq/seam/platform/telemetry"
)

// maxRequestIDLen is the longest request id the services keep (their
// server package replaces a longer one).
const maxRequestIDLen = 128

// eventRequestID is the request id of the work of applying one event:
// bridge-<feed>-<event id>, one printable token of at most
// maxRequestIDLen bytes, as the services keep it. The calls the bridge
// makes for the event carry it, as their x-request-id, and so do the
// bridge's log lines about it, so one id finds the event's lines in the
// bridge's, the CRM's and the ERP's logs. "" for an event without an id.
func eventRequestID(feed, eventID string) string {
	if eventID == "" {
		return ""
	}
	b := []byte("bridge-" + feed + "-" + eventID)
	for i, c := range b {
		if c <= ' ' || c > '~' {
			b[i] = '_'
		}
	}
	return string(b[:min(len(b), maxRequestIDLen)])
}

// forEvent returns ctx whose calls to the services (the x-request-id
// metadata) and log lines (request_id) carry the request id of the
// event; ctx itself for an event without an id.
func forEvent(ctx context.Context, feed, eventID string) context.Context {
	id := eventRequestID(feed, eventID)
	if id == "" {
		return ctx
	}
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set("x-request-id", id)
	return metadata.NewOutgoingContext(telemetry.WithRequestID(ctx, id), md)
}
