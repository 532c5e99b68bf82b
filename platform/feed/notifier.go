package feed

import (
	"context"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/seamhq/seam/platform/pgnotify"
)

// notifier wakes all watchers of a Reader on each notification of the
// feed's channel by closing a shared channel and replacing it with a fresh
// one. Its one LISTEN connection is open only while it has users.
type notifier struct {
	*pgnotify.Listener

	mu   sync.Mutex
	wake chan struct{} // closed on the next notification
}

func newNotifier(connect func(context.Context) (*pgx.Conn, error)) *notifier {
	n := &notifier{wake: make(chan struct{})}
	// Notifications sent while no connection listened are lost: on
	// (re)connecting, everyone looks once.
	n.Listener = pgnotify.NewListener(connect, Channel, 0, func(string) { n.broadcast() }, n.broadcast)
	return n
}

// wait returns a channel that is closed at the next notification.
func (n *notifier) wait() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.wake
}

func (n *notifier) broadcast() {
	n.mu.Lock()
	defer n.mu.Unlock()
	close(n.wake)
	n.wake = make(chan struct{})
}
