// Package pgnotify delivers PostgreSQL notifications (LISTEN/NOTIFY) to
// the goroutines of one process over a single connection: Listener keeps
// that connection while anyone needs it, and Hub hands notifications that
// name a key (a resource id) to the subscribers of that key.
package pgnotify

import (
	"context"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Reconnect backoff of the listening connection.
const (
	minReconnect = 50 * time.Millisecond
	maxReconnect = 5 * time.Second
)

// Listener holds one LISTEN connection on a channel for all users in the
// process and calls notify with the payload of every notification. It
// listens only while it has users (and its linger time after the last one
// left),
// and reconnects with backoff when the connection fails.
//
// Notifications sent while no connection listens are lost; a Listener
// calls listening each time it starts to listen, so that users can look
// for what they may have missed.
type Listener struct {
	connect func(context.Context) (*pgx.Conn, error)
	channel string
	// notify is called with each notification's payload; listening after
	// each successful LISTEN. Both run on the listener's goroutine and
	// must not block.
	notify    func(payload string)
	listening func()
	// linger is how long the connection stays after the last user left.
	linger time.Duration

	mu     sync.Mutex
	closed bool
	users  int
	stop   context.CancelFunc // stops the running listener; nil when none
	done   chan struct{}      // closed when the running listener returns
	idle   *time.Timer
}

// NewListener returns a Listener on channel (an SQL identifier, written
// as is into LISTEN) that opens its connections with connect.
func NewListener(connect func(context.Context) (*pgx.Conn, error), channel string, linger time.Duration,
	notify func(payload string), listening func()) *Listener {
	return &Listener{connect: connect, channel: channel, linger: linger, notify: notify, listening: listening}
}

// Acquire registers a user, starting the listener for the first one.
func (l *Listener) Acquire() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users++
	if l.idle != nil {
		l.idle.Stop()
		l.idle = nil
	}
	if l.stop == nil && !l.closed {
		ctx, cancel := context.WithCancel(context.Background())
		l.stop, l.done = cancel, make(chan struct{})
		go l.run(ctx, l.done)
	}
}

// Release unregisters a user, stopping the listener its linger time after
// the last.
func (l *Listener) Release() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.users--
	if l.users > 0 {
		return
	}
	if l.linger <= 0 {
		l.halt()
		return
	}
	l.idle = time.AfterFunc(l.linger, func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.users == 0 {
			l.halt()
		}
	})
}

// halt stops the running listener; l.mu is held.
func (l *Listener) halt() {
	if l.stop != nil {
		l.stop()
		l.stop, l.idle = nil, nil
	}
}

// Close stops the listener whatever its users and waits for it to return.
// It does not start again.
func (l *Listener) Close() {
	l.mu.Lock()
	l.closed = true
	if l.idle != nil {
		l.idle.Stop()
	}
	done := l.done
	l.halt()
	l.mu.Unlock()
	if done != nil {
		<-done
	}
}

// run listens until ctx ends, reconnecting with backoff when the connection
// fails.
func (l *Listener) run(ctx context.Context, done chan struct{}) {
	defer close(done)
	backoff := minReconnect
	for {
		listening := l.listen(ctx)
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

// listen opens the connection, LISTENs and passes on every notification
// until the connection fails or ctx ends. It reports whether it got as far
// as listening.
func (l *Listener) listen(ctx context.Context) (listening bool) {
	conn, err := l.connect(ctx)
	if err != nil {
		return false
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = conn.Close(closeCtx)
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+l.channel); err != nil {
		return false
	}
	l.listening()
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return true
		}
		l.notify(n.Payload)
	}
}
