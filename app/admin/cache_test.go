package admin

import (
	"context"
	"errors"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/respcache"
)

// fakeCache answers the admin API's calls with fixed figures per provider.
type fakeCache struct {
	stats map[string]respcache.Stats
	err   error
}

func (f *fakeCache) Stats(_ context.Context, p string) (respcache.Stats, error) {
	return f.stats[p], f.err
}

func (f *fakeCache) Clear(_ context.Context, p string) (int, error) {
	if f.err != nil {
		return 0, f.err
	}
	return int(f.stats[p].Entries), nil
}

func newCacheApp(t *testing.T, cache operator.ResponseCache) *fiber.App {
	t.Helper()
	cfg := operator.Config{}
	if cache != nil {
		cfg.Cache = cache
	}
	return newAdminEnv(t, "sqlite", cfg).app
}

func TestCacheRoutes(t *testing.T) {
	t.Parallel()
	figures := map[string]respcache.Stats{
		provider.Ollama:     {Entries: 3, Bytes: 900, Hits: 5, Misses: 4},
		provider.OpenRouter: {Entries: 1, Bytes: 10, Hits: 0, Misses: 1},
	}
	tests := []struct {
		name         string
		cache        operator.ResponseCache
		method, path string
		status       int
		body         string
	}{
		{"off", nil, "GET", "/admin/cache/stats", 200, `{"enabled":false,"entries":0,"hits":0,"misses":0,"bytes":0,"totalEntries":0,"byType":{"response":0}}`},
		{"off clear", nil, "POST", "/admin/cache/clear", 200, `{"cleared":0,"message":"cleared the provider's cache","success":true}`},
		{"stats", &fakeCache{stats: figures}, "GET", "/admin/cache/stats", 200,
			`{"enabled":true,"entries":3,"hits":5,"misses":4,"bytes":900,"totalEntries":3,"byType":{"response":3}}`},
		{"stats of openrouter", &fakeCache{stats: figures}, "GET", "/admin/cache/stats?provider=openrouter", 200,
			`{"enabled":true,"entries":1,"hits":0,"misses":1,"bytes":10,"totalEntries":1,"byType":{"response":1}}`},
		{"clear", &fakeCache{stats: figures}, "POST", "/admin/cache/clear?provider=ollama", 200,
			`{"cleared":3,"message":"cleared the provider's cache","success":true}`},
		{"unknown provider", &fakeCache{stats: figures}, "POST", "/admin/cache/clear?provider=bogus", 400,
			`{"error":"unknown provider \"bogus\": use ollama or openrouter"}`},
		{"cache down", &fakeCache{err: errors.New("redis: connection refused")}, "GET", "/admin/cache/stats", 503,
			`{"error":"the response cache does not answer: redis: connection refused"}`},
		{"cache down clear", &fakeCache{err: errors.New("redis: connection refused")}, "POST", "/admin/cache/clear", 503,
			`{"error":"the response cache does not answer: redis: connection refused"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := newCacheApp(t, tt.cache)
			status, body := send(t, app, tt.method, tt.path, "Bearer "+testAdminToken)
			if status != tt.status || body != tt.body {
				t.Errorf("%s %s: %d %s, want %d %s", tt.method, tt.path, status, body, tt.status, tt.body)
			}
		})
	}
}
