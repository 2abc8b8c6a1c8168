package pool

import (
	"context"
	"errors"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

// newsLog records what a pool announces through Config.AnnounceKeys.
type newsLog struct {
	mu   sync.Mutex
	news []KeyNews
}

func (l *newsLog) add(n KeyNews) {
	l.mu.Lock()
	l.news = append(l.news, n)
	l.mu.Unlock()
}

func (l *newsLog) all() []KeyNews {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.news)
}

// newNewsPool is newTestPool with a log of the key news it announces.
func newNewsPool(t *testing.T, store Store, clock *fakeClock) (*Pool, *newsLog) {
	t.Helper()
	log := &newsLog{}
	p := New(Config{Cooldown: testCooldown, Now: clock.Now, AnnounceKeys: log.add}, store, discardLogger())
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return p, log
}

// createdAt is an active key created at t0+d.
func createdAt(apiKey string, d time.Duration) models.Key {
	return models.Key{APIKey: apiKey, Status: models.StatusActive, CreatedAt: t0.Add(d)}
}

// names lists the pool's keys, sorted.
func names(p *Pool) []string {
	var out []string
	for _, k := range p.snap.Load().list {
		out = append(out, k.APIKey())
	}
	sort.Strings(out)
	return out
}

func TestAdd(t *testing.T) {
	t.Parallel()
	disabled := createdAt("d", time.Minute)
	disabled.Status, disabled.DisabledUntil = models.StatusDisabled, at(time.Hour)
	expired := createdAt("e", time.Minute)
	expired.ExpiresAt = at(-time.Second)
	noStatus := createdAt("s", 3*time.Minute)
	noStatus.Status = ""
	tests := []struct {
		name      string
		rows      []models.Key
		wantKeys  []string // in the pool
		wantPicks []string // available
		wantNews  []KeyNews
	}{
		{"new keys are picked at once", []models.Key{createdAt("n2", time.Minute), createdAt("n1", time.Minute)},
			[]string{"k00", "k01", "k02", "n1", "n2"}, []string{"k01", "k02", "n1", "n2"},
			[]KeyNews{{Added: 2, CreatedFrom: t0.Add(time.Minute), CreatedTo: t0.Add(time.Minute)}}},
		{"a key in the pool keeps its entry and state", []models.Key{createdAt("k00", time.Minute)},
			[]string{"k00", "k01", "k02"}, []string{"k01", "k02"},
			[]KeyNews{{Added: 1, CreatedFrom: t0.Add(time.Minute), CreatedTo: t0.Add(time.Minute)}}},
		{"a stored state is kept", []models.Key{disabled, expired, noStatus},
			[]string{"d", "e", "k00", "k01", "k02", "s"}, []string{"k01", "k02", "s"},
			[]KeyNews{{Added: 3, CreatedFrom: t0.Add(time.Minute), CreatedTo: t0.Add(3 * time.Minute)}}},
		{"a key repeated in rows is added once", []models.Key{createdAt("n1", 0), createdAt("n1", 0)},
			[]string{"k00", "k01", "k02", "n1"}, []string{"k01", "k02", "n1"},
			[]KeyNews{{Added: 2, CreatedFrom: t0, CreatedTo: t0}}},
		{"no rows", nil, []string{"k00", "k01", "k02"}, []string{"k01", "k02"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newFakeStore(activeRows(3)...)
			p, log := newNewsPool(t, store, newFakeClock())
			k00 := mustGet(t, p, "k00")
			p.Mark(k00, Invalid, time.Time{})

			p.Add(tt.rows)
			if got := names(p); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("keys = %v, want %v", got, tt.wantKeys)
			}
			if got := available(t, p); !slices.Equal(got, tt.wantPicks) {
				t.Errorf("available = %v, want %v", got, tt.wantPicks)
			}
			if k, _ := p.Get("k00"); k != k00 || k.State().Status != failed {
				t.Errorf("k00 after Add: entry kept %v, status %q; want the same entry, failed", k == k00, k.State().Status)
			}
			if got := log.all(); !slices.EqualFunc(got, tt.wantNews, sameNews) {
				t.Errorf("announced %+v, want %+v", got, tt.wantNews)
			}
			if lists, created := store.reads(); lists != 1 || created != 0 {
				t.Errorf("store read %d times whole and %d by creation, want 1 (the first Load) and 0", lists, created)
			}
		})
	}
}

func TestAddKeepsStoredStates(t *testing.T) {
	t.Parallel()
	d := createdAt("d", 0)
	d.Status, d.DisabledUntil = models.StatusDisabled, at(time.Hour)
	p, _ := newNewsPool(t, newFakeStore(), newFakeClock())
	p.Add([]models.Key{d, {APIKey: "s", CreatedAt: t0}})
	if got := mustGet(t, p, "d").State(); got.Status != disabled || !sameTime(got.DisabledUntil, at(time.Hour)) {
		t.Errorf("d = %+v, want disabled for an hour", got)
	}
	if got := mustGet(t, p, "s").State().Status; got != active {
		t.Errorf("a row without status is %q, want active", got)
	}
}

func sameNews(a, b KeyNews) bool {
	return a.Added == b.Added && a.CreatedFrom.Equal(b.CreatedFrom) && a.CreatedTo.Equal(b.CreatedTo) &&
		slices.Equal(slices.Sorted(slices.Values(a.Removed)), slices.Sorted(slices.Values(b.Removed)))
}

func TestRemoveTellsOthers(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		remove   []string
		wantKeys []string
		wantNews []KeyNews
	}{
		{"a key", []string{"k01"}, []string{"k00", "k02"}, []KeyNews{{Removed: []string{Fingerprint("k01")}}}},
		{"a key named twice", []string{"k01", "k01"}, []string{"k00", "k02"}, []KeyNews{{Removed: []string{Fingerprint("k01")}}}},
		{"a key not in this pool is told too", []string{"k02", "elsewhere"}, []string{"k00", "k01"},
			[]KeyNews{{Removed: []string{Fingerprint("k02"), Fingerprint("elsewhere")}}}},
		{"nothing", nil, []string{"k00", "k01", "k02"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newFakeStore(activeRows(3)...)
			p, log := newNewsPool(t, store, newFakeClock())
			p.Mark(mustGet(t, p, "k01"), Invalid, time.Time{}) // pending: must go with the key
			p.Remove(tt.remove...)
			if got := names(p); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("keys = %v, want %v", got, tt.wantKeys)
			}
			if got := log.all(); !slices.EqualFunc(got, tt.wantNews, sameNews) {
				t.Errorf("announced %+v, want %+v", got, tt.wantNews)
			}
			flush(t, p)
			if _, kept := p.Get("k01"); !kept && store.writesFor("k01") != 0 {
				t.Error("the state of a removed key was written")
			}
			if lists, _ := store.reads(); lists != 1 {
				t.Errorf("store read whole %d times, want 1 (the first Load)", lists)
			}
		})
	}
}

// What other instances announce: LoadCreated reads only the keys created
// in the span, RemoveFingerprints drops keys by fingerprint; neither is
// announced again.
func TestApplyOtherInstancesNews(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		apply       func(*Pool) error
		wantKeys    []string
		wantCreated int // ListKeysCreated calls
	}{
		{"keys created in the span are added", func(p *Pool) error {
			return p.LoadCreated(context.Background(), t0.Add(time.Minute), t0.Add(time.Minute))
		}, []string{"k00", "k01", "k02", "n1", "n2"}, 1},
		{"a span holding old keys too adds only the new", func(p *Pool) error {
			return p.LoadCreated(context.Background(), t0, t0.Add(2*time.Minute))
		}, []string{"k00", "k01", "k02", "n1", "n2", "n3"}, 1},
		{"keys removed by fingerprint", func(p *Pool) error {
			p.RemoveFingerprints(Fingerprint("k01"), Fingerprint("not-here"))
			return nil
		}, []string{"k00", "k02"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			store := newFakeStore(activeRows(3)...)
			p, log := newNewsPool(t, store, newFakeClock())
			store.put(createdAt("n2", time.Minute), createdAt("n1", time.Minute), createdAt("n3", 2*time.Minute))
			if err := tt.apply(p); err != nil {
				t.Fatal(err)
			}
			if got := names(p); !slices.Equal(got, tt.wantKeys) {
				t.Errorf("keys = %v, want %v", got, tt.wantKeys)
			}
			if lists, created := store.reads(); lists != 1 || created != tt.wantCreated {
				t.Errorf("store read %d times whole and %d by creation, want 1 and %d", lists, created, tt.wantCreated)
			}
			if got := log.all(); len(got) != 0 {
				t.Errorf("announced %+v: news from another instance must not travel again", got)
			}
		})
	}
}

func TestLoadCreatedFailsOrFallsBack(t *testing.T) {
	t.Parallel()
	store := newFakeStore(activeRows(2)...)
	p := newTestPool(t, store, newFakeClock())
	store.setFail(errStoreDown)
	if err := p.LoadCreated(context.Background(), t0, t0); !errors.Is(err, errStoreDown) {
		t.Errorf("LoadCreated with the store down = %v, want errStoreDown", err)
	}
	if p.Len() != 2 {
		t.Errorf("a failed LoadCreated left %d keys, want 2", p.Len())
	}

	plain := &listOnly{rows: activeRows(1)}
	q := newTestPool(t, plain, newFakeClock())
	plain.rows = activeRows(3)
	if err := q.LoadCreated(context.Background(), t0, t0); err != nil {
		t.Fatal(err)
	}
	if q.Len() != 3 {
		t.Errorf("LoadCreated on a store without ListKeysCreated has %d keys, want 3 (a full Load)", q.Len())
	}
}

// Add and Remove keep the round-robin cursor on its key: the next round
// starts where the last left off and hands out every key once.
func TestRoundRobinAcrossChanges(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		change func(*Pool)
		want   []string // the next round, after k01 and k02 were picked
	}{
		{"nothing", func(*Pool) {}, []string{"k03", "k04", "k05", "k00", "k01", "k02"}},
		{"a key added", func(p *Pool) { p.Add([]models.Key{createdAt("n1", time.Minute)}) },
			[]string{"k03", "k04", "k05", "n1", "k00", "k01", "k02"}},
		{"the next key removed", func(p *Pool) { p.Remove("k03") }, []string{"k04", "k05", "k00", "k01", "k02"}},
		{"the key just picked removed", func(p *Pool) { p.Remove("k02") }, []string{"k03", "k04", "k05", "k00", "k01"}},
		{"a key behind removed", func(p *Pool) { p.RemoveFingerprints(Fingerprint("k00")) },
			[]string{"k03", "k04", "k05", "k01", "k02"}},
		{"the last keys removed", func(p *Pool) { p.Remove("k03", "k04", "k05") }, []string{"k00", "k01", "k02"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestPool(t, newFakeStore(activeRows(6)...), newFakeClock())
			pick := func() string {
				k, err := p.Pick("", nil)
				if err != nil {
					t.Fatal(err)
				}
				return k.APIKey()
			}
			if first := []string{pick(), pick()}; !slices.Equal(first, []string{"k01", "k02"}) {
				t.Fatalf("first picks %v, want [k01 k02]", first)
			}
			tt.change(p)
			var got []string
			for range p.Len() {
				got = append(got, pick())
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("next round %v, want %v", got, tt.want)
			}
		})
	}
}

// A snapshot made by Add or Remove keeps the fingerprint index when it was
// built, so a verdict about a key just added finds it.
func TestChangesKeepFingerprintIndex(t *testing.T) {
	t.Parallel()
	p := newTestPool(t, newFakeStore(activeRows(3)...), newFakeClock())
	if !p.Apply(Verdict{Key: Fingerprint("k00"), Status: models.StatusActive}) {
		t.Fatal("Apply did not find k00")
	}
	p.Add([]models.Key{createdAt("n1", time.Minute)})
	p.Remove("k01")
	m := p.snap.Load().fps.built()
	if m == nil {
		t.Fatal("the fingerprint index is gone after Add and Remove")
	}
	if len(m) != 3 || m[Fingerprint("n1")] == nil || m[Fingerprint("k01")] != nil {
		t.Errorf("index holds %d keys (n1 %v, k01 %v), want 3 with n1, without k01",
			len(m), m[Fingerprint("n1")] != nil, m[Fingerprint("k01")] != nil)
	}
	until := t0.Add(time.Hour)
	if !p.Apply(Verdict{Key: Fingerprint("n1"), Status: failed, FailedUntil: &until}) {
		t.Error("a verdict about the key just added did not find it")
	}
	if p.Apply(Verdict{Key: Fingerprint("k01"), Status: failed, FailedUntil: &until}) {
		t.Error("a verdict about the key just removed found it")
	}
}
