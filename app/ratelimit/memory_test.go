package ratelimit

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newClock starts at the beginning of a minute, plus off.
func newClock(off time.Duration) *clock {
	return &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC).Add(off)}
}

func TestMemoryLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	l := PerMinute(60)
	tests := []struct {
		name  string
		start time.Duration // into the first minute
		split int           // requests sent before the minute turns
	}{
		{"inside one window", 10 * time.Second, 60},
		{"across a window boundary", 59*time.Second + 900*time.Millisecond, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newClock(tt.start)
			m := NewMemory(clk.now)
			for i := 1; i <= 60; i++ {
				if i == tt.split+1 {
					clk.add(200 * time.Millisecond)
				}
				r, _ := m.Allow(ctx, "ip:a", l, 1)
				if !r.Allowed || r.Remaining != int64(60-i) && tt.split == 60 {
					t.Fatalf("request %d: %+v", i, r)
				}
			}
			r, _ := m.Allow(ctx, "ip:a", l, 1)
			if r.Allowed || r.Remaining != 0 || r.RetryAfter <= 0 || r.RetryAfter > time.Minute {
				t.Fatalf("61st: %+v", r)
			}
			if r, _ := m.Allow(ctx, "ip:b", l, 1); !r.Allowed {
				t.Fatalf("another key shares the budget: %+v", r)
			}
			clk.add(r.RetryAfter + time.Millisecond)
			if r, _ := m.Allow(ctx, "ip:a", l, 1); !r.Allowed {
				t.Fatalf("after Retry-After %v: %+v", r.RetryAfter, r)
			}
		})
	}
}

// A full window ago counts no more; half a window ago counts half.
func TestMemorySlides(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock(0)
	m := NewMemory(clk.now)
	l := PerMinute(10)
	for range 10 {
		m.Allow(ctx, "k", l, 1)
	}
	clk.add(90 * time.Second) // half of the previous window still counts: 5
	for i := range 5 {
		if r, _ := m.Allow(ctx, "k", l, 1); !r.Allowed {
			t.Fatalf("request %d after 90s refused: %+v", i, r)
		}
	}
	if r, _ := m.Allow(ctx, "k", l, 1); r.Allowed {
		t.Fatalf("11th in the sliding window allowed: %+v", r)
	}
	clk.add(2 * time.Minute)
	if r, _ := m.Allow(ctx, "k", l, 1); !r.Allowed || r.Remaining != 9 {
		t.Fatalf("after two windows: %+v", r)
	}
}

// Tokens per minute: usage charged after the fact; a spent budget refuses
// the next request (n = 0 checks only).
func TestMemoryCharge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock(5 * time.Second)
	m := NewMemory(clk.now)
	l := PerMinute(100)
	if r, _ := m.Allow(ctx, "tpm", l, 0); !r.Allowed || r.Remaining != 100 {
		t.Fatalf("fresh budget: %+v", r)
	}
	m.Charge(ctx, "tpm", l, 60)
	if r, _ := m.Allow(ctx, "tpm", l, 0); !r.Allowed || r.Remaining != 40 {
		t.Fatalf("after 60: %+v", r)
	}
	m.Charge(ctx, "tpm", l, 70) // over budget: charged anyway
	r, _ := m.Allow(ctx, "tpm", l, 0)
	if r.Allowed || r.RetryAfter < 55*time.Second {
		t.Fatalf("after 130 of 100: %+v", r)
	}
}

func TestMemorySweeps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	clk := newClock(0)
	m := NewMemory(clk.now)
	for i := range 100 {
		m.Allow(ctx, fmt.Sprint("old-", i), PerMinute(5), 1)
	}
	clk.add(150 * time.Second)
	m.Allow(ctx, "recent", PerMinute(5), 1)
	clk.add(30 * time.Second) // old: 3 minutes idle; recent: in the previous window, still counted
	for i := range m.shard {
		sh := &m.shard[i]
		sh.mu.Lock()
		sh.sweep(clk.now().UnixNano())
		sh.mu.Unlock()
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("%d keys kept, want only the recent one", n)
	}
}

func TestNoLimit(t *testing.T) {
	t.Parallel()
	m := NewMemory(nil)
	for range 3 {
		if r, _ := m.Allow(context.Background(), "k", Limit{}, 1); !r.Allowed {
			t.Fatal("a zero limit refused")
		}
	}
}

func TestRetryAfter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		w    window
		want time.Duration
	}{
		{"current window full", window{curr: 10, elapsed: 20 * time.Second, size: time.Minute}, 40*time.Second + 6*time.Second},
		{"previous window decays", window{prev: 20, curr: 0, elapsed: 30 * time.Second, size: time.Minute}, 3 * time.Second},
		{"more than the limit", window{curr: 5, size: time.Minute}, time.Minute},
	}
	for _, tt := range tests {
		got := tt.w.retryAfter(10, 1)
		if tt.name == "more than the limit" {
			got = tt.w.retryAfter(10, 11)
		}
		if d := got - tt.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
		if tt.w.allows(10, 1) && tt.name != "more than the limit" {
			t.Errorf("%s: allowed", tt.name)
		}
	}
}
