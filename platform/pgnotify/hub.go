package pgnotify

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// HubLinger is how long a Hub keeps its connection after the last
// subscriber left, so that a client watching one resource after another
// does not reconnect every time.
const HubLinger = 30 * time.Second

// Hub tells subscribers when the resource they watch has changed. Writers
// announce a change in the writing transaction, with
//
//	SELECT pg_notify(channel, key || ' ' || version)
//
// (Payload builds the text; the version may be left out), usually from a
// trigger; PostgreSQL delivers the notification when the transaction
// commits. The Hub listens on one connection, shared by all subscribers,
// while it has any.
//
// A watch subscribes first and reads the resource after: a change
// committed after the read is then always signalled. Notifications sent
// while the Hub was not listening (it was connecting, or reconnecting
// after a failure) are lost, so every subscriber is signalled when the
// listening starts; it reads again.
type Hub struct {
	l *Listener

	mu   sync.Mutex
	subs map[string]map[*Subscription]struct{}
}

// NewHub returns a Hub on channel (an SQL identifier) whose connections
// are opened by connect.
func NewHub(connect func(context.Context) (*pgx.Conn, error), channel string) *Hub {
	h := &Hub{subs: map[string]map[*Subscription]struct{}{}}
	h.l = NewListener(connect, channel, HubLinger, h.notify, h.everyone)
	return h
}

// Close stops listening. Subscriptions get no more signals.
func (h *Hub) Close() { h.l.Close() }

// Payload is the notification text announcing version of key.
func Payload(key string, version int64) string {
	return key + " " + strconv.FormatInt(version, 10)
}

// Subscription is one watcher's interest in a key; Close it when done.
type Subscription struct {
	hub   *Hub
	key   string
	ready chan struct{} // holds a token while a signal waits

	mu      sync.Mutex
	version int64 // highest version announced since the last Wait; -1: unknown
}

// Subscribe registers interest in changes of key.
func (h *Hub) Subscribe(key string) *Subscription {
	s := &Subscription{hub: h, key: key, ready: make(chan struct{}, 1)}
	h.mu.Lock()
	set := h.subs[key]
	if set == nil {
		set = map[*Subscription]struct{}{}
		h.subs[key] = set
	}
	set[s] = struct{}{}
	h.mu.Unlock()
	h.l.Acquire()
	return s
}

// Close unregisters s; it is safe to call more than once.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	set := h.subs[s.key]
	_, ok := set[s]
	if ok {
		delete(set, s)
		if len(set) == 0 {
			delete(h.subs, s.key)
		}
	}
	h.mu.Unlock()
	if ok {
		h.l.Release()
	}
}

// Wait blocks until a change of the key was signalled since the last Wait
// (or since Subscribe) and returns the highest version announced, or -1
// when it is not known (the change did not say, or the Hub (re)started
// listening and changes may have been missed): the caller reads the
// resource again unless it has seen that version already. It returns
// ctx.Err() when ctx ends first.
func (s *Subscription) Wait(ctx context.Context) (int64, error) {
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-s.ready:
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.ready: // came with the signal returned now
	default:
	}
	v := s.version
	s.version = 0
	return v, nil
}

func (s *Subscription) signal(version int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version < 0 || s.version < 0 {
		s.version = -1
	} else {
		s.version = max(s.version, version)
	}
	select {
	case s.ready <- struct{}{}:
	default: // a token is waiting already
	}
}

// notify signals the subscribers of the payload's key.
func (h *Hub) notify(payload string) {
	key, v, found := strings.Cut(payload, " ")
	version := int64(-1)
	if found {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n >= 0 {
			version = n
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[key] {
		s.signal(version)
	}
}

// everyone signals every subscriber, with the version unknown.
func (h *Hub) everyone() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, set := range h.subs {
		for s := range set {
			s.signal(-1)
		}
	}
}
