package probe

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/app/fakeupstream"
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
