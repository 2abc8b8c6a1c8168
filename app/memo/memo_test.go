package memo

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// counter is a load function that counts its calls and, while gate is
// open, blocks until it is closed.
type counter struct {
	calls atomic.Int64
	gate  chan struct{}
	err   error
}

func (l *counter) load(context.Context) (int64, error) {
	n := l.calls.Add(1)
	if l.gate != nil {
		<-l.gate
	}
	return n, l.err
}

// Callers that arrive while a load runs share it.
func TestGetSharesOneLoad(t *testing.T) {
	for _, callers := range []int{1, 2, 500} {
		synctest.Test(t, func(t *testing.T) {
			c := New[int64]()
			l := &counter{gate: make(chan struct{})}
			var wg sync.WaitGroup
			got := make([]int64, callers)
			for i := range callers {
				wg.Go(func() { got[i], _ = c.Get(t.Context(), "k", time.Second, l.load) })
			}
			synctest.Wait() // every caller is now inside Get: one loading, the rest waiting
			close(l.gate)
			wg.Wait()
			if n := l.calls.Load(); n != 1 {
				t.Fatalf("%d callers: %d loads, want 1", callers, n)
			}
			for i, v := range got {
				if v != 1 {
					t.Fatalf("caller %d got %d, want the shared value 1", i, v)
				}
			}
		})
	}
}

func TestGetExpiry(t *testing.T) {
	tests := []struct {
		name      string
		ttl       time.Duration
		after     time.Duration
		wantLoads int64
	}{
		{"fresh value is reused", 5 * time.Second, 4 * time.Second, 1},
		{"expired value is reloaded", 5 * time.Second, 6 * time.Second, 2},
		{"zero ttl keeps nothing", 0, time.Millisecond, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c, l := New[int64](), &counter{}
				c.Get(t.Context(), "k", tt.ttl, l.load)
				time.Sleep(tt.after)
				v, err := c.Get(t.Context(), "k", tt.ttl, l.load)
				if err != nil || v != tt.wantLoads || l.calls.Load() != tt.wantLoads {
					t.Fatalf("Get = %d, %v after %d loads; want %d", v, err, l.calls.Load(), tt.wantLoads)
				}
			})
		})
	}
}

func TestGetKeysAreSeparate(t *testing.T) {
	c, l := New[int64](), &counter{}
	a, _ := c.Get(t.Context(), "ollama", time.Hour, l.load)
	b, _ := c.Get(t.Context(), "openrouter", time.Hour, l.load)
	if a != 1 || b != 2 {
		t.Fatalf("values %d, %d: keys share an entry", a, b)
	}
	c.Forget("ollama")
	if a, _ = c.Get(t.Context(), "ollama", time.Hour, l.load); a != 3 {
		t.Fatalf("after Forget: %d, want a reload", a)
	}
}

// A failed load reaches its waiters but is not kept.
func TestGetDoesNotKeepErrors(t *testing.T) {
	c := New[int64]()
	boom := errors.New("boom")
	l := &counter{err: boom}
	if _, err := c.Get(t.Context(), "k", time.Hour, l.load); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	l.err = nil
	if v, err := c.Get(t.Context(), "k", time.Hour, l.load); err != nil || v != 2 {
		t.Fatalf("after a failure: %d, %v; want a fresh load", v, err)
	}
}

// A waiter that gives up leaves; the load goes on for the others.
func TestGetWaiterCanceled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c, l := New[int64](), &counter{gate: make(chan struct{})}
		var wg sync.WaitGroup
		var first int64
		wg.Go(func() { first, _ = c.Get(t.Context(), "k", time.Hour, l.load) })
		synctest.Wait()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := c.Get(ctx, "k", time.Hour, l.load); !errors.Is(err, context.Canceled) {
			t.Fatalf("canceled waiter: %v", err)
		}
		close(l.gate)
		wg.Wait()
		if first != 1 || l.calls.Load() != 1 {
			t.Fatalf("loader got %d after %d loads", first, l.calls.Load())
		}
	})
}

// A panicking load releases its waiters with an error.
func TestGetLoadPanics(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := New[int64]()
		gate := make(chan struct{})
		var wg sync.WaitGroup
		wg.Go(func() {
			defer func() { recover() }()
			c.Get(t.Context(), "k", time.Hour, func(context.Context) (int64, error) { <-gate; panic("load") })
		})
		synctest.Wait()
		var err error
		wg.Go(func() { _, err = c.Get(t.Context(), "k", time.Hour, (&counter{}).load) })
		synctest.Wait()
		close(gate)
		wg.Wait()
		if err == nil {
			t.Fatal("waiter of a panicked load got no error")
		}
		if v, err := c.Get(t.Context(), "k", time.Hour, (&counter{}).load); err != nil || v != 1 {
			t.Fatalf("after a panic: %d, %v; want a fresh load", v, err)
		}
	})
}
