package feed

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/listing"
)

// fakeSource serves n events with ids 1..n from memory.
type fakeSource struct {
	n     int
	limit int // the limit List was last asked for
}

func (f *fakeSource) List(_ context.Context, after Cursor, limit int) ([]Event, error) {
	f.limit = limit
	var out []Event
	for id := after.ID + 1; id <= int64(f.n) && len(out) < limit; id++ {
		out = append(out, Event{Cursor: Cursor{XID: 1, ID: id}, ID: fmt.Sprint(id)})
	}
	return out, nil
}

func (f *fakeSource) Has(_ context.Context, c Cursor) (bool, error) {
	return c.XID == 1 && c.ID >= 1 && c.ID <= int64(f.n), nil
}

func (f *fakeSource) Watch(ctx context.Context, after Cursor, send func([]Event) error) error {
	events, _ := f.List(ctx, after, f.n)
	return send(events)
}

func id(e Event) (string, error) { return e.ID, nil }

func TestListPage(t *testing.T) {
	ctx := context.Background()
	src := &fakeSource{n: 3}
	got, next, err := ListPage(ctx, src, "", 2, id)
	if err != nil || fmt.Sprint(got) != "[1 2]" || src.limit != 2 {
		t.Fatalf("first page = %v, %q, %v (limit %d)", got, next, err, src.limit)
	}
	got, next2, err := ListPage(ctx, src, next, 0, id)
	if err != nil || fmt.Sprint(got) != "[3]" || src.limit != DefaultPageSize {
		t.Fatalf("second page = %v, %v (limit %d)", got, err, src.limit)
	}
	// At the end the cursor stays where the client is.
	if got, again, err := ListPage(ctx, src, next2, 5000, id); err != nil || len(got) != 0 || again != next2 || src.limit != MaxPageSize {
		t.Fatalf("past the end = %v, %q, %v (limit %d)", got, again, err, src.limit)
	}
	if _, _, err := ListPage(ctx, src, "", -1, id); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("negative page size: %v", err)
	}
	if _, _, err := ListPage(ctx, src, "not a cursor", 1, id); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("bad cursor: %v", err)
	}
	// Well formed, but no event is there: ahead of the feed, or another's.
	for _, c := range []Cursor{{XID: 1, ID: 4}, {XID: 2, ID: 1}} {
		if _, _, err := ListPage(ctx, src, c.String(), 1, id); !errors.Is(err, errs.ErrInvalidArgument) {
			t.Errorf("cursor %v of no event: %v", c, err)
		}
		if err := Stream(ctx, src, c.String(), id, func(string) error { return nil }); !errors.Is(err, errs.ErrInvalidArgument) {
			t.Errorf("stream from cursor %v of no event: %v", c, err)
		}
	}
	boom := errors.New("boom")
	if _, _, err := ListPage(ctx, src, "", 1, func(Event) (string, error) { return "", boom }); !errors.Is(err, boom) {
		t.Errorf("conversion error: %v", err)
	}
}

// A page of large events ends before it grows past listing.MaxPageBytes,
// which a gRPC client with default limits could not receive, and its
// cursor resumes with the first event left out: every event comes once.
func TestListPageBytes(t *testing.T) {
	ctx := context.Background()
	src := &fakeSource{n: 10}
	big := func(e Event) (*wrapperspb.StringValue, error) {
		return wrapperspb.String(e.ID + strings.Repeat("x", listing.MaxPageBytes/4)), nil
	}
	var seen []string
	after := ""
	for range 10 {
		got, next, err := ListPage(ctx, src, after, 1000, big)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			break
		}
		size := 0
		for _, m := range got {
			size += proto.Size(m)
			seen = append(seen, strings.TrimRight(m.GetValue(), "x"))
		}
		if size > listing.MaxPageBytes {
			t.Fatalf("page of %d events encodes to %d bytes, more than %d", len(got), size, listing.MaxPageBytes)
		}
		after = next
	}
	if fmt.Sprint(seen) != "[1 2 3 4 5 6 7 8 9 10]" {
		t.Fatalf("events read = %v, want each of 1..10 once", seen)
	}
	// One event larger than a page still makes a page: the feed advances.
	huge := func(e Event) (*wrapperspb.StringValue, error) {
		return wrapperspb.String(strings.Repeat("x", listing.MaxPageBytes+1)), nil
	}
	if got, _, err := ListPage(ctx, src, "", 1000, huge); err != nil || len(got) != 1 {
		t.Fatalf("page of events larger than a page = %d events, %v; want 1", len(got), err)
	}
}

func TestStream(t *testing.T) {
	ctx := context.Background()
	var sent []string
	err := Stream(ctx, &fakeSource{n: 3}, Cursor{XID: 1, ID: 1}.String(), id, func(s string) error {
		sent = append(sent, s)
		return nil
	})
	if err != nil || fmt.Sprint(sent) != "[2 3]" {
		t.Fatalf("Stream sent %v, %v", sent, err)
	}
	stop := errors.New("client gone")
	if err := Stream(ctx, &fakeSource{n: 3}, "", id, func(string) error { return stop }); !errors.Is(err, stop) {
		t.Errorf("send error: %v", err)
	}
	if err := Stream(ctx, &fakeSource{n: 3}, "??", id, func(string) error { return nil }); !errors.Is(err, errs.ErrInvalidArgument) {
		t.Errorf("bad cursor: %v", err)
	}
}
