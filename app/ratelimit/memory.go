package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

// shards splits the memory limiter's map so that parallel requests for
// different keys rarely wait on one another.
const shards = 32

// Memory is a Limiter for one instance.
type Memory struct {
	now   func() time.Time
	seed  maphash.Seed
	shard [shards]memShard
}

type memShard struct {
	mu        sync.Mutex
	slots     map[string]*slot
	lastSweep int64 // unix nanoseconds
}

// slot is one key's two fixed windows.
type slot struct {
	idx        int64 // number of the current fixed window since the epoch
	size       time.Duration
	prev, curr int64
}

// NewMemory returns an empty in-memory limiter on the given clock (nil:
// time.Now).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, seed: maphash.MakeSeed()}
	for i := range m.shard {
		m.shard[i].slots = map[string]*slot{}
	}
	return m
}

// Allow implements Limiter.
func (m *Memory) Allow(_ context.Context, key string, l Limit, n int64) (Result, error) {
	return m.take(key, l, n, false), nil
}

// Charge implements Limiter.
func (m *Memory) Charge(_ context.Context, key string, l Limit, n int64) error {
	m.take(key, l, n, true)
	return nil
}

func (m *Memory) take(key string, l Limit, n int64, force bool) Result {
	if l.Window <= 0 || l.Count <= 0 {
		return Result{Allowed: true}
	}
	now := m.now().UnixNano()
	size := int64(l.Window)
	idx := now / size
	sh := &m.shard[maphash.String(m.seed, key)%shards]
	sh.mu.Lock()
	defer sh.mu.Unlock()
	sh.sweep(now)
	s := sh.slots[key]
	if s == nil || s.size != l.Window {
		s = &slot{idx: idx, size: l.Window}
		sh.slots[key] = s
	}
	switch {
	case s.idx == idx-1:
		s.prev, s.curr = s.curr, 0
	case s.idx != idx:
		s.prev, s.curr = 0, 0
	}
	s.idx = idx
	w := window{prev: s.prev, curr: s.curr, elapsed: time.Duration(now - idx*size), size: l.Window}
	allowed := force || w.allows(l.Count, n)
	if allowed {
		s.curr += n
		w.curr = s.curr
	}
	return w.result(allowed, l, n)
}

// sweep drops keys idle for two of their windows, at most once a minute;
// call with mu held.
func (sh *memShard) sweep(now int64) {
	if now-sh.lastSweep < int64(time.Minute) {
		return
	}
	sh.lastSweep = now
	for k, s := range sh.slots {
		if now/int64(s.size) > s.idx+1 {
			delete(sh.slots, k)
		}
	}
}

// Len is the number of keys held, for tests.
func (m *Memory) Len() int {
	n := 0
	for i := range m.shard {
		m.shard[i].mu.Lock()
		n += len(m.shard[i].slots)
		m.shard[i].mu.Unlock()
	}
	return n
}
