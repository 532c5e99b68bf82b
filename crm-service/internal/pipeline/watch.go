package pipeline

import (
	"context"
	"errors"

	"github.com/seamhq/seam/platform/errs"
	"github.com/seamhq/seam/platform/ids"
)

// Changes announces committed changes of opportunities: every change
// committed after Subscribe returns is signalled to the subscription. In
// the service it is a pgnotify.Hub on the channel the opportunities'
// trigger notifies (migration 0017).
type Changes interface {
	Subscribe(id string) ChangeSubscription
}

// ChangeSubscription is one watcher's subscription to an opportunity's
// changes.
type ChangeSubscription interface {
	// Wait blocks until a change was signalled and returns its version, or
	// -1 when the version is not known.
	Wait(ctx context.Context) (int64, error)
	Close()
}

// SetChanges gives the service the announcements Watch waits for.
func (s *Service) SetChanges(c Changes) { s.changes = c }

// Watch sends the opportunity as it is now, then again after each change,
// until ctx ends (it returns ctx.Err()) or send fails. Versions sent only
// increase; a change announced with a version sent already is not read
// again. It subscribes before the first read, so no change after that
// read is missed. When the opportunity is deleted Watch returns NOT_FOUND.
func (s *Service) Watch(ctx context.Context, id string, send func(Opportunity) error) error {
	id, err := ids.UUID("id", id) // in the form the announcements use
	if err != nil {
		return err
	}
	if s.changes == nil {
		return errs.New(errs.Unavailable, "watching opportunities is not available")
	}
	sub := s.changes.Subscribe(id)
	defer sub.Close()
	sent := int64(-1)
	for {
		o, err := s.Get(ctx, id)
		if err != nil {
			if sent >= 0 && errors.Is(err, errs.ErrNotFound) {
				return errs.New(errs.NotFound, "opportunity %s was deleted", id)
			}
			return err
		}
		if o.Version > sent {
			if err := send(o); err != nil {
				return err
			}
			sent = o.Version
		}
		for {
			v, err := sub.Wait(ctx)
			if err != nil {
				return err
			}
			if v < 0 || v > sent {
				break
			}
		}
	}
}
