package flow

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"github.com/seamhq/seam/bridge/internal/postgres"
	"github.com/seamhq/seam/platform/auth"
	crmv1 "github.com/seamhq/seam/proto/crm/v1"
	erpv1 "github.com/seamhq/seam/proto/erp/v1"
)

// Parking: an event that keeps failing is held as a failure and parks its
// key. Later events of a parked key are held behind it ("waiting"), so the
// key's events still apply in order, while every other key goes on. The
// held events are retried with growing delays until they apply, and an
// operator can retry or discard them.

// maxLaneAttempts is how often a lane tries a transiently failing event
// before it parks the key (about ten seconds of backoff).
const maxLaneAttempts = 8

// retryDelay is the wait before the next automatic retry of a key that has
// been failing for the given time: half of it, between one second and five
// minutes, so retries start fast after an outage and thin out when the
// cause lasts.
func retryDelay(failingFor time.Duration) time.Duration {
	return min(max(failingFor/2, time.Second), 5*time.Minute)
}

// FailureStore is the bridge state that parking uses.
type FailureStore interface {
	RecordFailure(ctx context.Context, f postgres.Failure) error
	Failure(ctx context.Context, id int64) (postgres.Failure, bool, error)
	Failures(ctx context.Context, afterID int64, limit int) ([]postgres.Failure, error)
	KeyFailures(ctx context.Context, feed, key string) ([]postgres.Failure, error)
	ParkedKeys(ctx context.Context) ([]postgres.FeedKey, error)
	DueKeys(ctx context.Context, now time.Time, limit int) ([]postgres.FeedKey, error)
	MarkFailed(ctx context.Context, id int64, errText string, attempts int, next time.Time) error
	RetryNow(ctx context.Context, feed, key string) error
	DeleteFailure(ctx context.Context, id int64) error
}

// parking is the set of parked keys. Its lock is held while an event is
// added behind a parked key and while a retried key is released, so no
// event can slip in behind a key that is being released.
type parking struct {
	mu   sync.Mutex
	keys map[postgres.FeedKey]bool
	// retry serializes retries, automatic and requested.
	retry sync.Mutex
}

func (p *parking) load(keys []postgres.FeedKey) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = map[postgres.FeedKey]bool{}
	for _, k := range keys {
		p.keys[k] = true
	}
}

// holdIfParked records the event of key on feed as waiting when the key is
// parked; held builds its record (only then: it encodes the event).
func (p *parking) holdIfParked(ctx context.Context, store FailureStore, feed, key string, held func() postgres.Failure) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.keys[postgres.FeedKey{Feed: feed, Key: key}] {
		return false, nil
	}
	f := held()
	f.State = postgres.StateWaiting
	f.Error = "waiting behind an earlier failed event of the same key"
	if err := store.RecordFailure(ctx, f); err != nil {
		return true, err
	}
	if eventFamily(f.Feed, f.EventType) != "" {
		// It may make the failed events before it moot (the fix a
		// person made at the source): try the key at once rather than
		// at its backed-off time.
		return true, store.RetryNow(ctx, feed, key)
	}
	return true, nil
}

// eventFamily names the events of one key whose flows set the other side
// from the whole state the event carries, or from the source's state as
// it is when applied: of two events of a family, the later one applied
// alone leaves the other side as applying both would (see supersedes).
// Events outside any family ("") are never skipped.
func eventFamily(feed, typ string) string {
	switch feed {
	case FeedCRM:
		switch typ {
		case "account.created", "account.updated":
			return "account"
		case "opportunity.won", "opportunity.lost", "opportunity.reopened":
			return "deal"
		}
	case FeedERP:
		switch {
		case typ == "item.created", typ == "item.updated":
			return "item"
		case typ == "stock.changed":
			return "stock"
		case strings.HasPrefix(typ, "invoice."):
			return "invoice"
		case strings.HasPrefix(typ, "sales_order."):
			return "order"
		}
	}
	return ""
}

// supersedes reports whether a held event makes an earlier held event of
// its key moot, so that a retry skips the earlier one: a deal won with a
// SKU the ERP refuses, then reopened, corrected and won again, gets its
// order from the corrected lines, without the stale win failing ahead of
// them for good.
//
// Within the deal family, a loss or a reopening supersedes any earlier
// event (it withdraws whatever order the deal has, placed or not), and a
// win only an earlier win: an earlier loss must still cancel the order
// it withdraws, or the new win would keep that order and its old lines.
// An amendment's event also rewrites the payment status, so only another
// amendment supersedes it.
func supersedes(later, earlier postgres.Failure) bool {
	if later.Feed != earlier.Feed || later.EventKey != earlier.EventKey {
		return false
	}
	family := eventFamily(later.Feed, later.EventType)
	if family == "" || family != eventFamily(earlier.Feed, earlier.EventType) {
		return false
	}
	switch {
	case family == "deal":
		return later.EventType != "opportunity.won" || earlier.EventType == "opportunity.won"
	case earlier.EventType == "sales_order.amended":
		return later.EventType == "sales_order.amended"
	}
	return true
}

// park records a failed event and parks its key.
func (p *parking) park(ctx context.Context, store FailureStore, f postgres.Failure) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	f.State = postgres.StateFailed
	f.NextRetryAt = time.Now().Add(retryDelay(0))
	if err := store.RecordFailure(ctx, f); err != nil {
		return err
	}
	p.keys[postgres.FeedKey{Feed: f.Feed, Key: f.EventKey}] = true
	return nil
}

// heldEvent builds the failure record of an event.
func heldEvent[E event](feed string, ev E, attempts int, err error) postgres.Failure {
	raw, _ := proto.Marshal(ev)
	f := postgres.Failure{
		Feed: feed, Cursor: ev.GetCursor(), EventID: ev.GetId(), EventType: ev.GetType(),
		EventKey: ev.GetKey(), Event: raw, Attempts: attempts,
	}
	if err != nil {
		f.Error = err.Error()
	}
	return f
}

// applyHeld applies a held event again, once, its calls carrying the
// event's request id (forEvent).
func (e *Engine) applyHeld(ctx context.Context, f postgres.Failure) error {
	ctx = forEvent(ctx, f.Feed, f.EventID)
	start := time.Now()
	err := e.applyStored(ctx, f)
	if ctx.Err() == nil {
		e.countAttempt(f.Feed, f.EventType, err)
		act := Activity{Feed: f.Feed, Event: f.EventType, Key: f.EventKey, Outcome: OutcomeRetried, Took: time.Since(start)}
		if err != nil {
			act.Outcome, act.Error = OutcomeStillHeld, err.Error()
		}
		e.activity.add(act)
	}
	return err
}

// countAttempt counts a retry of a held event like any other attempt:
// in the feed's status and in the applied and failed metrics.
func (e *Engine) countAttempt(feed, typ string, err error) {
	count := func(s *FeedStatus) {
		if err != nil {
			s.Failed++
			s.LastError = err.Error()
		} else {
			s.Applied++
		}
	}
	switch {
	case feed == FeedCRM && e.crmFeed != nil:
		e.crmFeed.update(count)
	case feed == FeedERP && e.erpFeed != nil:
		e.erpFeed.update(count)
	}
	e.m.count(feed, typ, err)
}

func (e *Engine) applyStored(ctx context.Context, f postgres.Failure) error {
	switch f.Feed {
	case FeedCRM:
		var ev crmv1.Event
		if err := proto.Unmarshal(f.Event, &ev); err != nil {
			return &permanentError{fmt.Sprintf("stored event does not decode: %v", err)}
		}
		return e.applyCRM(ctx, &ev)
	case FeedERP:
		var ev erpv1.Event
		if err := proto.Unmarshal(f.Event, &ev); err != nil {
			return &permanentError{fmt.Sprintf("stored event does not decode: %v", err)}
		}
		return e.applyERP(ctx, &ev)
	}
	return &permanentError{"unknown feed " + f.Feed}
}

// EventJSON renders a held event for people.
func EventJSON(f postgres.Failure) string {
	var m proto.Message
	switch f.Feed {
	case FeedCRM:
		m = &crmv1.Event{}
	case FeedERP:
		m = &erpv1.Event{}
	default:
		return ""
	}
	if err := proto.Unmarshal(f.Event, m); err != nil {
		return ""
	}
	b, _ := protojson.MarshalOptions{UseProtoNames: true, Indent: "  "}.Marshal(m)
	return string(b)
}

// ErrNoFailure is returned for an id that is not held.
var ErrNoFailure = errors.New("no such failure")

// RetryKey applies the held events of a key in order. It stops at the first
// that fails again (recording the attempt) and releases the key when all
// applied. It returns whether the key is released and the failure still
// heading it otherwise.
func (e *Engine) RetryKey(ctx context.Context, feed, key string) (bool, *postgres.Failure, error) {
	e.parking.retry.Lock()
	defer e.parking.retry.Unlock()
	for {
		held, err := e.store.KeyFailures(ctx, feed, key)
		if err != nil {
			return false, nil, err
		}
		if len(held) == 0 {
			e.parking.mu.Lock()
			// Nothing was added behind the key since the read above: an
			// add happens under this lock after checking the key.
			again, err := e.store.KeyFailures(ctx, feed, key)
			if err == nil && len(again) == 0 {
				delete(e.parking.keys, postgres.FeedKey{Feed: feed, Key: key})
			}
			e.parking.mu.Unlock()
			if err != nil {
				return false, nil, err
			}
			if len(again) == 0 {
				return true, nil, nil
			}
			continue
		}
		for i, f := range held {
			if slices.ContainsFunc(held[i+1:], func(later postgres.Failure) bool { return supersedes(later, f) }) {
				if err := e.store.DeleteFailure(ctx, f.ID); err != nil {
					return false, nil, err
				}
				e.log.InfoContext(forEvent(ctx, f.Feed, f.EventID), "held event skipped: a later event of its key supersedes it", "feed", feed, "key", key, "type", f.EventType)
				e.activity.add(Activity{Feed: f.Feed, Event: f.EventType, Key: f.EventKey, Outcome: OutcomeSuperseded})
				continue
			}
			if err := e.applyHeld(ctx, f); err != nil {
				if ctx.Err() != nil {
					return false, nil, ctx.Err()
				}
				f.Attempts++
				f.Error = err.Error()
				f.State = postgres.StateFailed
				f.NextRetryAt = time.Now().Add(retryDelay(time.Since(f.CreatedAt)))
				if err := e.store.MarkFailed(ctx, f.ID, f.Error, f.Attempts, f.NextRetryAt); err != nil {
					return false, nil, err
				}
				e.log.WarnContext(forEvent(ctx, f.Feed, f.EventID), "held event failed again", "feed", feed, "key", key, "type", f.EventType, "attempts", f.Attempts, "err", f.Error)
				return false, &f, nil
			}
			if err := e.store.DeleteFailure(ctx, f.ID); err != nil {
				return false, nil, err
			}
			e.log.InfoContext(forEvent(ctx, f.Feed, f.EventID), "held event applied", "feed", feed, "key", key, "type", f.EventType)
		}
	}
}

// RetryFailure retries the key of a held event now.
func (e *Engine) RetryFailure(ctx context.Context, id int64) (bool, *postgres.Failure, error) {
	if !e.Leader() {
		return false, nil, ErrStandby
	}
	f, ok, err := e.store.Failure(ctx, id)
	if err != nil {
		return false, nil, err
	}
	if !ok {
		return false, nil, ErrNoFailure
	}
	e.log.Info("held event retried", "feed", f.Feed, "key", f.EventKey, "type", f.EventType, "id", id, "by", auth.Actor(ctx))
	return e.RetryKey(ctx, f.Feed, f.EventKey)
}

// DiscardFailure drops a held event; the events waiting behind it are
// tried right away.
func (e *Engine) DiscardFailure(ctx context.Context, id int64) error {
	if !e.Leader() {
		return ErrStandby
	}
	f, ok, err := e.store.Failure(ctx, id)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNoFailure
	}
	e.parking.retry.Lock()
	err = e.store.DeleteFailure(ctx, id)
	e.parking.retry.Unlock()
	if err != nil {
		return err
	}
	// Who dropped it: an event discarded is a change the other side never
	// sees, so the log names the caller (the console's operator, or the
	// API's) as audit entries do.
	e.log.Warn("held event discarded", "feed", f.Feed, "key", f.EventKey, "type", f.EventType, "id", id, "by", auth.Actor(ctx))
	e.activity.add(Activity{Feed: f.Feed, Event: f.EventType, Key: f.EventKey, Outcome: OutcomeDiscarded})
	_, _, err = e.RetryKey(ctx, f.Feed, f.EventKey)
	return err
}

// Failures lists held events.
func (e *Engine) Failures(ctx context.Context, afterID int64, limit int) ([]postgres.Failure, error) {
	return e.store.Failures(ctx, afterID, limit)
}

// retryDue retries parked keys whose time has come, until ctx ends.
func (e *Engine) retryDue(ctx context.Context) {
	t := time.NewTicker(e.opts.RetryEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		keys, err := e.store.DueKeys(ctx, time.Now(), 100)
		if err != nil {
			if ctx.Err() == nil {
				e.log.Warn("list due failures", "err", err)
			}
			continue
		}
		for _, k := range keys {
			if _, _, err := e.RetryKey(ctx, k.Feed, k.Key); err != nil && ctx.Err() == nil {
				e.log.Warn("retry parked key", "feed", k.Feed, "key", k.Key, "err", err)
			}
		}
	}
}
