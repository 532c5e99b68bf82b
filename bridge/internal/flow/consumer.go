// Package flow runs the bridge: it follows the CRM and ERP event feeds from
// persisted cursors and applies each event to the other side with
// idempotent commands, so that delivery at least once has the effect of
// delivery exactly once.
package flow

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	grpccodes "google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
	"github.com/seamhq/seam/platform/telemetry"
)

// event is what the CRM and ERP event messages have in common.
type event interface {
	proto.Message
	GetCursor() string
	GetId() string
	GetType() string
	GetKey() string
	GetVersion() int64
	GetCreateTime() *timestamppb.Timestamp
	GetTraceContext() map[string]string
}

// eventBatcher applies some events in batches instead of one by one.
type eventBatcher[E any] interface {
	offer(ev E, seq uint64) bool
	run(ctx context.Context)
}

// receiver is a server stream of events.
type receiver[E any] interface {
	Recv() (E, error)
}

// State is the bridge's persisted feed positions.
type State interface {
	Checkpoint(ctx context.Context, feed string) (string, error)
	SaveCheckpoint(ctx context.Context, feed, cursor string) error
}

// consumer follows one feed.
type consumer[E event] struct {
	name     string
	state    State
	failures FailureStore
	park     *parking
	activity *activityLog
	log      *slog.Logger
	m        *Metrics
	// watch opens the source's event stream after a cursor.
	watch func(ctx context.Context, after string) (receiver[E], error)
	// apply makes the effect of one event on the other side.
	apply func(ctx context.Context, ev E) error
	// batcher, when set, takes the events it can apply in batches.
	batcher func(finish func(uint64, bool), one func(context.Context, E) error) eventBatcher[E]
	// backlog counts the source's events after a cursor (up to a bound)
	// and the time of the first of them.
	backlog func(ctx context.Context, after string) (int, time.Time, error)

	mu         sync.Mutex
	status     FeedStatus
	maxBackoff time.Duration
}

// FeedStatus is a consumer's view of its feed.
type FeedStatus struct {
	Name          string
	Cursor        string
	Connected     bool
	Applied       int64
	Failed        int64
	LastEventTime time.Time
	LastError     string
	// Coalesced counts events skipped because a later event of the same
	// key and type carried newer state.
	Coalesced  int64
	LagEvents  int
	LagSeconds float64
	// BacklogKnown says LagEvents and LagSeconds were read from the
	// source; they are 0 and unknown when it did not answer.
	BacklogKnown bool
}

func (c *consumer[E]) snapshot() FeedStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.status
}

func (c *consumer[E]) update(f func(*FeedStatus)) {
	c.mu.Lock()
	f(&c.status)
	c.mu.Unlock()
}

// run follows the feed until ctx ends, reconnecting with backoff.
func (c *consumer[E]) run(ctx context.Context) {
	c.update(func(s *FeedStatus) { s.Name = c.name })
	attempt := 0
	for ctx.Err() == nil {
		progressed, err := c.follow(ctx)
		c.update(func(s *FeedStatus) { s.Connected = false })
		if ctx.Err() != nil {
			return
		}
		if progressed {
			attempt = 0
		}
		if auth.StreamTokenExpired(err) {
			// A stream lasts as long as the token that opened it: a
			// routine end, opened again at once with a fresh token.
			c.log.Info("feed stream reopened: its token expired", "feed", c.name)
			continue
		}
		c.log.Warn("feed interrupted", "feed", c.name, "err", err)
		c.update(func(s *FeedStatus) { s.LastError = err.Error() })
		sleep(ctx, backoff(attempt, c.maxBackoff))
		attempt++
	}
}

// Lane settings: how many keys are applied in parallel, and how many
// events may wait per lane before the feed is read further.
const (
	laneCount = 8
	laneDepth = 256
	// saveEvery is how often the finished prefix is saved as checkpoint:
	// each save is a write of a hot row, so under load not more than a
	// few per second. After a crash the events since the last save are
	// applied again, which the flows tolerate.
	saveEvery = 250 * time.Millisecond
)

// follow streams events from the checkpoint into per-key lanes and saves
// the checkpoint of the finished prefix as it grows. It returns when the
// stream breaks; events in flight then are applied again after the
// reconnect, which the flows tolerate.
func (c *consumer[E]) follow(ctx context.Context) (progressed bool, err error) {
	cursor, err := c.state.Checkpoint(ctx, c.name)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := c.watch(ctx, cursor)
	if err != nil {
		return false, err
	}
	c.update(func(s *FeedStatus) { s.Connected, s.Cursor = true, cursor })

	prog := newProgress(cursor)
	var lastTime sync.Map // seq -> event time, for status
	finish := func(seq uint64, applied bool) {
		t, _ := lastTime.LoadAndDelete(seq)
		prog.finish(seq)
		c.update(func(s *FeedStatus) {
			if applied {
				s.Applied++
			} else {
				s.Coalesced++
			}
			if t, ok := t.(time.Time); ok && t.After(s.LastEventTime) {
				s.LastEventTime = t
			}
		})
	}
	lanes := newLanes(laneCount, laneDepth, c.applyWithRetry, finish)
	var wg sync.WaitGroup
	wg.Go(func() { lanes.run(ctx) })
	var batcher eventBatcher[E]
	if c.batcher != nil {
		batcher = c.batcher(finish, c.applyWithRetry)
		wg.Go(func() { batcher.run(ctx) })
	}

	save := func(ctx context.Context) error {
		cur, changed := prog.checkpoint()
		if !changed {
			return nil
		}
		if err := c.state.SaveCheckpoint(ctx, c.name, cur); err != nil {
			return err
		}
		c.update(func(s *FeedStatus) { s.Cursor = cur })
		return nil
	}
	saveErr := make(chan error, 1)
	wg.Go(func() {
		t := time.NewTicker(saveEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := save(ctx); err != nil {
					saveErr <- err
					cancel()
					return
				}
			}
		}
	})

	for {
		ev, rerr := stream.Recv()
		if rerr != nil {
			err = rerr
			break
		}
		c.update(func(s *FeedStatus) { s.Connected, s.LastError = true, "" })
		seq := prog.add(ev.GetCursor())
		lastTime.Store(seq, ev.GetCreateTime().AsTime())
		if batcher != nil && batcher.offer(ev, seq) {
			progressed = true
			continue
		}
		if !lanes.push(ctx, ev, seq) {
			err = ctx.Err()
			break
		}
		progressed = true
	}
	cancel()
	wg.Wait()
	select {
	case serr := <-saveErr:
		err = serr
	default:
	}
	// Keep what finished before the break.
	if serr := save(context.WithoutCancel(ctx)); serr != nil && err == nil {
		err = serr
	}
	return progressed, err
}

// applyWithRetry applies an event, retrying transient failures with
// exponential backoff and jitter. An event the other side rejects, or that
// still fails after maxLaneAttempts, is held as a failure and parks its
// key; an event of a parked key is held behind it. It returns only when the
// event is applied or held, or when ctx ends. The calls and log lines of
// the event carry its request id (forEvent).
func (c *consumer[E]) applyWithRetry(ctx context.Context, ev E) error {
	ctx = forEvent(telemetry.Extract(ctx, ev.GetTraceContext()), c.name, ev.GetId())
	ctx, span := otel.Tracer("bridge").Start(ctx, "apply "+ev.GetType())
	span.SetAttributes(attribute.String("feed", c.name), attribute.String("event.key", ev.GetKey()))
	defer span.End()

	for attempt := 0; ; attempt++ {
		held, err := c.park.holdIfParked(ctx, c.failures, c.name, ev.GetKey(), func() postgres.Failure { return heldEvent(c.name, ev, 0, nil) })
		if err == nil && held {
			c.log.InfoContext(ctx, "event held behind a parked key", "feed", c.name, "type", ev.GetType(), "key", ev.GetKey())
			c.activity.add(Activity{Feed: c.name, Event: ev.GetType(), Key: ev.GetKey(), Outcome: OutcomeHeld})
			return nil
		}
		if err == nil {
			start := time.Now()
			err = c.apply(ctx, ev)
			c.m.observe(c.name, ev.GetType(), start, ev.GetCreateTime().AsTime(), err)
			act := Activity{Feed: c.name, Event: ev.GetType(), Key: ev.GetKey(), Outcome: OutcomeApplied, Took: time.Since(start)}
			if err == nil {
				c.activity.add(act)
				return nil
			}
			act.Outcome, act.Error = OutcomeRetrying, err.Error()
			c.update(func(s *FeedStatus) { s.Failed++; s.LastError = err.Error() })
			span.RecordError(err)
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if permanent(err) || attempt+1 >= maxLaneAttempts {
				perr := c.park.park(ctx, c.failures, heldEvent(c.name, ev, attempt+1, err))
				if perr == nil {
					act.Outcome = OutcomeParked
					c.activity.add(act)
					span.SetStatus(codes.Error, err.Error())
					c.log.ErrorContext(ctx, "event failed; key parked", "feed", c.name, "type", ev.GetType(), "key", ev.GetKey(),
						"attempts", attempt+1, "err", err)
					return nil
				}
				err = perr
			}
			if ctx.Err() == nil {
				c.activity.add(act)
			}
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		c.log.WarnContext(ctx, "event failed, retrying", "feed", c.name, "type", ev.GetType(), "key", ev.GetKey(), "attempt", attempt+1, "err", err)
		sleep(ctx, backoff(attempt, c.maxBackoff))
	}
}

// permanent reports whether err will fail again however often it is
// retried: the other side rejected the command itself. Unavailable
// services, timeouts, conflicts and credential problems are transient:
// they pass once the service or its configuration is back.
func permanent(err error) bool {
	var perm *permanentError
	if errors.As(err, &perm) {
		return true
	}
	switch status.Code(err) {
	case grpccodes.InvalidArgument, grpccodes.FailedPrecondition, grpccodes.OutOfRange, grpccodes.Unimplemented:
		return true
	}
	return false
}

type permanentError struct{ msg string }

func (e *permanentError) Error() string { return e.msg }

func backoff(attempt int, limit time.Duration) time.Duration {
	if limit <= 0 {
		limit = 10 * time.Second
	}
	d := 50 * time.Millisecond << min(attempt, 10)
	d = min(d, limit)
	// Full jitter in the upper half keeps retries of many keys apart.
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
