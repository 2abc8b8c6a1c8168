package respcache_test

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/respcache"
)

// clock is a fake clock that tests move by hand.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newMemory(ttl time.Duration, maxBytes int64) (*respcache.Memory, *clock) {
	clk := &clock{now: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	return respcache.NewMemory(respcache.MemoryOptions{TTL: ttl, MaxBytes: maxBytes, Now: clk.Now}), clk
}

// key is the key of a small chat body naming n.
func key(provider, n string) respcache.Key {
	return respcache.NewKey(provider, "http://upstream/v1/chat/completions", "m", []byte(`{"model":"m","n":"`+n+`"}`))
}

// entry is an answer of size bytes in all (as Stats counts it).
func entry(size int) respcache.Entry {
	const ct = "application/json"
	return respcache.Entry{ContentType: ct, Body: bytes.Repeat([]byte{'x'}, size-len(ct)-1)}
}

func TestMemoryExpiresAfterTTL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		after time.Duration
		hit   bool
	}{
		{"fresh", 0, true},
		{"just before the TTL", time.Minute - time.Nanosecond, true},
		{"at the TTL", time.Minute, false},
		{"long after", time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			m, clk := newMemory(time.Minute, 1<<20)
			k := key("ollama", "a")
			m.Set(ctx, k, entry(100))
			clk.Add(tt.after)
			if _, hit := m.Get(ctx, k); hit != tt.hit {
				t.Fatalf("hit %v, want %v", hit, tt.hit)
			}
			s, _ := m.Stats(ctx, "ollama")
			want := respcache.Stats{Entries: 1, Bytes: 100, Hits: 1}
			if !tt.hit {
				want = respcache.Stats{Misses: 1} // the expired entry is gone
			}
			if s != want {
				t.Errorf("stats %+v, want %+v", s, want)
			}
		})
	}
}

// An expired entry no longer counts in Stats even if nobody read it.
func TestMemoryStatsDropExpired(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, clk := newMemory(time.Minute, 1<<20)
	m.Set(ctx, key("ollama", "old"), entry(100))
	clk.Add(30 * time.Second)
	m.Set(ctx, key("ollama", "new"), entry(200))
	clk.Add(40 * time.Second)
	if s, _ := m.Stats(ctx, "ollama"); s != (respcache.Stats{Entries: 1, Bytes: 200}) {
		t.Errorf("stats %+v, want the newer entry only", s)
	}
}

// The least recently used entries go first once the bytes pass the bound;
// a Get makes an entry recent.
func TestMemoryEvictsByBytes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		max   int64
		sets  []string // entries of 100 bytes, in order
		gets  []string // read after the first len(sets)-1 sets
		kept  []string
		gone  []string
		bytes int64
	}{
		{name: "under the bound", max: 300, sets: []string{"a", "b", "c"}, kept: []string{"a", "b", "c"}, bytes: 300},
		{name: "oldest goes", max: 300, sets: []string{"a", "b", "c", "d"}, kept: []string{"b", "c", "d"}, gone: []string{"a"}, bytes: 300},
		{name: "read keeps it", max: 300, sets: []string{"a", "b", "c", "d"}, gets: []string{"a"},
			kept: []string{"a", "c", "d"}, gone: []string{"b"}, bytes: 300},
		{name: "two go for a bound of 250", max: 250, sets: []string{"a", "b", "c", "d"}, kept: []string{"c", "d"},
			gone: []string{"a", "b"}, bytes: 200},
		{name: "set again replaces", max: 300, sets: []string{"a", "a", "a"}, kept: []string{"a"}, bytes: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			m, _ := newMemory(time.Hour, tt.max)
			for i, n := range tt.sets {
				if i == len(tt.sets)-1 {
					for _, g := range tt.gets {
						m.Get(ctx, key("ollama", g))
					}
				}
				m.Set(ctx, key("ollama", n), entry(100))
			}
			for _, n := range tt.kept {
				if _, ok := m.Get(ctx, key("ollama", n)); !ok {
					t.Errorf("%s was evicted", n)
				}
			}
			for _, n := range tt.gone {
				if _, ok := m.Get(ctx, key("ollama", n)); ok {
					t.Errorf("%s was kept", n)
				}
			}
			if s, _ := m.Stats(ctx, "ollama"); s.Bytes != tt.bytes || s.Entries != int64(len(tt.kept)) {
				t.Errorf("stats %+v, want %d entries of %d bytes", s, len(tt.kept), tt.bytes)
			}
		})
	}
}

// An answer larger than the whole bound is not kept, and evicts nothing.
func TestMemorySkipsOversizedAnswer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := newMemory(time.Hour, 1000)
	m.Set(ctx, key("ollama", "small"), entry(100))
	m.Set(ctx, key("ollama", "huge"), entry(1001))
	if _, ok := m.Get(ctx, key("ollama", "huge")); ok {
		t.Error("an answer over the bound was kept")
	}
	if _, ok := m.Get(ctx, key("ollama", "small")); !ok {
		t.Error("an oversized answer evicted another")
	}
}

// The cache keeps its own copy: the caller's buffer may be reused.
func TestMemoryCopiesBody(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := newMemory(time.Hour, 1<<20)
	body := []byte(`{"answer":"one"}`)
	m.Set(ctx, key("ollama", "a"), respcache.Entry{ContentType: "application/json", Body: body})
	copy(body, strings.Repeat("z", len(body)))
	if e, _ := m.Get(ctx, key("ollama", "a")); string(e.Body) != `{"answer":"one"}` {
		t.Errorf("body %q changed with the caller's buffer", e.Body)
	}
}

func TestMemoryConcurrent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	m, _ := newMemory(time.Hour, 5000)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				k := key("ollama", string(rune('a'+(g+i)%26)))
				if _, ok := m.Get(ctx, k); !ok {
					m.Set(ctx, k, entry(100+i%50))
				}
				if i%50 == 0 {
					m.Stats(ctx, "ollama")
				}
			}
		}()
	}
	wg.Wait()
	s, _ := m.Stats(ctx, "ollama")
	if s.Bytes > 5000 || s.Hits+s.Misses != 8*200 {
		t.Errorf("stats %+v: over the bound, or lookups lost", s)
	}
}
