package respcache

import (
	"bytes"
	"context"
	"math"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// DefaultMaxBytes is CACHE_MAX_BYTES's default: 64 MiB of answers.
const DefaultMaxBytes = 64 << 20

// MemoryOptions tune a Memory cache.
type MemoryOptions struct {
	TTL      time.Duration    // how long an answer is served
	MaxBytes int64            // total size of the entries kept; 0: DefaultMaxBytes
	Now      func() time.Time // nil: time.Now (tests pass a fake clock)
}

// Memory is the cache of one instance: least recently used answers go
// first once their total size passes MaxBytes; expired ones are dropped
// when read or when stats are asked, and otherwise age out of the LRU.
type Memory struct {
	ttl      time.Duration
	maxBytes int64
	now      func() time.Time

	mu        sync.Mutex
	lru       *simplelru.LRU[Key, memEntry] // bounded here by bytes, not by count
	bytes     int64
	providers map[string]*memCounts
}

type memEntry struct {
	Entry
	expires time.Time
}

type memCounts struct{ entries, bytes, hits, misses int64 }

// NewMemory returns an empty in-memory cache.
func NewMemory(opts MemoryOptions) *Memory {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = DefaultMaxBytes
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := &Memory{ttl: opts.TTL, maxBytes: opts.MaxBytes, now: opts.Now, providers: map[string]*memCounts{}}
	m.lru, _ = simplelru.NewLRU(math.MaxInt, m.evicted) // fails only for a size ≤ 0
	return m
}

// Get returns a live entry and makes it the most recently used.
func (m *Memory) Get(_ context.Context, key Key) (Entry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.counts(key.Provider)
	e, ok := m.lru.Get(key)
	if ok && !m.now().Before(e.expires) {
		m.lru.Remove(key)
		ok = false
	}
	if !ok {
		c.misses++
		return Entry{}, false
	}
	c.hits++
	return e.Entry, true
}

// Set keeps a copy of e (sized to its body, whatever buffer it came in),
// evicting the least recently used entries past MaxBytes. An answer
// larger than MaxBytes is not kept.
func (m *Memory) Set(_ context.Context, key Key, e Entry) {
	size := e.size()
	if size > m.maxBytes {
		return
	}
	e.Body = bytes.Clone(e.Body)
	m.mu.Lock()
	defer m.mu.Unlock()
	m.lru.Remove(key) // Add would replace the value without evicting it: keep the sums right
	m.lru.Add(key, memEntry{Entry: e, expires: m.now().Add(m.ttl)})
	c := m.counts(key.Provider)
	c.entries++
	c.bytes += size
	m.bytes += size
	for m.bytes > m.maxBytes {
		m.lru.RemoveOldest()
	}
}

// Stats reports a provider's live entries and its lookups since start.
func (m *Memory) Stats(_ context.Context, provider string) (Stats, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired()
	c := m.counts(provider)
	return Stats{Entries: c.entries, Bytes: c.bytes, Hits: c.hits, Misses: c.misses}, nil
}

// Clear removes a provider's live entries; its hit and miss counts go on.
func (m *Memory) Clear(_ context.Context, provider string) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.dropExpired()
	n := 0
	for _, k := range m.lru.Keys() {
		if k.Provider == provider {
			m.lru.Remove(k)
			n++
		}
	}
	return n, nil
}

// dropExpired removes every expired entry; call with mu held.
func (m *Memory) dropExpired() {
	now := m.now()
	for _, k := range m.lru.Keys() {
		if e, ok := m.lru.Peek(k); ok && !now.Before(e.expires) {
			m.lru.Remove(k)
		}
	}
}

// evicted keeps the sums when the LRU lets an entry go; it runs inside
// the LRU's calls, so with mu held.
func (m *Memory) evicted(k Key, e memEntry) {
	size := e.size()
	c := m.counts(k.Provider)
	c.entries--
	c.bytes -= size
	m.bytes -= size
}

// counts returns a provider's counters; call with mu held.
func (m *Memory) counts(provider string) *memCounts {
	c, ok := m.providers[provider]
	if !ok {
		c = &memCounts{}
		m.providers[provider] = c
	}
	return c
}
