// Package feed is the transactional outbox and the resumable, ordered event
// feed read from it.
//
// A service records what changed by calling Append in the same transaction
// as the change, so an event exists exactly when its change committed.
// Readers page through the feed with Reader.List or follow it with
// Reader.Watch, keeping a Cursor so they can resume after a restart without
// loss or duplication.
//
// # Why events are ordered by transaction id
//
// A bigserial id is taken when a row is inserted, but transactions commit in
// another order: a reader paging by "id > cursor" can pass over an id whose
// transaction was still open and commit later, and never see it. Here every
// event also stores the id of the transaction that wrote it
// (pg_current_xact_id(), a 64-bit xid8 that never wraps), and readers are only
// served events of transactions below the xmin of their snapshot, the oldest
// transaction still running: every transaction below it has ended, committed
// or rolled back, so no further event can ever appear below it. Events are
// served in (xid, id) order and the cursor is that pair. An event therefore
// becomes readable once every transaction that started before its own has
// ended; a transaction left open delays the feed (of every database on the
// server, since xmin is server-wide) but never makes it skip.
//
// The table, Schema, goes into each service's first migration.
package feed

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// Schema is the DDL of the outbox table. Each service's first migration
// includes it verbatim.
const Schema = `CREATE TABLE outbox_events (
  xid          xid8        NOT NULL DEFAULT pg_current_xact_id(),
  id           bigserial   NOT NULL,
  event_id     uuid        NOT NULL,
  type         text        NOT NULL,
  key          text        NOT NULL,
  payload      jsonb       NOT NULL,
  trace_context jsonb      NOT NULL DEFAULT '{}',
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (xid, id)
);
`

// Channel is the LISTEN/NOTIFY channel Append signals when it writes events.
const Channel = "outbox_events"

// NewEvent is an event to append.
type NewEvent struct {
	// ID is the event's UUID, which consumers use to deduplicate. Append
	// generates a version 7 UUID when it is empty.
	ID string
	// Type names what happened, e.g. "crm.opportunity.won". Required.
	Type string
	// Key names the entity the event is about, e.g. an opportunity id;
	// consumers apply events of one key in order. Required.
	Key string
	// Payload is the event body as a JSON value. Required.
	Payload []byte
	// TraceContext carries the W3C trace context of the writing request
	// (traceparent, tracestate), so consumers can continue the trace.
	TraceContext map[string]string
}

// Event is an event read from the feed.
type Event struct {
	Cursor Cursor // position of this event; resume after it to continue
	ID     string // UUID, unique per event
	Type   string
	Key    string
	// Payload is the JSON body as stored by jsonb: equal in value to what
	// was appended, but not necessarily byte for byte (key order and
	// whitespace are normalized).
	Payload      []byte
	TraceContext map[string]string
	CreatedAt    time.Time // start time of the writing transaction
}

// appendSQL inserts the events in argument order, so that within one
// transaction their ids (and so their feed order) follow that order, and
// queues one notification, delivered to listeners when the transaction
// commits and dropped if it rolls back.
const appendSQL = `
WITH ins AS (
  INSERT INTO outbox_events (event_id, type, key, payload, trace_context)
  SELECT e.event_id::uuid, e.type, e.key, e.payload::jsonb, e.trace_context::jsonb
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[])
       WITH ORDINALITY AS e(event_id, type, key, payload, trace_context, n)
  ORDER BY e.n
  RETURNING 1
)
SELECT pg_notify('` + Channel + `', '')`

// Append writes events to the outbox in the caller's transaction; they
// become part of the feed if and only if that transaction commits. Appending
// no events does nothing.
func Append(ctx context.Context, tx pgx.Tx, events ...NewEvent) error {
	args, err := appendArgs(events)
	if err != nil || args == nil {
		return err
	}
	if _, err := tx.Exec(ctx, appendSQL, args...); err != nil {
		return fmt.Errorf("feed: append %d events: %w", len(events), err)
	}
	return nil
}

// Queue is Append as a statement queued into a batch the caller sends in
// its transaction, saving the round trip of its own. Events that do not
// validate are an error here, before anything is sent; queueing none
// queues nothing.
func Queue(b *pgx.Batch, events ...NewEvent) error {
	args, err := appendArgs(events)
	if err != nil || args == nil {
		return err
	}
	b.Queue(appendSQL, args...)
	return nil
}

// appendArgs checks events and returns the arguments of appendSQL, nil
// for no events.
func appendArgs(events []NewEvent) ([]any, error) {
	if len(events) == 0 {
		return nil, nil
	}
	n := len(events)
	ids, types, keys := make([]string, n), make([]string, n), make([]string, n)
	payloads, traces := make([]string, n), make([]string, n)
	for i, e := range events {
		if err := validate(e); err != nil {
			return nil, fmt.Errorf("feed: append event %d (%s): %w", i, e.Type, err)
		}
		id, err := eventID(e.ID)
		if err != nil {
			return nil, fmt.Errorf("feed: append event %d (%s): %w", i, e.Type, err)
		}
		trace := []byte("{}")
		if len(e.TraceContext) > 0 {
			if trace, err = json.Marshal(e.TraceContext); err != nil {
				return nil, fmt.Errorf("feed: append event %d (%s): trace context: %w", i, e.Type, err)
			}
		}
		ids[i], types[i], keys[i] = id, e.Type, e.Key
		payloads[i], traces[i] = string(e.Payload), string(trace)
	}
	return []any{ids, types, keys, payloads, traces}, nil
}

func validate(e NewEvent) error {
	switch {
	case e.Type == "":
		return errors.New("type is empty")
	case e.Key == "":
		return errors.New("key is empty")
	case len(e.Payload) == 0:
		return errors.New("payload is empty")
	case !json.Valid(e.Payload):
		return errors.New("payload is not valid JSON")
	}
	return nil
}

func eventID(s string) (string, error) {
	if s == "" {
		id, err := uuid.NewV7()
		if err != nil {
			return "", fmt.Errorf("generate id: %w", err)
		}
		return id.String(), nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return "", fmt.Errorf("id %q is not a UUID", s)
	}
	return id.String(), nil
}
