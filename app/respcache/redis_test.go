package respcache_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/respcache"
	"github.com/keypool/keypool/app/testkit/logtest"
	"github.com/keypool/keypool/app/testkit/redistest"
)

// testPrefix is a key prefix no other test (nor an earlier run) uses.
func testPrefix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return "keypool-test:respcache:" + hex.EncodeToString(b) + ":"
}

// newRedis returns a cache on TEST_REDIS_URL under a prefix of its own,
// whose keys are deleted when the test ends.
func newRedis(t *testing.T, ttl time.Duration) *respcache.Redis {
	t.Helper()
	rdb := redistest.Client(t, redistest.URL(t))
	prefix := testPrefix()
	t.Cleanup(func() {
		ctx := context.Background()
		keys, err := rdb.Keys(ctx, prefix+"*").Result()
		if err == nil && len(keys) > 0 {
			err = rdb.Del(ctx, keys...).Err()
		}
		if err != nil {
			t.Errorf("clean up %s*: %v", prefix, err)
		}
	})
	return respcache.NewRedis(rdb, respcache.RedisOptions{TTL: ttl, Prefix: prefix})
}

// Answers expire in Redis itself, with millisecond precision.
func TestRedisExpiresAfterTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newRedis(t, 300*time.Millisecond)
	k := key("ollama", "a")
	c.Set(ctx, k, entry(100))
	if _, ok := c.Get(ctx, k); !ok {
		t.Fatal("a fresh answer is a miss")
	}
	time.Sleep(400 * time.Millisecond)
	if _, ok := c.Get(ctx, k); ok {
		t.Error("an answer is served after its TTL")
	}
	if s, err := c.Stats(ctx, "ollama"); err != nil || s != (respcache.Stats{Hits: 1, Misses: 1}) {
		t.Errorf("stats %+v, %v", s, err)
	}
}

// Two instances on one Redis share answers and figures.
func TestRedisShared(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := redistest.URL(t)
	prefix := testPrefix()
	a := respcache.NewRedis(redistest.Client(t, url), respcache.RedisOptions{TTL: time.Hour, Prefix: prefix})
	b := respcache.NewRedis(redistest.Client(t, url), respcache.RedisOptions{TTL: time.Hour, Prefix: prefix})
	t.Cleanup(func() { a.Clear(ctx, "ollama") })
	k := key("ollama", "a")
	a.Set(ctx, k, entry(100))
	if _, ok := b.Get(ctx, k); !ok {
		t.Fatal("b misses what a stored")
	}
	if s, _ := a.Stats(ctx, "ollama"); s.Hits != 1 || s.Entries != 1 {
		t.Errorf("a does not see b's hit: %+v", s)
	}
	if n, _ := b.Clear(ctx, "ollama"); n != 1 {
		t.Errorf("b cleared %d, want 1", n)
	}
	if _, ok := a.Get(ctx, k); ok {
		t.Error("a still serves what b cleared")
	}
}

// Clear works through many SCAN batches.
func TestRedisClearMany(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	c := newRedis(t, time.Hour)
	const n = 1200
	for i := range n {
		c.Set(ctx, key("ollama", strings.Repeat("k", 1+i%7)+string(rune(i))), entry(20))
	}
	if s, err := c.Stats(ctx, "ollama"); err != nil || s.Entries != n || s.Bytes != 20*n {
		t.Fatalf("stats %+v, %v; want %d entries", s, err, n)
	}
	if got, err := c.Clear(ctx, "ollama"); err != nil || got != n {
		t.Fatalf("cleared %d, %v; want %d", got, err, n)
	}
}

// A Redis that goes away is a miss, never an error; the outage is logged
// once, not per request, and the cache works again when Redis is back.
func TestRedisOutage(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	var logs logtest.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	c := respcache.NewRedis(redistest.Client(t, srv.URL()), respcache.RedisOptions{TTL: time.Hour, Log: log, RetryAfter: 50 * time.Millisecond, Timeout: 100 * time.Millisecond})
	ctx := context.Background()
	k := key("ollama", "a")
	c.Set(ctx, k, entry(100))
	if _, ok := c.Get(ctx, k); !ok {
		t.Fatal("miss before the outage")
	}

	srv.Stop()
	start := time.Now()
	for range 20 {
		if _, ok := c.Get(ctx, k); ok {
			t.Fatal("a hit while redis is down")
		}
		c.Set(ctx, k, entry(100))
		time.Sleep(10 * time.Millisecond)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("40 calls took %v while redis was down: it is not left alone", d)
	}
	admin, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := c.Stats(admin, "ollama"); err == nil {
		t.Error("stats report no error while redis is down")
	}
	if _, err := c.Clear(admin, "ollama"); err == nil {
		t.Error("clear reports no error while redis is down")
	}
	if n := strings.Count(logs.String(), "redis unreachable"); n != 1 {
		t.Errorf("%d warnings about the outage, want 1:\n%s", n, logs.String())
	}

	srv.Restart() // empty: no persistence
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.Set(ctx, k, entry(100))
		if _, ok := c.Get(ctx, k); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cache did not come back with redis")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(logs.String(), "redis is back") {
		t.Error("no log line about redis coming back")
	}
}

// A request that went away does not mark Redis down.
func TestRedisCanceledIsNoOutage(t *testing.T) {
	t.Parallel()
	var logs logtest.Buffer
	rdb := redistest.Client(t, redistest.URL(t))
	prefix := testPrefix()
	c := respcache.NewRedis(rdb, respcache.RedisOptions{TTL: time.Hour, Prefix: prefix, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	c.Get(canceled, key("ollama", "a"))
	ctx := context.Background()
	c.Set(ctx, key("ollama", "a"), entry(100))
	t.Cleanup(func() { rdb.Del(ctx, prefix+"counters:ollama"); c.Clear(ctx, "ollama") })
	if _, ok := c.Get(ctx, key("ollama", "a")); !ok || logs.String() != "" {
		t.Errorf("after a canceled call: hit %v, logs %q", ok, logs.String())
	}
}
