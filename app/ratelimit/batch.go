package ratelimit

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Batching: on a small machine the system calls of a round trip cost more
// than the commands. Calls that arrive while a batch is on the wire wait
// and go together in the next pipeline (one write, one read), so under load
// the cost per request shrinks, while a lone call is sent at once. One
// batch in flight at a time keeps the batches deep.
const (
	maxBatch     = 256 // calls in one pipeline
	batchTimeout = 2 * time.Second
)

// errClosed answers calls made after Close.
var errClosed = errors.New("ratelimit: limiter closed")

// Pipeliner is what the Redis limiter needs from a client.
type Pipeliner interface {
	Pipeline() redis.Pipeliner
}

// call is one limiter call waiting for its batch.
type call struct {
	cur  string        // the current window's counter
	prev string        // the previous window's, to read; "" when known
	ttl  time.Duration // of cur: set along with reading prev, or when cur is new
	n    int64         // units to count; 0: read only
	undo bool          // take n back (a refused call); nobody waits

	curCount, prevCount int64
	err                 error
	done                chan struct{}
}

// batcher runs the worker that sends batches.
type batcher struct {
	client Pipeliner
	calls  chan *call
	stop   chan struct{}
	once   sync.Once
	wg     sync.WaitGroup
}

func newBatcher(client Pipeliner) *batcher {
	b := &batcher{client: client, calls: make(chan *call, 4*maxBatch), stop: make(chan struct{})}
	b.wg.Add(1)
	go b.run()
	return b
}

// do queues a call and waits for its answer.
func (b *batcher) do(ctx context.Context, c *call) error {
	c.done = make(chan struct{})
	select {
	case b.calls <- c:
	case <-b.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-c.done:
		return c.err
	case <-b.stop:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// undo queues taking a refused call's units back, without waiting.
func (b *batcher) undo(c *call) {
	u := &call{cur: c.cur, n: c.n, undo: true}
	select {
	case b.calls <- u:
	default: // queue full: the units expire with their window
	}
}

func (b *batcher) run() {
	defer b.wg.Done()
	batch := make([]*call, 0, maxBatch)
	for {
		select {
		case c := <-b.calls:
			batch = append(batch[:0], c)
		case <-b.stop:
			return
		}
		batch = b.fill(batch)
		if len(batch) < maxBatch {
			// Let callers that are about to call run first and join this
			// batch: a yield costs far less than a round trip of their own.
			runtime.Gosched()
			batch = b.fill(batch)
		}
		b.send(batch)
	}
}

// fill adds the calls waiting now.
func (b *batcher) fill(batch []*call) []*call {
	for len(batch) < maxBatch {
		select {
		case c := <-b.calls:
			batch = append(batch, c)
		default:
			return batch
		}
	}
	return batch
}

// send runs a batch as one pipeline.
func (b *batcher) send(batch []*call) {
	ctx, cancel := context.WithTimeout(context.Background(), batchTimeout)
	defer cancel()
	type replies struct {
		cur  *redis.IntCmd
		prev *redis.StringCmd
		read *redis.StringCmd
	}
	out := make([]replies, len(batch))
	pipe := b.client.Pipeline()
	for i, c := range batch {
		switch {
		case c.undo:
			pipe.DecrBy(ctx, c.cur, c.n)
			continue
		case c.n == 0:
			out[i].read = pipe.Get(ctx, c.cur)
		default:
			out[i].cur = pipe.IncrBy(ctx, c.cur, c.n)
		}
		if c.prev != "" {
			out[i].prev = pipe.Get(ctx, c.prev)
			if c.n > 0 {
				pipe.PExpire(ctx, c.cur, c.ttl)
			}
		}
	}
	_, _ = pipe.Exec(ctx) // each command carries its own error
	var fresh []*call     // counters this batch created without an expiry
	for i, c := range batch {
		r := out[i]
		switch {
		case c.undo:
			continue
		case r.read != nil:
			c.curCount, c.err = readCount(r.read)
		default:
			c.curCount, c.err = r.cur.Result()
			if c.err == nil && c.curCount == c.n && c.prev == "" {
				fresh = append(fresh, c)
			}
		}
		if c.err == nil && r.prev != nil {
			c.prevCount, c.err = readCount(r.prev)
		}
		close(c.done)
	}
	if len(fresh) > 0 {
		pipe := b.client.Pipeline()
		for _, c := range fresh {
			pipe.PExpire(ctx, c.cur, c.ttl)
		}
		_, _ = pipe.Exec(ctx)
	}
}

// close stops the worker; calls still waiting get errClosed.
func (b *batcher) close() {
	b.once.Do(func() {
		close(b.stop)
		b.wg.Wait()
	})
}
