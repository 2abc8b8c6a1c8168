package pool

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

// verdicts collects what a pool announces.
type verdicts struct {
	mu   sync.Mutex
	list []Verdict
}

func (v *verdicts) add(x Verdict) {
	v.mu.Lock()
	v.list = append(v.list, x)
	v.mu.Unlock()
}

func (v *verdicts) take() []Verdict {
	v.mu.Lock()
	defer v.mu.Unlock()
	out := v.list
	v.list = nil
	return out
}

// twoInstances returns pools a and b on one store and clock, a's verdicts
// collected.
func twoInstances(t *testing.T, n int) (a, b *Pool, heard *verdicts, clock *fakeClock) {
	t.Helper()
	st, clock := newFakeStore(activeRows(n)...), newFakeClock()
	heard = &verdicts{}
	a = New(Config{Cooldown: testCooldown, Now: clock.Now, Announce: heard.add}, st, discardLogger())
	if err := a.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return a, newTestPool(t, st, clock), heard, clock
}

// A verdict reached on one instance, applied on another, makes the second
// skip (or take again) the key at once, before any store write.
func TestVerdictsReachAnotherInstance(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		act       func(a *Pool, k *Key)
		announced int      // verdicts a announces
		available []string // keys b hands out after applying them
	}{
		{"success says nothing", func(a *Pool, k *Key) { a.Mark(k, Success, time.Time{}) }, 0, []string{"k00", "k01"}},
		{"a key's own 5xx rests it everywhere", func(a *Pool, k *Key) { a.Mark(k, Transient, time.Time{}) }, 1, []string{"k01"}},
		{"invalid", func(a *Pool, k *Key) { a.Mark(k, Invalid, time.Time{}) }, 1, []string{"k01"}},
		{"rate limited", func(a *Pool, k *Key) { a.Mark(k, RateLimited, t0.Add(time.Minute)) }, 1, []string{"k01"}},
		{"quota exhausted", func(a *Pool, k *Key) { a.Mark(k, QuotaExhausted, t0.Add(3*time.Hour)) }, 1, []string{"k01"}},
		{"each longer rest is told", func(a *Pool, k *Key) {
			for range 3 {
				a.Mark(k, Transient, time.Time{})
			}
		}, 3, []string{"k01"}},
		{"disabled by an admin", func(a *Pool, k *Key) { _ = a.Disable(k.APIKey(), 0) }, 1, []string{"k01"}},
		{"failed then enabled", func(a *Pool, k *Key) {
			a.Mark(k, Invalid, time.Time{})
			a.Mark(k, RateLimited, t0.Add(time.Minute))
			_ = a.Enable(k.APIKey())
		}, 3, []string{"k00", "k01"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			a, b, heard, _ := twoInstances(t, 2)
			tc.act(a, mustGet(t, a, "k00"))
			got := heard.take()
			if len(got) != tc.announced {
				t.Fatalf("announced %d verdicts %+v, want %d", len(got), got, tc.announced)
			}
			for _, v := range got {
				if v.Key != Fingerprint("k00") {
					t.Fatalf("verdict names %q, want the fingerprint of k00", v.Key)
				}
				if !b.Apply(v) {
					t.Fatalf("b does not know %q", v.Key)
				}
			}
			if av := available(t, b); !slices.Equal(av, tc.available) {
				t.Errorf("b hands out %v, want %v", av, tc.available)
			}
			if len(got) > 0 {
				want, have := verdictOf(mustGet(t, a, "k00")), verdictOf(mustGet(t, b, "k00"))
				if !sameVerdict(want, have) {
					t.Errorf("b's verdict %+v, a's %+v", have, want)
				}
			}
		})
	}
}

// The cooldown ends on the other instance too, and a verdict about an
// unknown key is ignored.
func TestVerdictCooldownEndsAndUnknownKeys(t *testing.T) {
	t.Parallel()
	a, b, heard, clock := twoInstances(t, 2)
	a.Mark(mustGet(t, a, "k01"), RateLimited, t0.Add(30*time.Second))
	for _, v := range heard.take() {
		b.Apply(v)
	}
	if av := available(t, b); !slices.Equal(av, []string{"k00"}) {
		t.Fatalf("during the cooldown b hands out %v", av)
	}
	clock.Advance(31 * time.Second)
	if av := available(t, b); !slices.Equal(av, []string{"k00", "k01"}) {
		t.Errorf("after the cooldown b hands out %v", av)
	}
	if b.Apply(Verdict{Key: Fingerprint("nope"), Status: models.StatusFailed}) {
		t.Error("Apply of an unknown key reported true")
	}
}

// A verdict applied while the key has a local change pending is written
// with that change, not lost to it.
func TestVerdictMergesWithPendingChange(t *testing.T) {
	t.Parallel()
	a, b, heard, _ := twoInstances(t, 1)
	b.Mark(mustGet(t, b, "k00"), Transient, time.Time{}) // pending on b: one failure
	a.Mark(mustGet(t, a, "k00"), Invalid, time.Time{})
	for _, v := range heard.take() {
		b.Apply(v)
	}
	// a writes first; b's later write of its own change must not undo it.
	if err := a.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	row, _ := b.store.(*fakeStore).row("k00")
	if row.Status != models.StatusFailed {
		t.Errorf("stored status %q after both flushed, want failed", row.Status)
	}
}

func BenchmarkMarkSuccessAnnouncing(b *testing.B) {
	st := newFakeStore(activeRows(16)...)
	p := New(Config{Announce: func(Verdict) {}}, st, discardLogger())
	if err := p.Load(context.Background()); err != nil {
		b.Fatal(err)
	}
	k := mustGet(b, p, "k00")
	b.ReportAllocs()
	for b.Loop() {
		p.Mark(k, Success, time.Time{})
	}
}
