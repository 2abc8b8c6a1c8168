package jobs

import (
	"sync"
	"testing"
	"time"
)

// clock is a settable time for eviction tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func TestEviction(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		maxFinished int
		finish      int           // jobs finished, a minute apart
		running     int           // jobs left running
		wait        time.Duration // after the last finish
		wantKept    int           // finished jobs kept
	}{
		{"all recent kept", 10, 5, 2, 0, 5},
		{"ttl passed", 10, 5, 2, time.Hour + time.Minute, 0},
		{"ttl passed for some", 10, 5, 1, 58*time.Minute + 30*time.Second, 2}, // the last two are under 1h old
		{"bounded count keeps newest", 3, 6, 1, 0, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
			r := NewRegistry(Config{MaxFinished: tt.maxFinished, Now: c.now})
			var finished []*Job
			var running []*Job
			for range tt.running {
				running = append(running, r.Start(KindHealthCheck, "ollama", 1))
			}
			for range tt.finish {
				j := r.Start(KindHealthCheck, "ollama", 1)
				j.Finish(nil, nil)
				finished = append(finished, j)
				c.add(time.Minute)
			}
			c.add(tt.wait - time.Minute)
			if got := r.Len(); got != tt.wantKept+tt.running {
				t.Errorf("kept %d jobs, want %d finished + %d running", got, tt.wantKept, tt.running)
			}
			for _, j := range running {
				if _, ok := r.Get(j.ID()); !ok {
					t.Error("a running job was evicted")
				}
			}
			for i, j := range finished {
				_, ok := r.Get(j.ID())
				if want := i >= len(finished)-tt.wantKept; ok != want {
					t.Errorf("finished job %d kept = %v, want %v (newest first kept)", i, ok, want)
				}
			}
		})
	}
}

func TestIDsAreUnique(t *testing.T) {
	t.Parallel()
	r := NewRegistry(Config{})
	seen := map[string]bool{}
	for range 1000 {
		id := r.Start(KindImportValidation, "ollama", 0).ID()
		if seen[id] || len(id) != 24 {
			t.Fatalf("id %q repeated or malformed", id)
		}
		seen[id] = true
	}
	if _, ok := r.Get("nope"); ok {
		t.Error("unknown id found")
	}
}
