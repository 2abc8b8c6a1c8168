package pool

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentUse runs 32 request goroutines picking and marking while
// another reloads a changing store, flushes (sometimes into a failing
// store), sweeps, and an admin enables and disables keys. Run with -race.
func TestConcurrentUse(t *testing.T) {
	const (
		workers  = 32
		requests = 2000
	)
	store := newFakeStore(activeRows(40)...)
	clock := newFakeClock()
	p := newTestPool(t, store, clock)

	var stop atomic.Bool
	var bg sync.WaitGroup
	bg.Go(func() { // sync loop
		rng := rand.New(rand.NewPCG(7, 7))
		for i := 0; !stop.Load(); i++ {
			name := fmt.Sprintf("extra%02d", rng.IntN(20))
			if rng.IntN(2) == 0 {
				store.put(activeRows(1)[0], keyRow(name))
			} else {
				store.delete(name)
			}
			store.setFail(nil)
			if i%5 == 0 {
				store.setFail(errStoreDown)
			}
			_ = p.Load(context.Background())
			_ = p.Flush(context.Background())
			p.Sweep()
			clock.Advance(time.Duration(rng.IntN(1800)) * time.Second)
			if i%7 == 0 {
				p.Remove(fmt.Sprintf("extra%02d", rng.IntN(20)))
			}
		}
	})
	bg.Go(func() { // admin
		rng := rand.New(rand.NewPCG(8, 8))
		for !stop.Load() {
			name := fmt.Sprintf("k%02d", rng.IntN(40))
			if rng.IntN(2) == 0 {
				_ = p.Enable(name)
			} else {
				_ = p.Disable(name, time.Duration(rng.IntN(3))*time.Minute) // 0: forever
			}
			_ = p.Counts()
			time.Sleep(50 * time.Microsecond)
		}
	})

	var picked, noKey atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 1))
			for range requests {
				clock.Advance(time.Second) // cooldowns end while requests run
				var tried []*Key
				for range 3 { // MAX_RETRIES
					k, err := p.Pick("", tried)
					if err != nil {
						noKey.Add(1)
						break
					}
					if slices.Contains(tried, k) {
						t.Errorf("Pick returned %s, already tried", k.APIKey())
						return
					}
					picked.Add(1)
					tried = append(tried, k)
					ev := Success // mostly: a pool that is all failed tests little
					if r := rng.IntN(40); r < len(eventNames)-1 {
						ev = Event(r + 1)
					}
					p.Mark(k, ev, clock.Now().Add(time.Duration(rng.IntN(120))*time.Second))
					_ = k.State()
					if ev == Success {
						break
					}
				}
			}
		})
	}
	wg.Wait()
	stop.Store(true)
	bg.Wait()

	store.setFail(nil)
	flush(t, p)
	// After the dust settles the store holds what memory holds.
	for _, k := range p.snap.Load().list {
		row, ok := store.row(k.APIKey())
		if !ok {
			continue // removed from the pool only, or added and removed meanwhile
		}
		if st := k.State(); !sameState(row, st) {
			t.Errorf("%s: store %+v, memory %+v", k.APIKey(), row, st)
		}
	}
	t.Logf("picks %d, no key %d", picked.Load(), noKey.Load())
	if picked.Load() == 0 {
		t.Error("no key was ever picked")
	}
}
