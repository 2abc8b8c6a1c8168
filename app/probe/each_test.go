package probe

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

func TestEachBoundsConcurrency(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		keys        int
		concurrency int
		wantPeak    int64
	}{
		{"default", 30, 0, DefaultConcurrency},
		{"four", 30, 4, 4},
		{"more workers than keys", 3, 50, 3},
		{"no keys", 0, 4, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, time.Second)
			e.fake.SetOptions(fakeupstream.Options{Latency: 20 * time.Millisecond})
			keys := make([]string, tt.keys)
			for i := range keys {
				keys[i] = fmt.Sprintf("sk-each-%03d-0123456789", i)
			}
			var mu sync.Mutex
			seen := map[int]int{}
			e.prober.Each(t.Context(), e.ollama, keys, tt.concurrency, func(i int, r Result) {
				mu.Lock()
				defer mu.Unlock()
				seen[i]++
				if !r.Valid() {
					t.Errorf("key %d: %+v", i, r)
				}
			})
			if len(seen) != tt.keys {
				t.Errorf("%d keys reported, want %d", len(seen), tt.keys)
			}
			for i, n := range seen {
				if n != 1 {
					t.Errorf("key %d reported %d times", i, n)
				}
			}
			if got := e.fake.PeakInFlight(); got != tt.wantPeak {
				t.Errorf("peak in flight %d, want %d", got, tt.wantPeak)
			}
		})
	}
}

func TestEachCanceled(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Second)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var mu sync.Mutex
	n := 0
	e.prober.Each(ctx, e.ollama, []string{"a-0123456789", "b-0123456789", "c-0123456789"}, 2, func(i int, r Result) {
		mu.Lock()
		defer mu.Unlock()
		n++
		if r.Verdict != Unknown {
			t.Errorf("key %d: %+v", i, r)
		}
	})
	if n != 3 || e.fake.Total().Requests != 0 {
		t.Errorf("%d results, %d upstream requests", n, e.fake.Total().Requests)
	}
}

func TestEachProbesEachKeyOnce(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Second)
	e.fake.SetOptions(fakeupstream.Options{Latency: 30 * time.Millisecond})
	e.fake.SetFault("sk-b-0123456789", fakeupstream.Fault{Status: 401})
	keys := []string{"sk-a-0123456789", "sk-b-0123456789", "sk-a-0123456789", "sk-c-0123456789", "sk-a-0123456789", "sk-b-0123456789"}
	got := make([]Verdict, len(keys))
	e.prober.Each(t.Context(), e.ollama, keys, 4, func(i int, r Result) { got[i] = r.Verdict })
	want := []Verdict{Valid, Invalid, Valid, Valid, Valid, Invalid}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("key %d: %s, want %s", i, got[i], want[i])
		}
	}
	for _, key := range []string{"sk-a-0123456789", "sk-b-0123456789", "sk-c-0123456789"} {
		if n := e.fake.Counts(key).Requests; n != 1 {
			t.Errorf("%s asked %d times, want once", key, n)
		}
	}
}

// TestEachThousandKeysSpendNoChat is the check: validating 1,000
// Ollama keys asks /api/balance once per key, within Ollama's limit of 10
// a minute per account, and sends no chat at all.
func TestEachThousandKeysSpendNoChat(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, 5*time.Second)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("sk-thousand-%04d-0123456789", i)
	}
	var mu sync.Mutex
	valid, withBalance := 0, 0
	e.prober.Each(t.Context(), e.ollama, keys, 0, func(i int, r Result) {
		mu.Lock()
		defer mu.Unlock()
		if r.Valid() && !r.RateLimited {
			valid++
		}
		if r.Balance != nil && r.Balance.IncludedUSD != nil {
			withBalance++
		}
	})
	if valid != 1000 || withBalance != 1000 {
		t.Errorf("%d valid, %d with a balance, want 1000", valid, withBalance)
	}
	for _, path := range []string{"/v1/chat/completions", "/v1/completions", "/api/chat", "/api/generate"} {
		if n := e.fake.PathRequests(path); n != 0 {
			t.Errorf("%d requests to %s", n, path)
		}
	}
	if n, total := e.fake.PathRequests("/api/balance"), e.fake.Total(); n != 1000 || total.Requests != 1000 || total.OK != 1000 {
		t.Errorf("%d balance requests, total %+v; want 1000 of 1000", n, total)
	}
}
