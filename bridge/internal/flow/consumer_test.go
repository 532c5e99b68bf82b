package flow

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/seamhq/seam/platform/auth"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

type memState struct {
	mu      sync.Mutex
	cursors map[string]string
}

func (s *memState) Checkpoint(_ context.Context, feed string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cursors[feed], nil
}

func (s *memState) SaveCheckpoint(_ context.Context, feed, cursor string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cursors[feed] = cursor
	return nil
}

// endedStream ends at once with err, or blocks until its context ends
// when err is nil.
type endedStream struct {
	ctx context.Context
	err error
}

func (s endedStream) Recv() (*erpv1.Event, error) {
	if s.err != nil {
		return nil, s.err
	}
	<-s.ctx.Done()
	return nil, s.ctx.Err()
}

// A feed stream that ends because the token that opened it expired is
// opened again at once, and is no error of the feed; any other end is.
func TestFeedReopensStreamWhoseTokenExpired(t *testing.T) {
	t.Parallel()
	expired, _ := status.New(codes.Unauthenticated, "the token that opened this stream has expired").
		WithDetails(&errdetails.ErrorInfo{Reason: auth.TokenExpiredReason, Domain: "seam"})
	if !auth.StreamTokenExpired(expired.Err()) {
		t.Fatal("the test's stream end does not read as an expired token")
	}
	ends := []error{expired.Err(), status.Error(codes.Unavailable, "connection reset"), nil}
	type opened struct {
		at        time.Time
		lastError string
	}
	var (
		mu    sync.Mutex
		opens []opened
	)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c := &consumer[*erpv1.Event]{
		name:  FeedERP,
		state: &memState{cursors: map[string]string{}},
		log:   slog.New(slog.DiscardHandler),
		apply: func(context.Context, *erpv1.Event) error { return nil },
	}
	c.watch = func(ctx context.Context, _ string) (receiver[*erpv1.Event], error) {
		mu.Lock()
		defer mu.Unlock()
		opens = append(opens, opened{at: time.Now(), lastError: c.snapshot().LastError})
		if len(opens) == len(ends) {
			cancel() // seen them all
		}
		return endedStream{ctx: ctx, err: ends[min(len(opens), len(ends))-1]}, nil
	}
	c.run(ctx)

	mu.Lock()
	defer mu.Unlock()
	if len(opens) != len(ends) {
		t.Fatalf("stream opened %d times, want %d", len(opens), len(ends))
	}
	if opens[1].lastError != "" {
		t.Errorf("after a stream's token expired, the feed shows the error %q, want none", opens[1].lastError)
	}
	if gap := opens[1].at.Sub(opens[0].at); gap > 20*time.Millisecond {
		t.Errorf("stream reopened %s after its token expired, want at once", gap)
	}
	if !strings.Contains(opens[2].lastError, "connection reset") {
		t.Errorf("after a stream broke, the feed shows the error %q, want it", opens[2].lastError)
	}
	if err := ctx.Err(); !errors.Is(err, context.Canceled) {
		t.Errorf("run ended by %v, want the test's cancel", err)
	}
}
