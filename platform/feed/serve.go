package feed

import (
	"context"

	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// Source is what a service's event API serves: a *Reader.
type Source interface {
	List(ctx context.Context, after Cursor, limit int) ([]Event, error)
	Watch(ctx context.Context, after Cursor, send func([]Event) error) error
	// Has reports whether an event of the feed is at c.
	Has(ctx context.Context, c Cursor) (bool, error)
}

var _ Source = (*Reader)(nil)

// Page sizes of an event API's list call. A feed is read through from a
// cursor, not browsed, so its default page is larger than a resource
// list's (listing.DefaultPageSize); the services document both values in
// their ListEventsRequest and READMEs. The bridge does not depend on the
// default: it follows each feed with Watch, whose batches are
// DefaultLimit long, and asks ListEvents for MaxPageSize to size a
// backlog.
const (
	DefaultPageSize = 100
	MaxPageSize     = 1000
)

// ParseAfter reads the cursor a client sent as its "after" field ("" for
// the start of the feed); anything else than a cursor this feed handed
// out is INVALID_ARGUMENT naming the field.
func ParseAfter(after string) (Cursor, error) {
	c, err := ParseCursor(after)
	if err != nil {
		return Cursor{}, errs.Invalid("after", "is not a cursor returned by this feed")
	}
	return c, nil
}

// checkAfter parses the client's cursor and makes sure it is one of this
// feed: every cursor handed out is an event's position, and events are
// kept. A well-formed cursor of another feed (the services may share a
// database server, and so transaction ids), one made up, or one from a
// database restored to an earlier state would otherwise read as a real
// position and skip, or replay, events without a word.
func checkAfter(ctx context.Context, src Source, after string) (Cursor, error) {
	c, err := ParseAfter(after)
	if err != nil || c.IsZero() {
		return c, err
	}
	ok, err := src.Has(ctx, c)
	if err != nil {
		return Cursor{}, err
	}
	if !ok {
		return Cursor{}, errs.Invalid("after", "is no position in this feed: a cursor of another feed, or of a database restored since")
	}
	return c, nil
}

// ListPage serves a list call of an event API: up to pageSize events after
// the client's cursor (0 asks for DefaultPageSize, more than MaxPageSize
// gets MaxPageSize, a negative size is INVALID_ARGUMENT), each converted
// to the wire type by conv, and the cursor to continue from: the last
// event's, or the client's own when there is nothing new. A page of
// protobuf messages ends early rather than encode to more than
// listing.MaxPageBytes (large payloads would otherwise make a page no
// gRPC client with default limits can receive); its cursor is that of its
// last event, so the next page starts with the first one left out.
func ListPage[T any](ctx context.Context, src Source, after string, pageSize int32, conv func(Event) (T, error)) ([]T, string, error) {
	cur, err := checkAfter(ctx, src, after)
	if err != nil {
		return nil, "", err
	}
	size := int(pageSize)
	switch {
	case size < 0:
		return nil, "", errs.Invalid("page_size", "must not be negative")
	case size == 0:
		size = DefaultPageSize
	case size > MaxPageSize:
		size = MaxPageSize
	}
	events, err := src.List(ctx, cur, size)
	if err != nil {
		return nil, "", err
	}
	out := make([]T, 0, len(events))
	bytes := 0
	for _, e := range events {
		v, err := conv(e)
		if err != nil {
			return nil, "", err
		}
		if m, ok := any(v).(proto.Message); ok {
			// The message, its field tag and its length prefix.
			bytes += proto.Size(m) + 6
			if bytes > listing.MaxPageBytes && len(out) > 0 {
				break
			}
		}
		out = append(out, v)
	}
	next := cur.String()
	if len(out) > 0 {
		next = events[len(out)-1].Cursor.String()
	}
	return out, next, nil
}

// Stream serves a watch call of an event API: it sends the events after
// the client's cursor, converted by conv, then new ones as they commit,
// until ctx ends (the client went away) or send fails.
func Stream[T any](ctx context.Context, src Source, after string, conv func(Event) (T, error), send func(T) error) error {
	cur, err := checkAfter(ctx, src, after)
	if err != nil {
		return err
	}
	return src.Watch(ctx, cur, func(events []Event) error {
		for _, e := range events {
			v, err := conv(e)
			if err != nil {
				return err
			}
			if err := send(v); err != nil {
				return err
			}
		}
		return nil
	})
}
