package stats

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Writer stores a batch of one provider in one transaction of additive
// upserts, recording b.ID in that transaction; StatsApplied says whether a
// batch id was recorded.
type Writer interface {
	WriteStats(ctx context.Context, b *Batch) error
	StatsApplied(ctx context.Context, id string) (bool, error)
}

// Aggregator sums outcomes in memory and writes the sums every interval.
// Record is a short in-memory add under a mutex; nothing on the request
// path waits for the database.
//
// When a write fails, its batch is kept as uncertain: the database may
// have committed it even though the acknowledgement was lost. The next
// flush first asks whether the batch's id was recorded; if it was, the
// batch is dropped, otherwise it is merged with what came since and
// written again. So no count is lost and none is added twice.
type Aggregator struct {
	writers  map[string]Writer // by provider id
	interval time.Duration
	warnRows int // pending rows past which each failed flush warns loudly
	log      *slog.Logger

	mu      sync.Mutex
	pending map[string]*Batch

	flushMu     sync.Mutex        // one flush at a time
	uncertain   map[string]*Batch // by provider: a write that failed, maybe committed; under flushMu
	recorded    atomic.Int64
	failedFlush atomic.Int64
	pendingRows atomic.Int64
	lastFlush   atomic.Int64 // unix nanoseconds of the last successful flush
}

// NewAggregator returns an aggregator writing each provider's sums with
// its writer.
func NewAggregator(writers map[string]Writer, interval time.Duration, log *slog.Logger) *Aggregator {
	if interval <= 0 {
		interval = 2 * time.Second
	}
	a := &Aggregator{writers: writers, interval: interval, warnRows: 100_000, log: log,
		pending: map[string]*Batch{}, uncertain: map[string]*Batch{}}
	a.lastFlush.Store(time.Now().UnixNano())
	return a
}

// Record counts one finished request. It never blocks on I/O.
func (a *Aggregator) Record(o Outcome) {
	a.mu.Lock()
	b := a.pending[o.Provider]
	if b == nil {
		b = newBatch(o.Provider)
		a.pending[o.Provider] = b
	}
	b.add(&o)
	a.mu.Unlock()
	a.recorded.Add(1)
}

// Run flushes every interval until ctx ends, then flushes what is left
// (retrying for up to 10 s, so a short database outage at shutdown loses
// nothing).
func (a *Aggregator) Run(ctx context.Context) {
	t := time.NewTicker(a.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			a.drain()
			return
		case <-t.C:
			if err := a.Flush(ctx); err != nil && ctx.Err() == nil {
				a.log.Warn("stats: flush failed; counts kept in memory", "err", err, "pending_rows", a.pendingRows.Load())
			}
		}
	}
}

func (a *Aggregator) drain() {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := a.Flush(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			a.log.Error("stats: final flush failed; counts lost", "err", err, "pending_rows", a.pendingRows.Load())
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Flush writes every pending sum now. Batches that fail stay pending.
func (a *Aggregator) Flush(ctx context.Context) error {
	a.flushMu.Lock()
	defer a.flushMu.Unlock()
	a.mu.Lock()
	batches := a.pending
	a.pending = map[string]*Batch{}
	a.mu.Unlock()
	for provider := range a.uncertain {
		if batches[provider] == nil {
			batches[provider] = newBatch(provider)
		}
	}

	var errs []error
	for provider, b := range batches {
		w, ok := a.writers[provider]
		if !ok {
			continue // a provider without tables: nothing to keep
		}
		if err := a.write(ctx, w, provider, b); err != nil {
			errs = append(errs, err)
		}
	}
	rows := 0
	a.mu.Lock()
	for _, b := range a.pending {
		rows += b.Rows()
	}
	a.mu.Unlock()
	for _, b := range a.uncertain {
		rows += b.Rows()
	}
	a.pendingRows.Store(int64(rows))
	if len(errs) > 0 {
		a.failedFlush.Add(1)
		if rows > a.warnRows {
			a.log.Error("stats: pending statistics keep growing while the database is unreachable", "pending_rows", rows)
		}
		return errors.Join(errs...)
	}
	a.lastFlush.Store(time.Now().UnixNano())
	return nil
}

// write settles an uncertain earlier write of the provider, then writes b
// (merged with that earlier batch if it was not applied). Call with
// flushMu held.
func (a *Aggregator) write(ctx context.Context, w Writer, provider string, b *Batch) error {
	if u := a.uncertain[provider]; u != nil {
		applied, err := w.StatsApplied(ctx, u.ID)
		if err != nil {
			a.restore(provider, b)
			return err
		}
		delete(a.uncertain, provider)
		if !applied {
			u.merge(b)
			b = u
		}
	}
	if b.Empty() {
		return nil
	}
	b.ID = newID()
	if err := w.WriteStats(ctx, b); err != nil {
		a.uncertain[provider] = b
		return err
	}
	return nil
}

// restore puts a batch that could not be written back in front of what
// was recorded since.
func (a *Aggregator) restore(provider string, b *Batch) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if later := a.pending[provider]; later != nil {
		b.merge(later)
	}
	a.pending[provider] = b
}

// Status is the aggregator's own health, for metrics and the admin API.
type Status struct {
	Recorded     int64     // outcomes recorded since start
	FailedFlush  int64     // flushes that failed
	PendingRows  int64     // rows waiting after the last failed flush
	LastFlush    time.Time // last successful flush
	FlushLagSecs float64   // seconds since then
}

// Status reports counters about the aggregator itself.
func (a *Aggregator) Status() Status {
	last := time.Unix(0, a.lastFlush.Load())
	return Status{Recorded: a.recorded.Load(), FailedFlush: a.failedFlush.Load(), PendingRows: a.pendingRows.Load(),
		LastFlush: last, FlushLagSecs: time.Since(last).Seconds()}
}
