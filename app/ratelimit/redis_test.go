package ratelimit_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/ratelimit"
	"github.com/keypool/keypool/app/testkit/logtest"
	"github.com/keypool/keypool/app/testkit/redistest"
)

func uniqueKey(prefix string) string {
	b := make([]byte, 8)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Two limiters on one Redis (two gateway instances) share one budget.
func TestRedisLimitShared(t *testing.T) {
	t.Parallel()
	url := redistest.URL(t)
	a, b := ratelimit.NewRedis(redistest.Client(t, url)), ratelimit.NewRedis(redistest.Client(t, url))
	t.Cleanup(a.Close)
	t.Cleanup(b.Close)
	ctx := context.Background()
	key, l := uniqueKey("test:ip:"), ratelimit.PerMinute(60)
	allowed := 0
	for i := range 61 {
		lim := a
		if i%2 == 1 {
			lim = b
		}
		r, err := lim.Allow(ctx, key, l, 1)
		if err != nil {
			t.Fatal(err)
		}
		if r.Allowed {
			allowed++
		} else if i < 60 {
			t.Fatalf("request %d refused: %+v", i+1, r)
		} else if r.RetryAfter <= 0 || r.Remaining != 0 || r.Limit != 60 {
			t.Fatalf("61st: %+v", r)
		}
	}
	if allowed != 60 {
		// The 61st may land just after a window boundary, and the earliest
		// requests' weight decays: only then is one more allowed.
		t.Logf("%d of 61 allowed", allowed)
		if allowed > 61 || allowed < 60 {
			t.Fatalf("%d of 61 allowed", allowed)
		}
	}
}

func TestRedisCharge(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t, redistest.URL(t))
	lim := ratelimit.NewRedis(client)
	t.Cleanup(lim.Close)
	ctx := context.Background()
	key, l := uniqueKey("test:tpm:"), ratelimit.PerMinute(100)
	if err := lim.Charge(ctx, key, l, 150); err != nil {
		t.Fatal(err)
	}
	r, err := lim.Allow(ctx, key, l, 0)
	if err != nil || r.Allowed || r.RetryAfter <= 0 {
		t.Fatalf("spent budget: %+v %v", r, err)
	}
	// The counters expire after two windows without use.
	keys, err := client.Keys(ctx, ratelimit.KeyPattern(key)).Result()
	if err != nil || len(keys) != 1 {
		t.Fatalf("counters %v %v", keys, err)
	}
	if ttl, err := client.PTTL(ctx, keys[0]).Result(); err != nil || ttl <= time.Minute || ttl > 2*time.Minute {
		t.Errorf("expiry %v %v", ttl, err)
	}
}

// The fallback warns once when Redis dies, keeps limiting in memory, and
// goes back to Redis when it returns.
func TestRedisFallback(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	client := redistest.Client(t, srv.URL())
	var logs logtest.Buffer
	rl := ratelimit.NewRedis(client)
	t.Cleanup(rl.Close)
	f := ratelimit.NewFallback(rl, ratelimit.NewMemory(nil),
		func(ctx context.Context) error { return client.Ping(ctx).Err() },
		slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()
	l := ratelimit.PerMinute(5)
	allow := func(key string) bool {
		r, err := f.Allow(ctx, key, l, 1)
		if err != nil {
			t.Fatalf("fallback failed: %v", err)
		}
		return r.Allowed
	}
	if !allow("k1") || f.Degraded() {
		t.Fatal("first call")
	}
	srv.Stop()
	for i := range 5 {
		if !allow("k2") {
			t.Fatalf("call %d while Redis is down refused", i)
		}
	}
	if allow("k2") {
		t.Fatal("memory fallback does not limit")
	}
	if !f.Degraded() || strings.Count(logs.String(), "redis unreachable") != 1 {
		t.Fatalf("degraded=%v, logs:\n%s", f.Degraded(), logs.String())
	}
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for f.Degraded() {
		if time.Now().After(deadline) {
			t.Fatalf("still degraded after Redis came back; logs:\n%s", logs.String())
		}
		allow("k3")
		time.Sleep(50 * time.Millisecond)
	}
	allow("k3")
	if keys, err := client.Keys(ctx, ratelimit.KeyPattern("k3")).Result(); err != nil || len(keys) != 1 {
		t.Fatalf("back on Redis, but k3 is not counted there: %v %v", keys, err)
	}
	if !strings.Contains(logs.String(), "redis is back") {
		t.Fatalf("no recovery log:\n%s", logs.String())
	}
}

// The previous window's count, read once per window, still weighs on the
// next one as it slides out.
func TestRedisSlides(t *testing.T) {
	t.Parallel()
	lim := ratelimit.NewRedis(redistest.Client(t, redistest.URL(t)))
	t.Cleanup(lim.Close)
	ctx := context.Background()
	key, l := uniqueKey("test:slide:"), ratelimit.Limit{Count: 10, Window: 2 * time.Second}
	// Start early in a window, so all ten fall in it.
	time.Sleep(time.Until(time.Now().Truncate(l.Window).Add(l.Window + 50*time.Millisecond)))
	for i := range 10 {
		if r, err := lim.Allow(ctx, key, l, 1); err != nil || !r.Allowed {
			t.Fatalf("request %d: %+v %v", i+1, r, err)
		}
	}
	if r, _ := lim.Allow(ctx, key, l, 1); r.Allowed {
		t.Fatalf("11th allowed: %+v", r)
	}
	// Half-way through the next window half of the previous one still counts.
	time.Sleep(time.Until(time.Now().Truncate(l.Window).Add(l.Window + time.Second)))
	allowed := 0
	for range 10 {
		if r, _ := lim.Allow(ctx, key, l, 1); r.Allowed {
			allowed++
		}
	}
	if allowed < 4 || allowed > 6 {
		t.Fatalf("%d allowed half-way through the next window, want about 5", allowed)
	}
}

// Every counter gets its expiry: the first count of a window sets it, a
// check that counts nothing does not stand in for it, and a counter lost
// mid-window (a Redis restart) gets it again when re-created.
func TestRedisExpiry(t *testing.T) {
	t.Parallel()
	client := redistest.Client(t, redistest.URL(t))
	lim := ratelimit.NewRedis(client)
	t.Cleanup(lim.Close)
	ctx := context.Background()
	key, l := uniqueKey("test:ttl:"), ratelimit.PerMinute(1000)
	ttl := func() time.Duration {
		t.Helper()
		keys, err := client.Keys(ctx, ratelimit.KeyPattern(key)).Result()
		if err != nil || len(keys) != 1 {
			t.Fatalf("counters %v %v", keys, err)
		}
		d, err := client.PTTL(ctx, keys[0]).Result()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	if r, err := lim.Allow(ctx, key, l, 0); err != nil || !r.Allowed {
		t.Fatalf("check: %+v %v", r, err)
	}
	if err := lim.Charge(ctx, key, l, 5); err != nil {
		t.Fatal(err)
	}
	if d := ttl(); d <= time.Minute || d > 2*time.Minute {
		t.Fatalf("after the first count: expiry %v", d)
	}
	keys, _ := client.Keys(ctx, ratelimit.KeyPattern(key)).Result()
	client.Del(ctx, keys...)
	if _, err := lim.Allow(ctx, key, l, 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, func() bool { d := ttl(); return d > time.Minute && d <= 2*time.Minute })
}

func eventually(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(2 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 2s")
		}
	}
}
