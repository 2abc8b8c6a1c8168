package operator

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/probe"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/storetest"
)

// f is a float for a *float64 field.
func f(v float64) *float64 { return &v }

// sameFloat reports whether a and b are both nil or hold the same value.
func sameFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// sameBalance reports whether two pool balances carry the same figures.
func sameBalance(a, b pool.Balance) bool {
	return sameFloat(a.Remaining, b.Remaining) && sameFloat(a.Limit, b.Limit) && sameFloat(a.Usage, b.Usage) &&
		a.PeriodEnd.Equal(b.PeriodEnd) && a.FreeTier == b.FreeTier && a.CheckedAt.Equal(b.CheckedAt)
}

func TestKeyBalance(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 10, 12, 0, 0, 0, time.UTC)
	until := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		r    probe.Result
		want pool.Balance
		ok   bool
	}{
		{"ollama", probe.Result{Balance: &probe.Balance{IncludedUSD: f(4.25), AllowanceUSD: f(5), PurchasedUSD: f(1.5), PeriodUntil: until}},
			pool.Balance{Remaining: f(5.75), Limit: f(5), Usage: f(0.75), PeriodEnd: until, CheckedAt: at}, true},
		{"ollama without purchases", probe.Result{Balance: &probe.Balance{IncludedUSD: f(0), AllowanceUSD: f(20)}},
			pool.Balance{Remaining: f(0), Limit: f(20), Usage: f(20), CheckedAt: at}, true},
		{"ollama purchases only", probe.Result{Balance: &probe.Balance{PurchasedUSD: f(3)}},
			pool.Balance{Remaining: f(3), CheckedAt: at}, true},
		{"ollama no figures", probe.Result{Balance: &probe.Balance{}}, pool.Balance{CheckedAt: at}, true},
		{"openrouter", probe.Result{Credits: &probe.Credits{Limit: f(10), LimitRemaining: f(9.5), Usage: 0.5}},
			pool.Balance{Remaining: f(9.5), Limit: f(10), Usage: f(0.5), CheckedAt: at}, true},
		{"openrouter unlimited free tier", probe.Result{Credits: &probe.Credits{Usage: 0, IsFreeTier: true}},
			pool.Balance{Usage: f(0), FreeTier: true, CheckedAt: at}, true},
		{"nothing reported", probe.Result{Verdict: probe.Valid}, pool.Balance{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, ok := keyBalance(tt.r, at)
			if ok != tt.ok || !sameBalance(got, tt.want) {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

// balanceEnv is the actions over both providers in front of one fake
// upstream, with Ollama keys probed through GET /api/balance.
type balanceEnv struct {
	fake  *fakeupstream.Server
	ops   *Service
	pool  *pool.Pool // Ollama's
	pools map[string]*pool.Pool
}

func newBalanceEnv(t *testing.T) *balanceEnv {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	db := storetest.Open(t, "sqlite")
	providers, pools := map[string]*backend.Provider{}, map[string]*pool.Pool{}
	for id, base := range map[string]string{provider.Ollama: srv.URL, provider.OpenRouter: srv.URL + "/api"} {
		p, err := backend.New(t.Context(), backend.Config{}, provider.New(id, base), db)
		if err != nil {
			t.Fatal(err)
		}
		providers[id], pools[id] = p, p.Pool
	}
	ops := New(Config{ValidateConcurrency: 8, ProbeTimeout: 5 * time.Second}, providers, slog.New(slog.DiscardHandler))
	if err := ops.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ops.Stop(context.Background()) })
	return &balanceEnv{fake: fake, ops: ops, pool: pools[provider.Ollama], pools: pools}
}

// wait returns the job once it is done.
func (e *balanceEnv) wait(t *testing.T, started JobStarted, err error) jobs.Snapshot {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	job, err := e.ops.Job(started.JobID)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-job.Finished():
	case <-time.After(time.Minute):
		t.Fatal("the job did not finish within a minute")
	}
	snap := job.Snapshot(0)
	if snap.State != jobs.Done {
		t.Fatalf("job %+v", snap.Summary)
	}
	return snap
}

// chatPaths are the fake's routes that would spend a key's quota.
var chatPaths = []string{"/v1/chat/completions", "/v1/completions", "/api/chat", "/api/generate",
	"/api/v1/chat/completions", "/api/v1/completions"}

// TestValidateThousandKeysSpendsNoChat is the check: an import
// with validation of 1,000 Ollama keys asks only GET /api/balance, once
// per key, and stores every key with its balance.
func TestValidateThousandKeysSpendsNoChat(t *testing.T) {
	t.Parallel()
	e := newBalanceEnv(t)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("sk-validate-%04d-0123456789", i)
	}
	started, err := e.ops.StartValidatedImport(t.Context(), provider.Ollama,
		Import{ContentType: "text/plain", Body: []byte(strings.Join(keys, "\n"))})
	job := e.wait(t, started, err)
	if job.Total != 1000 || job.Valid != 1000 || job.Invalid != 0 || job.Unknown != 0 {
		t.Fatalf("job: total %d, valid %d, invalid %d, unknown %d", job.Total, job.Valid, job.Invalid, job.Unknown)
	}
	for _, path := range chatPaths {
		if n := e.fake.PathRequests(path); n != 0 {
			t.Errorf("%d requests to %s", n, path)
		}
	}
	if n, total := e.fake.PathRequests("/api/balance"), e.fake.Total().Requests; n != 1000 || total != 1000 {
		t.Errorf("%d balance probes of %d upstream requests, want 1000 of 1000", n, total)
	}
	if n := e.pool.Len(); n != 1000 {
		t.Fatalf("%d keys in the pool, want 1000", n)
	}
	def := fakeupstream.DefaultBalance(time.Now())
	for _, key := range keys {
		k, _ := e.pool.Get(key)
		b, ok := k.Balance()
		if !ok || !sameFloat(b.Remaining, f(5.75)) || !sameFloat(b.Limit, f(5)) || !sameFloat(b.Usage, f(0.75)) ||
			!b.PeriodEnd.Equal(def.Until) || b.CheckedAt.IsZero() {
			t.Fatalf("%s: balance %+v %v", key, b, ok)
		}
	}
}

// TestHealthCheckStoresBalances checks that a health check hands every
// answered probe's figures to the pool key, for both providers, and
// leaves a key whose probe reported none without.
func TestHealthCheckStoresBalances(t *testing.T) {
	t.Parallel()
	e := newBalanceEnv(t)
	until := time.Date(2026, 6, 14, 0, 0, 0, 0, time.UTC)
	e.fake.SetBalance("sk-hc-spent-0123456789", fakeupstream.Balance{Included: 0, Allowance: 20, Purchased: 2, Until: until})
	e.fake.SetFault("sk-hc-revoked-0123456789", fakeupstream.Fault{Status: 401})
	tests := []struct {
		provider, key string
		want          *pool.Balance // nil: none kept
	}{
		{provider.Ollama, "sk-hc-plain-0123456789", &pool.Balance{Remaining: f(5.75), Limit: f(5), Usage: f(0.75),
			PeriodEnd: fakeupstream.DefaultBalance(time.Now()).Until}},
		{provider.Ollama, "sk-hc-spent-0123456789", &pool.Balance{Remaining: f(2), Limit: f(20), Usage: f(20), PeriodEnd: until}},
		{provider.Ollama, "sk-hc-revoked-0123456789", nil},
		{provider.OpenRouter, "sk-hc-or-0123456789", &pool.Balance{Remaining: f(9.5), Limit: f(10), Usage: f(0.5)}},
	}
	for _, id := range []string{provider.Ollama, provider.OpenRouter} {
		var keys []string
		for _, tt := range tests {
			if tt.provider == id {
				keys = append(keys, tt.key)
			}
		}
		// Imported without validation: no probe, no balance yet.
		if _, err := e.ops.ImportKeys(t.Context(), id, Import{ContentType: "text/plain", Body: []byte(strings.Join(keys, "\n"))}); err != nil {
			t.Fatalf("import %s: %v", id, err)
		}
	}
	for _, tt := range tests {
		if k, ok := e.pools[tt.provider].Get(tt.key); !ok {
			t.Fatalf("%s not imported", tt.key)
		} else if _, has := k.Balance(); has {
			t.Fatalf("%s has a balance before any probe", tt.key)
		}
	}
	start := time.Now()
	for _, id := range []string{provider.Ollama, provider.OpenRouter} {
		started, err := e.ops.StartHealthCheck(t.Context(), id, nil)
		e.wait(t, started, err)
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			k, _ := e.pools[tt.provider].Get(tt.key)
			got, ok := k.Balance()
			if tt.want == nil {
				if ok {
					t.Errorf("balance %+v, want none", got)
				}
				return
			}
			if !ok || got.CheckedAt.Before(start) || got.CheckedAt.After(time.Now()) {
				t.Fatalf("balance %+v %v, checked after %v", got, ok, start)
			}
			want := *tt.want
			want.CheckedAt = got.CheckedAt
			if !sameBalance(got, want) {
				t.Errorf("balance %+v, want %+v", got, want)
			}
		})
	}
	for _, path := range chatPaths {
		if n := e.fake.PathRequests(path); n != 0 {
			t.Errorf("%d requests to %s", n, path)
		}
	}
}
