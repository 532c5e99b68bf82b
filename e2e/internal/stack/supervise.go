package stack

import (
	"context"
	"fmt"
	"io"
	"time"
)

// Supervise restarts any of procs that exits until ctx ends, as an
// orchestrator would: a service that crashed, or that someone killed to
// see the others cope, comes back after a pause that doubles with each
// exit in a row (from one second to half a minute) and resets once the
// process has stayed up for a minute. It reports each exit and restart
// to out.
func Supervise(ctx context.Context, out io.Writer, procs ...*Process) {
	type state struct {
		pause   time.Duration
		started time.Time
		due     time.Time // when an exited process is started again
	}
	const (
		firstPause = time.Second
		maxPause   = 30 * time.Second
		stable     = time.Minute
	)
	states := make([]state, len(procs))
	for i := range states {
		states[i] = state{pause: firstPause, started: time.Now()}
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for i, p := range procs {
			st := &states[i]
			if p.Running() {
				if !st.started.IsZero() && time.Since(st.started) > stable {
					st.pause = firstPause
				}
				continue
			}
			now := time.Now()
			if st.due.IsZero() {
				st.due = now.Add(st.pause)
				fmt.Fprintf(out, "%s exited; starting it again in %v (its log: %s)\n", p.Name, st.pause, p.LogPath)
				continue
			}
			if now.Before(st.due) {
				continue
			}
			st.due, st.started = time.Time{}, time.Time{}
			st.pause = min(2*st.pause, maxPause)
			if err := p.Start(ctx); err != nil {
				if ctx.Err() != nil {
					return
				}
				fmt.Fprintf(out, "%s: %v\n", p.Name, err)
				continue
			}
			st.started = time.Now()
			fmt.Fprintf(out, "%s is running again\n", p.Name)
		}
	}
}
