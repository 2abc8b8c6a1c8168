package ratelimit

import (
	"hash/maphash"
	"sync"
	"time"
)

// prevCache keeps, per key, the count of the window before the current
// one: once a window has ended its count no longer changes, so the Redis
// limiter reads it once per window instead of on every call.
type prevCache struct {
	seed  maphash.Seed
	shard [shards]prevShard
}

type prevShard struct {
	mu        sync.Mutex
	m         map[string]prevEntry
	lastSweep int64 // unix milliseconds
}

type prevEntry struct {
	idx   int64 // the window it was read in (the one after it)
	size  int64 // window size in milliseconds
	count int64
}

func newPrevCache() *prevCache {
	p := &prevCache{seed: maphash.MakeSeed()}
	for i := range p.shard {
		p.shard[i].m = map[string]prevEntry{}
	}
	return p
}

// get returns the previous window's count as read during window idx.
func (p *prevCache) get(key string, idx int64) (int64, bool) {
	sh := &p.shard[maphash.String(p.seed, key)%shards]
	sh.mu.Lock()
	e, ok := sh.m[key]
	sh.mu.Unlock()
	if !ok || e.idx != idx {
		return 0, false
	}
	return e.count, true
}

// put remembers a count read during window idx; now is unix milliseconds.
// Entries of past windows are dropped at most once a minute per shard.
func (p *prevCache) put(key string, idx, size, count, now int64) {
	sh := &p.shard[maphash.String(p.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if now-sh.lastSweep >= time.Minute.Milliseconds() {
		sh.lastSweep = now
		for k, e := range sh.m {
			if now/e.size > e.idx {
				delete(sh.m, k)
			}
		}
	}
	sh.m[key] = prevEntry{idx: idx, size: size, count: count}
}
