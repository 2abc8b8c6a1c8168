package pool

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

func TestFlushWritesChangedKeys(t *testing.T) {
	store := newFakeStore(activeRows(4)...)
	p := newTestPool(t, store, newFakeClock())

	flush(t, p)
	if n := len(store.saved()); n != 0 {
		t.Fatalf("Flush with nothing pending made %d SaveKeyStates calls", n)
	}

	p.Mark(mustGet(t, p, "k00"), Invalid, time.Time{})
	p.Mark(mustGet(t, p, "k01"), Transient, time.Time{})
	p.Mark(mustGet(t, p, "k01"), Transient, time.Time{}) // one row per key, however many changes
	p.Mark(mustGet(t, p, "k02"), RateLimited, t0.Add(time.Minute))
	if err := p.Disable("k03", 2*time.Hour); err != nil {
		t.Fatal(err)
	}
	if n := len(store.saved()); n != 0 {
		t.Fatalf("state written before Flush (%d calls): writes must be batched", n)
	}
	flush(t, p)

	saves := store.saved()
	if len(saves) != 1 {
		t.Fatalf("SaveKeyStates calls = %d, want 1", len(saves))
	}
	got := slices.SortedFunc(slices.Values(saves[0]), func(a, b models.Key) int { return cmp.Compare(a.APIKey, b.APIKey) })
	want := []models.Key{
		{APIKey: "k00", Status: failed, FailedUntil: at(testCooldown), CreatedAt: t0},
		{APIKey: "k01", Status: active, ConsecutiveFailures: 2, CreatedAt: t0},
		{APIKey: "k03", Status: disabled, DisabledUntil: at(2 * time.Hour), CreatedAt: t0},
	}
	if len(got) != len(want) {
		t.Fatalf("rows written = %+v, want %+v", got, want)
	}
	for i := range want {
		if !sameState(got[i], want[i]) {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	flush(t, p)
	if n := len(store.saved()); n != 1 {
		t.Errorf("second Flush wrote again (%d calls); pending should be empty", n)
	}
}

func sameState(a, b models.Key) bool {
	return a.APIKey == b.APIKey && a.Status == b.Status && a.ConsecutiveFailures == b.ConsecutiveFailures &&
		sameTime(a.FailedUntil, b.FailedUntil) && sameTime(a.DisabledUntil, b.DisabledUntil)
}

func TestFlushFailureKeepsPendingAndRetries(t *testing.T) {
	store := newFakeStore(activeRows(3)...)
	p := newTestPool(t, store, newFakeClock())
	p.Mark(mustGet(t, p, "k00"), Invalid, time.Time{})

	store.setFail(errStoreDown)
	for range 3 {
		if err := p.Flush(context.Background()); !errors.Is(err, errStoreDown) {
			t.Fatalf("Flush with the store down = %v, want errStoreDown", err)
		}
	}
	if row, _ := store.row("k00"); row.Status != active {
		t.Fatalf("store row changed although the save failed: %+v", row)
	}
	// More changes while the store is down; a reload attempt fails too.
	p.Mark(mustGet(t, p, "k01"), QuotaExhausted, t0.Add(5*time.Hour))
	if err := p.Load(context.Background()); !errors.Is(err, errStoreDown) {
		t.Fatalf("Load with the store down = %v, want errStoreDown", err)
	}
	if p.Len() != 3 {
		t.Fatalf("failed Load changed the pool: Len = %d", p.Len())
	}

	store.setFail(nil)
	// A reload before the retry must not undo the unsaved changes.
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := mustGet(t, p, "k00").State().Status; got != failed {
		t.Fatalf("Load replaced an unsaved change: k00 status %q, want failed", got)
	}
	flush(t, p)
	for name, wantUntil := range map[string]time.Duration{"k00": testCooldown, "k01": 5 * time.Hour} {
		row, _ := store.row(name)
		if row.Status != failed || !sameTime(row.FailedUntil, at(wantUntil)) {
			t.Errorf("%s stored as %+v, want failed until t0+%v", name, row, wantUntil)
		}
	}
	calls := len(store.saved())
	flush(t, p)
	if len(store.saved()) != calls {
		t.Error("Flush after a successful retry wrote again")
	}
}

// TestSurviveRestart writes every kind of state, then starts a new pool on
// the same store: availability must be the same, now and later, except for
// plain 429 cooldowns, which live in memory only.
func TestSurviveRestart(t *testing.T) {
	h := time.Hour
	store := newFakeStore(append(activeRows(10),
		models.Key{APIKey: "stored-expired", Status: active, ExpiresAt: at(30 * time.Minute)})...)
	clock := newFakeClock()
	a := newTestPool(t, store, clock)
	mark := func(name string, ev Event, until time.Duration) { a.Mark(mustGet(t, a, name), ev, t0.Add(until)) }
	mark("k00", Invalid, 0)             // failed 1h
	mark("k01", QuotaExhausted, 5*h)    // failed 5h
	mark("k02", QuotaExhausted, 7*24*h) // failed 7d
	for range 11 {
		mark("k03", Transient, 0) // its own 5xx, 11 in a row: the rest reaches the cooldown, failed 1h
	}
	mark("k04", Transient, 0) // 2 failures: still in
	mark("k04", Transient, 0)
	if err := a.Disable("k05", 2*h); err != nil {
		t.Fatal(err)
	}
	if err := a.Disable("k06", 0); err != nil {
		t.Fatal(err)
	}
	mark("k07", Invalid, 0)
	if err := a.Enable("k07"); err != nil { // enabled again: in
		t.Fatal(err)
	}
	mark("k08", RateLimited, h)     // memory only
	clock.Advance(45 * time.Minute) // "stored-expired" passes expires_at
	a.Sweep()
	flush(t, a)

	b := newTestPool(t, store, clock)
	if b.Len() != a.Len() {
		t.Fatalf("new pool Len = %d, want %d", b.Len(), a.Len())
	}
	if got := mustGet(t, b, "k04").State().ConsecutiveFailures; got != 2 {
		t.Errorf("k04 consecutive_failures after restart = %d, want 2", got)
	}
	if got := mustGet(t, b, "stored-expired").State().Status; got != expired {
		t.Errorf("stored-expired status after restart = %q, want expired", got)
	}
	for _, later := range []time.Duration{0, 30 * time.Minute, 2 * h, 5 * h, 7 * 24 * h} {
		if later > 0 {
			clock.Advance(later - clock.Now().Sub(t0.Add(45*time.Minute)))
		}
		want := available(t, a)
		if later == 0 {
			want = append(want, "k08") // the 429 cooldown was not persisted
			slices.Sort(want)
		}
		if got := available(t, b); !slices.Equal(got, want) {
			t.Errorf("t0+45m+%v: available after restart = %v, before = %v", later, got, want)
		}
	}
}

func TestLoadKeepsEntriesAndDropsRemoved(t *testing.T) {
	store := newFakeStore(activeRows(3)...)
	p := newTestPool(t, store, newFakeClock())
	k0, k1, k2 := mustGet(t, p, "k00"), mustGet(t, p, "k01"), mustGet(t, p, "k02")
	p.Mark(k0, RateLimited, t0.Add(time.Minute)) // in-memory state that must survive a reload

	store.delete("k01")
	store.put(models.Key{APIKey: "k03", Status: active})
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p.Len() != 3 {
		t.Errorf("Len = %d, want 3", p.Len())
	}
	if got := mustGet(t, p, "k00"); got != k0 {
		t.Error("k00 got a new *Key on reload; requests in flight hold the old one")
	}
	if got := mustGet(t, p, "k02"); got != k2 {
		t.Error("k02 got a new *Key on reload")
	}
	if _, ok := p.Get("k01"); ok {
		t.Error("removed k01 still in the pool")
	}
	mustGet(t, p, "k03")
	if got := available(t, p); !slices.Equal(got, []string{"k02", "k03"}) {
		t.Errorf("available = %v, want [k02 k03] (k00 rate limited, k01 removed)", got)
	}
	// A request that still holds the removed key may report on it.
	p.Mark(k1, Invalid, time.Time{})
	flush(t, p)
	if _, ok := store.row("k01"); ok {
		t.Error("a removed key came back to the store")
	}
	if got := available(t, p); slices.Contains(got, "k01") {
		t.Error("removed key handed out")
	}
}

func TestLoadDuplicateRows(t *testing.T) {
	rows := append(activeRows(2), models.Key{APIKey: "k00", Status: disabled})
	p := newTestPool(t, &listOnly{rows: rows}, newFakeClock())
	if p.Len() != 2 {
		t.Errorf("Len = %d, want 2 (duplicates skipped)", p.Len())
	}
}

type listOnly struct{ rows []models.Key }

func (s *listOnly) ListKeys(context.Context) ([]models.Key, error)    { return s.rows, nil }
func (s *listOnly) SaveKeyStates(context.Context, []models.Key) error { return nil }

func TestLoadTakesOtherInstancesChanges(t *testing.T) {
	store := newFakeStore(activeRows(2)...)
	clock := newFakeClock()
	p := newTestPool(t, store, clock)
	// Another instance disabled k00 and failed k01.
	store.put(models.Key{APIKey: "k00", Status: disabled},
		models.Key{APIKey: "k01", Status: failed, FailedUntil: at(time.Hour)})
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := available(t, p); len(got) != 0 {
		t.Errorf("available = %v, want none", got)
	}
	clock.Advance(time.Hour)
	if got := available(t, p); !slices.Equal(got, []string{"k01"}) {
		t.Errorf("available after an hour = %v, want [k01]", got)
	}
}

func TestRemove(t *testing.T) {
	store := newFakeStore(activeRows(4)...)
	p := newTestPool(t, store, newFakeClock())
	k1 := mustGet(t, p, "k01")
	p.Mark(k1, Invalid, time.Time{}) // pending, then removed: nothing to write
	p.Remove("k01", "k03", "unknown")
	if got := available(t, p); !slices.Equal(got, []string{"k00", "k02"}) {
		t.Errorf("available = %v, want [k00 k02]", got)
	}
	flush(t, p)
	if n := len(store.saved()); n != 0 {
		t.Errorf("Flush wrote %d batches for removed keys", n)
	}
}

// TestLoadDuringFlush: a reload while a save is on its way must not bring
// back the state the save replaces.
func TestLoadDuringFlush(t *testing.T) {
	store := newFakeStore(activeRows(1)...)
	p := newTestPool(t, store, newFakeClock())
	k := mustGet(t, p, "k00")
	if err := p.Disable("k00", 0); err != nil {
		t.Fatal(err)
	}

	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	store.beforeSave = func() { once.Do(func() { close(entered); <-release }) }
	flushed := make(chan error)
	go func() { flushed <- p.Flush(context.Background()) }()
	<-entered
	loaded := make(chan error)
	go func() { loaded <- p.Load(context.Background()) }()
	time.Sleep(20 * time.Millisecond) // let Load read the store, if it may
	close(release)
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if err := <-loaded; err != nil {
		t.Fatal(err)
	}
	if got := k.State().Status; got != disabled {
		t.Errorf("after Load during Flush: status %q, want disabled", got)
	}
	if _, err := p.Pick("", nil); !errors.Is(err, ErrNoKey) {
		t.Error("disabled key handed out after a reload")
	}
}

// TestChangeDuringLoad: a change made after Load read the store survives
// the reload and is written later.
func TestChangeDuringLoad(t *testing.T) {
	store := newFakeStore(activeRows(1)...)
	p := newTestPool(t, store, newFakeClock())
	k := mustGet(t, p, "k00")
	store.afterList = func() { p.Mark(k, Invalid, time.Time{}) }
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	store.afterList = nil
	if got := k.State().Status; got != failed {
		t.Fatalf("status after reload = %q, want failed", got)
	}
	flush(t, p)
	if row, _ := store.row("k00"); row.Status != failed {
		t.Errorf("stored status = %q, want failed", row.Status)
	}
}

func TestRunWritesAndSweeps(t *testing.T) {
	store := newFakeStore(activeRows(2)...)
	p := New(Config{SaveInterval: time.Millisecond}, store, discardLogger())
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()

	p.Mark(mustGet(t, p, "k00"), Invalid, time.Time{})
	deadline := time.Now().Add(5 * time.Second)
	for {
		if row, _ := store.row("k00"); row.Status == failed {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("Run did not write the change within 5s")
		}
		time.Sleep(time.Millisecond)
	}

	// A failing store is retried; what is pending at shutdown is written.
	store.setFail(errStoreDown)
	if err := p.Disable("k01", 0); err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	store.setFail(nil)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if row, _ := store.row("k01"); row.Status != disabled {
		t.Errorf("k01 stored as %q after shutdown, want disabled", row.Status)
	}
}

func TestRunReturnsLastWriteError(t *testing.T) {
	store := newFakeStore(activeRows(1)...)
	p := New(Config{SaveInterval: time.Hour}, store, discardLogger())
	if err := p.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	p.Mark(mustGet(t, p, "k00"), Invalid, time.Time{})
	store.setFail(errStoreDown)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx); !errors.Is(err, errStoreDown) {
		t.Errorf("Run with the store down at shutdown = %v, want errStoreDown", err)
	}
}
