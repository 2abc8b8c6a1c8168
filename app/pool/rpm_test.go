package pool

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

func rpmRow(apiKey string, rpm int) models.Key {
	r := keyRow(apiKey)
	r.RPMLimit = &rpm
	return r
}

// A key at its requests-per-minute limit is skipped until the next minute;
// keys without a limit are not.
func TestPickSkipsKeyAtRPM(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := newTestPool(t, newFakeStore(rpmRow("a", 2), rpmRow("b", 1)), clock)
	got := map[string]int{}
	for range 3 {
		k, err := p.Pick("", nil)
		if err != nil {
			t.Fatalf("Pick: %v (so far %v)", err, got)
		}
		got[k.APIKey()]++
	}
	if got["a"] != 2 || got["b"] != 1 {
		t.Fatalf("picks %v, want a:2 b:1", got)
	}
	if _, err := p.Pick("", nil); !errors.Is(err, ErrNoKey) {
		t.Fatalf("every key at its limit: %v", err)
	}
	clock.Advance(time.Minute)
	if k, err := p.Pick("", nil); err != nil {
		t.Fatalf("next minute: %v", err)
	} else if k.RPM() == 0 {
		t.Fatalf("RPM of %s lost", k.APIKey())
	}

	// Changing the limit (admin edit, or a reload from the store) applies at once.
	if err := p.SetRPM("a", 0); err != nil {
		t.Fatal(err)
	}
	for range 10 {
		if _, err := p.Pick("", nil); err != nil {
			t.Fatalf("a without a limit: %v", err)
		}
	}
}

func TestLoadTakesRPMFromStore(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	st := newFakeStore(keyRow("a"))
	p := newTestPool(t, st, clock)
	k := mustGet(t, p, "a")
	p.Mark(k, Transient, time.Time{}) // dirty: the store's state must not win, its limit must
	st.put(rpmRow("a", 5))
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if k.RPM() != 5 || k.State().ConsecutiveFailures != 1 {
		t.Fatalf("after load: rpm %d, state %+v", k.RPM(), k.State())
	}
}

// Parallel picks never hand out a key more often than its limit.
func TestPickRPMParallel(t *testing.T) {
	t.Parallel()
	clock := newFakeClock()
	p := newTestPool(t, newFakeStore(rpmRow("a", 50), rpmRow("b", 70), keyRow("c")), clock)
	var counts [3]atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				k, err := p.Pick("", nil)
				if err != nil {
					t.Error(err)
					return
				}
				counts[k.APIKey()[0]-'a'].Add(1)
			}
		}()
	}
	wg.Wait()
	if a, b := counts[0].Load(), counts[1].Load(); a != 50 || b != 70 {
		t.Fatalf("a picked %d times (limit 50), b %d (limit 70), c %d", a, b, counts[2].Load())
	}
}
