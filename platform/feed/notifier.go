package feed

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnect backoff of the listener connection.
const (
	minReconnect = 50 * time.Millisecond
	maxReconnect = 5 * time.Second
)

// notifier holds one LISTEN connection for all watchers of a Reader and
// wakes them all on each notification by closing a shared channel and
// replacing it with a fresh one. It listens only while it has users.
type notifier struct {
	connect func(context.Context) (*pgx.Conn, error)

	mu    sync.Mutex
	wake  chan struct{} // closed on the next notification
	users int
	stop  context.CancelFunc // stops the running listener; nil when none
}

func newNotifier(connect func(context.Context) (*pgx.Conn, error)) *notifier {
	return &notifier{connect: connect, wake: make(chan struct{})}
}

// acquire registers a user, starting the listener for the first one.
func (n *notifier) acquire() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.users++
	if n.users == 1 {
		ctx, cancel := context.WithCancel(context.Background())
		n.stop = cancel
		go n.run(ctx)
	}
}

// release unregisters a user, stopping the listener after the last one.
func (n *notifier) release() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.users--
	if n.users == 0 {
		n.stop()
		n.stop = nil
	}
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

// run listens until ctx ends, reconnecting with backoff when the connection
// fails. Watchers keep polling on their fallback tick in the meantime.
func (n *notifier) run(ctx context.Context) {
	backoff := minReconnect
	for {
		listening := n.listen(ctx)
		if ctx.Err() != nil {
			return
		}
		if listening {
			backoff = minReconnect // it worked for a while: start over
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxReconnect)
	}
}

// listen opens the connection, LISTENs and broadcasts every notification
// until the connection fails or ctx ends. It reports whether it got as far
// as listening.
func (n *notifier) listen(ctx context.Context) (listening bool) {
	conn, err := n.connect(ctx)
	if err != nil {
		return false
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+Channel); err != nil {
		return false
	}
	// Notifications sent while no connection was listening are lost:
	// wake everyone to look once.
	n.broadcast()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return true
		}
		n.broadcast()
	}
}
