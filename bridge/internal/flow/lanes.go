package flow

import (
	"context"
	"hash/fnv"
	"sync"
)

// lanes apply events of different keys in parallel and events of one key in
// feed order: every event of a key goes to the same lane. A lane whose head
// event is superseded by a later queued event of the same key and type
// skips it; every event carries the full state of its key, so applying the
// later one alone ends in the same state (this is how a burst of stock
// changes of one SKU collapses into one write).
type lanes[E event] struct {
	apply  func(context.Context, E) error
	finish func(seq uint64, applied bool)
	queues []*laneQueue[E]
}

type job[E event] struct {
	ev  E
	seq uint64
}

type laneQueue[E event] struct {
	mu    sync.Mutex
	cond  *sync.Cond
	jobs  []job[E]
	limit int
	done  bool
}

func newLanes[E event](n, depth int, apply func(context.Context, E) error, finish func(uint64, bool)) *lanes[E] {
	l := &lanes[E]{apply: apply, finish: finish}
	for range n {
		q := &laneQueue[E]{limit: depth}
		q.cond = sync.NewCond(&q.mu)
		l.queues = append(l.queues, q)
	}
	return l
}

func (l *lanes[E]) lane(key string) *laneQueue[E] {
	h := fnv.New32a()
	h.Write([]byte(key))
	return l.queues[h.Sum32()%uint32(len(l.queues))]
}

// push queues an event, waiting while its lane is full. It returns false
// when ctx ends first.
func (l *lanes[E]) push(ctx context.Context, ev E, seq uint64) bool {
	q := l.lane(ev.GetKey())
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.jobs) >= q.limit && !q.done {
		if ctx.Err() != nil {
			return false
		}
		q.cond.Wait()
	}
	if q.done {
		return false
	}
	q.jobs = append(q.jobs, job[E]{ev: ev, seq: seq})
	q.cond.Broadcast()
	return true
}

// run works every lane until ctx ends (then queued events are dropped, to
// be replayed from the checkpoint) or close is called and the queues drain.
func (l *lanes[E]) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, q := range l.queues {
		wg.Go(func() { l.work(ctx, q) })
	}
	stop := context.AfterFunc(ctx, func() {
		for _, q := range l.queues {
			q.mu.Lock()
			q.done = true
			q.cond.Broadcast()
			q.mu.Unlock()
		}
	})
	defer stop()
	wg.Wait()
}

// close lets the lanes finish what is queued and stop.
func (l *lanes[E]) close() {
	for _, q := range l.queues {
		q.mu.Lock()
		q.done = true
		q.cond.Broadcast()
		q.mu.Unlock()
	}
}

func (l *lanes[E]) work(ctx context.Context, q *laneQueue[E]) {
	for {
		q.mu.Lock()
		for len(q.jobs) == 0 && !q.done {
			q.cond.Wait()
		}
		if len(q.jobs) == 0 || ctx.Err() != nil {
			q.mu.Unlock()
			return
		}
		head := q.jobs[0]
		q.jobs = q.jobs[1:]
		superseded := false
		for _, later := range q.jobs {
			if later.ev.GetKey() == head.ev.GetKey() && later.ev.GetType() == head.ev.GetType() {
				superseded = true
				break
			}
		}
		q.cond.Broadcast() // room for a waiting push
		q.mu.Unlock()

		if superseded {
			l.finish(head.seq, false)
			continue
		}
		if err := l.apply(ctx, head.ev); err != nil {
			return // ctx ended; the event stays unfinished and is replayed
		}
		l.finish(head.seq, true)
	}
}
