package ratelimit_test

import (
	"context"
	"testing"

	"github.com/keypool/keypool/app/ratelimit"
	"github.com/keypool/keypool/app/testkit/redistest"
)

func benchLimiter(b *testing.B, lim ratelimit.Limiter) {
	ctx := context.Background()
	key, l := uniqueKey("bench:"), ratelimit.PerMinute(1<<40)
	b.ReportAllocs()
	b.SetParallelism(8)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if r, err := lim.Allow(ctx, key, l, 1); err != nil || !r.Allowed {
				b.Error(r, err)
				return
			}
		}
	})
}

func BenchmarkMemoryAllow(b *testing.B) { benchLimiter(b, ratelimit.NewMemory(nil)) }

func BenchmarkRedisAllow(b *testing.B) {
	lim := ratelimit.NewRedis(redistest.Client(b, redistest.URL(b)))
	b.Cleanup(lim.Close)
	benchLimiter(b, lim)
}
