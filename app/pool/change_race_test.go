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

	"github.com/keypool/keypool/models"
)

// An import or a delete that lands while a Load (or a LoadCreated) is
// reading the store: the change waits for the read to be applied, so the
// stale read neither drops a key just added nor brings back one just
// removed.
func TestChangeDuringRead(t *testing.T) {
	t.Parallel()
	n1 := createdAt("n1", time.Minute)
	load := func(p *Pool) error { return p.Load(context.Background()) }
	loadCreated := func(p *Pool) error { return p.LoadCreated(context.Background(), n1.CreatedAt, n1.CreatedAt) }
	tests := []struct {
		name   string
		before func(*fakeStore) // before the read
		read   func(*Pool) error
		change func(*fakeStore, *Pool) // while the read is on its way
		want   []string
	}{
		{"an import during a Load", nil, load,
			func(s *fakeStore, p *Pool) { s.put(n1); p.Add([]models.Key{n1}) }, []string{"k00", "k01", "n1"}},
		{"a delete during a Load", nil, load,
			func(s *fakeStore, p *Pool) { s.delete("k01"); p.Remove("k01") }, []string{"k00"}},
		{"another instance's delete during a Load", nil, load,
			func(s *fakeStore, p *Pool) { s.delete("k01"); p.RemoveFingerprints(Fingerprint("k01")) }, []string{"k00"}},
		{"a delete during a LoadCreated", func(s *fakeStore) { s.put(n1) }, loadCreated,
			func(s *fakeStore, p *Pool) { s.delete("n1"); p.Remove("n1") }, []string{"k00", "k01"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newFakeStore(activeRows(2)...)
			p := newTestPool(t, store, newFakeClock())
			if tt.before != nil {
				tt.before(store)
			}
			done := make(chan struct{})
			var once sync.Once
			store.setAfterList(func() {
				once.Do(func() {
					go func() { tt.change(store, p); close(done) }()
					// Give a change that does not wait its chance to
					// finish before the read is applied.
					select {
					case <-done:
					case <-time.After(50 * time.Millisecond):
					}
				})
			})
			if err := tt.read(p); err != nil {
				t.Fatal(err)
			}
			<-done
			if got := names(p); !slices.Equal(got, tt.want) {
				t.Errorf("keys = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestChangesRaceLoad: admins import and delete keys on instance a while
// both instances reload, pick and apply verdicts; b hears of a's changes
// in order, as over the bus. Once it is quiet, both pools hold what the
// store holds, without a last Load. Run with -race.
func TestChangesRaceLoad(t *testing.T) {
	t.Parallel()
	const (
		admins = 4
		own    = 5 // keys per admin: each key has one owner, as a request's keys do
		rounds = 300
	)
	store := newFakeStore(activeRows(10)...)
	news := make(chan KeyNews, admins*rounds)
	a := New(Config{AnnounceKeys: func(n KeyNews) { news <- n }}, store, discardLogger())
	b := New(Config{}, store, discardLogger())
	for _, p := range []*Pool{a, b} {
		if err := p.Load(context.Background()); err != nil {
			t.Fatal(err)
		}
	}

	var created atomic.Int64 // distinct created_at per import
	var admin sync.WaitGroup
	for w := range admins {
		admin.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for range rounds {
				name := fmt.Sprintf("a%d-%d", w, rng.IntN(own))
				if _, stored := store.row(name); stored {
					store.delete(name)
					a.Remove(name)
				} else {
					row := createdAt(name, time.Duration(created.Add(1)))
					store.put(row)
					a.Add([]models.Key{row})
				}
			}
		})
	}

	var stop atomic.Bool
	var bg sync.WaitGroup
	bg.Go(func() { // b's bus: applies a's news in order
		for n := range news {
			b.RemoveFingerprints(n.Removed...)
			if n.Added > 0 {
				if err := b.LoadCreated(context.Background(), n.CreatedFrom, n.CreatedTo); err != nil {
					t.Error(err)
				}
			}
		}
	})
	for _, p := range []*Pool{a, b} {
		bg.Go(func() { // the periodic sync, much faster
			for !stop.Load() {
				if err := p.Load(context.Background()); err != nil {
					t.Error(err)
				}
			}
		})
		bg.Go(func() { // requests, and verdicts from the other instance
			for i := 0; !stop.Load(); i++ {
				if k, err := p.Pick("", nil); err == nil {
					p.Apply(Verdict{Key: Fingerprint(k.APIKey()), Status: models.StatusActive})
				}
				if i%100 == 0 {
					time.Sleep(10 * time.Microsecond)
				}
			}
		})
	}
	admin.Wait()
	stop.Store(true)
	close(news)
	bg.Wait()

	want := storeNames(store)
	for name, p := range map[string]*Pool{"a": a, "b": b} {
		if got := names(p); !slices.Equal(got, want) {
			t.Errorf("%s holds %v, the store %v", name, got, want)
		}
		if got := available(t, p); !slices.Equal(got, want) {
			t.Errorf("%s hands out %v, want %v", name, got, want)
		}
	}
	t.Logf("%d keys at the end", len(want))
}

func storeNames(s *fakeStore) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(slices.Values(s.order))
}
