package pool

import (
	"context"
	"fmt"
	"time"

	"github.com/keypool/keypool/models"
)

// Load replaces the pool's keys with the store's. Keys already in the pool
// keep their entry (requests in flight hold it); their state is taken from
// the store unless a local change is still waiting to be written.
func (p *Pool) Load(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	rows, err := p.store.ListKeys(ctx)
	if err != nil {
		return fmt.Errorf("pool: load: %w", err)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	old := p.snap.Load()
	next := &snapshot{list: make([]*Key, 0, len(rows)), index: make(map[string]*Key, len(rows))}
	for _, row := range rows {
		if _, dup := next.index[row.APIKey]; dup {
			continue
		}
		k, ok := old.index[row.APIKey]
		if !ok {
			k = newKey(row)
		} else {
			k.mu.Lock()
			if !k.dirty {
				k.state = row
				k.refresh()
			}
			k.state.RPMLimit = row.RPMLimit // not a state the pool writes: the store's wins
			k.rpm.Store(rpmOf(row.RPMLimit))
			k.mu.Unlock()
		}
		next.list = append(next.list, k)
		next.index[row.APIKey] = k
	}
	for k := range p.pending {
		if _, kept := next.index[k.apiKey]; !kept {
			delete(p.pending, k)
		}
	}
	p.snap.Store(next)
	return nil
}

// enqueue schedules a key's state to be written.
func (p *Pool) enqueue(k *Key) {
	p.mu.Lock()
	p.pending[k] = struct{}{}
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// Run writes state changes to the store and applies the passage of time
// (cooldowns ending, keys expiring) until ctx ends, then writes what is
// left. It returns the last write error, if any.
func (p *Pool) Run(ctx context.Context) error {
	save := time.NewTicker(p.cfg.SaveInterval)
	defer save.Stop()
	sweep := time.NewTicker(5 * time.Second)
	defer sweep.Stop()
	for {
		select {
		case <-ctx.Done():
			flushCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			return p.Flush(flushCtx)
		case <-save.C:
			p.flushLogged(ctx)
		case <-p.wake:
			// A change is waiting; the ticker batches writes, so only make
			// sure one happens soon rather than writing per change.
		case <-sweep.C:
			p.Sweep()
		}
	}
}

func (p *Pool) flushLogged(ctx context.Context) {
	if err := p.Flush(ctx); err != nil && ctx.Err() == nil {
		p.log.Warn("pool: saving key states failed; will retry", "err", err)
	}
}

// Flush writes every pending state change now. On failure the changes stay
// pending.
func (p *Pool) Flush(ctx context.Context) error {
	p.syncMu.Lock()
	defer p.syncMu.Unlock()
	p.mu.Lock()
	if len(p.pending) == 0 {
		p.mu.Unlock()
		return nil
	}
	batch := make([]*Key, 0, len(p.pending))
	index := p.snap.Load().index
	for k := range p.pending {
		// Only the pool's own entry of a key is written. A key removed
		// from the pool can still be marked by a request that picked it
		// before, and a Load may since hold a new entry for the same key:
		// writing the old one too would let the older state win.
		if index[k.apiKey] == k {
			batch = append(batch, k)
		}
	}
	clear(p.pending)
	p.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}

	rows := make([]models.Key, len(batch))
	for i, k := range batch {
		k.mu.Lock()
		rows[i] = k.state
		k.dirty = false
		k.mu.Unlock()
	}
	if err := p.store.SaveKeyStates(ctx, rows); err != nil {
		for _, k := range batch {
			k.mu.Lock()
			k.dirty = true
			k.mu.Unlock()
		}
		p.mu.Lock()
		for _, k := range batch {
			p.pending[k] = struct{}{}
		}
		p.mu.Unlock()
		return err
	}
	return nil
}

// Sweep applies the passage of time to every key: failed and disabled keys
// whose time is up become active, keys past expires_at become expired.
func (p *Pool) Sweep() {
	now := p.now().UTC()
	for _, k := range p.snap.Load().list {
		k.mu.Lock()
		changed := k.settle(now)
		if changed {
			k.refresh()
			k.dirty = true
		}
		k.mu.Unlock()
		if changed {
			p.enqueue(k)
		}
	}
}
