package flow

import (
	"context"
	"fmt"

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
	return withRequestID(ctx, id)
}

// The request ids of the bridge's work that is not one event's, each
// carried by every call and log line of its batch or pass:
// bridge-catalog-batch-<n> for a batch of item and stock changes written
// to the CRM, bridge-demand-<n> for a pass of pipeline demand (n counts
// from 1 in each bridge process), bridge-reconcile-<id> for a
// reconciliation pass (its report's id).
func catalogBatchRequestID(n uint64) string { return fmt.Sprintf("bridge-catalog-batch-%d", n) }
func demandRequestID(n uint64) string       { return fmt.Sprintf("bridge-demand-%d", n) }
func reconcileRequestID(id int64) string    { return fmt.Sprintf("bridge-reconcile-%d", id) }

// withRequestID returns ctx whose calls to the services (the x-request-id
// metadata) and log lines (request_id) carry id.
func withRequestID(ctx context.Context, id string) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set("x-request-id", id)
	return metadata.NewOutgoingContext(telemetry.WithRequestID(ctx, id), md)
}
