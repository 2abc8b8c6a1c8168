package respcache_test

import (
	"context"
	"testing"
	"time"

	"github.com/keypool/keypool/app/respcache"
)

// implementations runs f on each cache: in memory, and on the Redis of
// TEST_REDIS_URL under a key prefix of the test's own.
func implementations(t *testing.T, f func(t *testing.T, c respcache.Cache)) {
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		m, _ := newMemory(time.Hour, 1<<20)
		f(t, m)
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		f(t, newRedis(t, time.Hour))
	})
}

// Lookups count hits and misses per provider, and Stats sees the entries
// of its provider only.
func TestCacheStats(t *testing.T) {
	t.Parallel()
	implementations(t, func(t *testing.T, c respcache.Cache) {
		ctx := context.Background()
		steps := []struct {
			op       string // get or set
			provider string
			name     string
			hit      bool
		}{
			{"get", "ollama", "a", false},
			{"set", "ollama", "a", false},
			{"get", "ollama", "a", true},
			{"get", "ollama", "a", true},
			{"get", "ollama", "b", false},
			{"set", "ollama", "b", false},
			{"get", "openrouter", "a", false}, // the same body on another provider
			{"set", "openrouter", "c", false},
		}
		for i, s := range steps {
			k := key(s.provider, s.name)
			switch s.op {
			case "get":
				if _, hit := c.Get(ctx, k); hit != s.hit {
					t.Fatalf("step %d: get %s/%s: hit %v, want %v", i, s.provider, s.name, hit, s.hit)
				}
			case "set":
				c.Set(ctx, k, entry(100+i))
			}
		}
		want := map[string]respcache.Stats{
			"ollama":     {Entries: 2, Bytes: 101 + 105, Hits: 2, Misses: 2},
			"openrouter": {Entries: 1, Bytes: 107, Misses: 1},
			"other":      {},
		}
		for provider, w := range want {
			if s, err := c.Stats(ctx, provider); err != nil || s != w {
				t.Errorf("%s: stats %+v, %v; want %+v", provider, s, err, w)
			}
		}
	})
}

// A hit returns the answer as it was set.
func TestCacheRoundTrip(t *testing.T) {
	t.Parallel()
	implementations(t, func(t *testing.T, c respcache.Cache) {
		ctx := context.Background()
		tests := []respcache.Entry{
			{ContentType: "application/json", Body: []byte(`{"choices":[{"message":{"content":"hi"}}]}`)},
			{ContentType: "application/json; charset=utf-8", Body: []byte("line one\nline two\n")},
			{ContentType: "", Body: []byte{0, 1, 2, '\n', 0xff}},
			{ContentType: "text/plain", Body: []byte{}},
		}
		for i, want := range tests {
			k := key("ollama", string(rune('a'+i)))
			c.Set(ctx, k, want)
			got, ok := c.Get(ctx, k)
			if !ok || got.ContentType != want.ContentType || string(got.Body) != string(want.Body) {
				t.Errorf("entry %d: got %q %q (hit %v), want %q %q", i, got.ContentType, got.Body, ok, want.ContentType, want.Body)
			}
		}
	})
}

// Clear removes one provider's entries, says how many, and leaves the
// other provider's and the counters.
func TestCacheClear(t *testing.T) {
	t.Parallel()
	implementations(t, func(t *testing.T, c respcache.Cache) {
		ctx := context.Background()
		for _, n := range []string{"a", "b", "c"} {
			c.Set(ctx, key("ollama", n), entry(100))
		}
		c.Set(ctx, key("openrouter", "a"), entry(100))
		c.Get(ctx, key("ollama", "a"))
		tests := []struct {
			provider string
			cleared  int
		}{{"ollama", 3}, {"ollama", 0}, {"other", 0}}
		for _, tt := range tests {
			if n, err := c.Clear(ctx, tt.provider); err != nil || n != tt.cleared {
				t.Errorf("clear %s: %d, %v; want %d", tt.provider, n, err, tt.cleared)
			}
		}
		if _, ok := c.Get(ctx, key("ollama", "a")); ok {
			t.Error("a cleared entry is still served")
		}
		if s, _ := c.Stats(ctx, "ollama"); s != (respcache.Stats{Hits: 1, Misses: 1}) {
			t.Errorf("ollama after clear: %+v", s)
		}
		if s, _ := c.Stats(ctx, "openrouter"); s.Entries != 1 {
			t.Errorf("clearing ollama touched openrouter: %+v", s)
		}
	})
}

func TestNewKey(t *testing.T) {
	t.Parallel()
	base := respcache.NewKey("ollama", "u/v1/chat/completions", "m", []byte(`{"model":"m"}`))
	tests := []struct {
		name string
		key  respcache.Key
		same bool
	}{
		{"same request", respcache.NewKey("ollama", "u/v1/chat/completions", "m", []byte(`{"model":"m"}`)), true},
		{"other provider", respcache.NewKey("openrouter", "u/v1/chat/completions", "m", []byte(`{"model":"m"}`)), false},
		{"other route", respcache.NewKey("ollama", "u/api/chat", "m", []byte(`{"model":"m"}`)), false},
		{"other model", respcache.NewKey("ollama", "u/v1/chat/completions", "n", []byte(`{"model":"m"}`)), false},
		{"other bytes", respcache.NewKey("ollama", "u/v1/chat/completions", "m", []byte(`{"model": "m"}`)), false},
		{"shifted boundary", respcache.NewKey("ollama", "u/v1/chat/completions", "", []byte(`m{"model":"m"}`)), false},
	}
	for _, tt := range tests {
		if (tt.key == base) != tt.same {
			t.Errorf("%s: equal %v, want %v", tt.name, tt.key == base, tt.same)
		}
	}
}
