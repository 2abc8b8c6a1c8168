package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

// t0 is the fake clock's start; tests state times as offsets from it.
var t0 = time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)

const (
	testCooldown = time.Hour
)

// fakeClock is a settable clock for Config.Now.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

var errStoreDown = errors.New("fake store: down")

// fakeStore is an in-memory Store that behaves like app/store: ListKeys
// returns rows in insertion order, SaveKeyStates writes only the state
// columns and skips keys that are gone. It records every SaveKeyStates
// batch and can be told to fail.
type fakeStore struct {
	mu    sync.Mutex
	order []string
	rows  map[string]models.Key
	saves [][]models.Key
	fail  error // returned by every method while set
	// lists and createdLists count the ListKeys and ListKeysCreated calls.
	lists, createdLists int

	// afterList, when set, runs inside ListKeys after the rows were read.
	afterList func()
	// beforeSave, when set, runs inside SaveKeyStates before anything is written.
	beforeSave func()
}

func newFakeStore(rows ...models.Key) *fakeStore {
	s := &fakeStore{rows: map[string]models.Key{}}
	s.put(rows...)
	return s
}

// put inserts or replaces whole rows, as an import or another instance would.
func (s *fakeStore) put(rows ...models.Key) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, r := range rows {
		if _, ok := s.rows[r.APIKey]; !ok {
			s.order = append(s.order, r.APIKey)
		}
		s.rows[r.APIKey] = cloneKey(r)
	}
}

func (s *fakeStore) delete(apiKeys ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range apiKeys {
		delete(s.rows, a)
		s.order = slices.DeleteFunc(s.order, func(o string) bool { return o == a })
	}
}

func (s *fakeStore) setFail(err error) {
	s.mu.Lock()
	s.fail = err
	s.mu.Unlock()
}

func (s *fakeStore) row(apiKey string) (models.Key, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.rows[apiKey]
	return cloneKey(r), ok
}

// saved returns every SaveKeyStates batch so far.
func (s *fakeStore) saved() [][]models.Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.saves)
}

// writesFor counts the rows written for one key over all batches.
func (s *fakeStore) writesFor(apiKey string) int {
	n := 0
	for _, batch := range s.saved() {
		for _, r := range batch {
			if r.APIKey == apiKey {
				n++
			}
		}
	}
	return n
}

func (s *fakeStore) ListKeys(ctx context.Context) ([]models.Key, error) {
	s.mu.Lock()
	if s.fail != nil {
		s.mu.Unlock()
		return nil, s.fail
	}
	s.lists++
	out := make([]models.Key, 0, len(s.order))
	for _, a := range s.order {
		out = append(out, cloneKey(s.rows[a]))
	}
	hook := s.afterList
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

// ListKeysCreated is ListKeys for the rows created between from and to,
// both included, as app/store's; afterList runs after it too.
func (s *fakeStore) ListKeysCreated(ctx context.Context, from, to time.Time) ([]models.Key, error) {
	s.mu.Lock()
	if s.fail != nil {
		s.mu.Unlock()
		return nil, s.fail
	}
	s.createdLists++
	var out []models.Key
	for _, a := range s.order {
		if r := s.rows[a]; !r.CreatedAt.Before(from) && !r.CreatedAt.After(to) {
			out = append(out, cloneKey(r))
		}
	}
	hook := s.afterList
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	return out, nil
}

// setAfterList sets the afterList hook.
func (s *fakeStore) setAfterList(hook func()) {
	s.mu.Lock()
	s.afterList = hook
	s.mu.Unlock()
}

// reads returns the ListKeys and ListKeysCreated calls so far.
func (s *fakeStore) reads() (lists, createdLists int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists, s.createdLists
}

func (s *fakeStore) SaveKeyStates(ctx context.Context, keys []models.Key) error {
	s.mu.Lock()
	hook := s.beforeSave
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail != nil {
		return s.fail
	}
	batch := make([]models.Key, len(keys))
	for i, k := range keys {
		batch[i] = cloneKey(k)
		r, ok := s.rows[k.APIKey]
		if !ok {
			continue
		}
		r.Status, r.FailedUntil, r.DisabledUntil = k.Status, clonePtr(k.FailedUntil), clonePtr(k.DisabledUntil)
		r.ConsecutiveFailures = k.ConsecutiveFailures
		s.rows[k.APIKey] = r
	}
	s.saves = append(s.saves, batch)
	return nil
}

func cloneKey(k models.Key) models.Key {
	k.ExpiresAt, k.FailedUntil, k.DisabledUntil = clonePtr(k.ExpiresAt), clonePtr(k.FailedUntil), clonePtr(k.DisabledUntil)
	return k
}

func clonePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	c := *t
	return &c
}

// at returns a pointer to t0+d, for *_until and expires_at fields.
func at(d time.Duration) *time.Time {
	t := t0.Add(d)
	return &t
}

// activeRows returns n active keys named k00, k01, ….
func activeRows(n int) []models.Key {
	rows := make([]models.Key, n)
	for i := range rows {
		rows[i] = models.Key{APIKey: fmt.Sprintf("k%02d", i), Status: models.StatusActive, CreatedAt: t0}
	}
	return rows
}

func discardLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTestPool builds a pool on store and clock with the test thresholds
// and loads it.
func newTestPool(t testing.TB, store Store, clock *fakeClock) *Pool {
	t.Helper()
	p := New(Config{Cooldown: testCooldown, Now: clock.Now}, store, discardLogger())
	if err := p.Load(context.Background()); err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

// mustGet returns the pool's entry for apiKey or fails the test.
func mustGet(t testing.TB, p *Pool, apiKey string) *Key {
	t.Helper()
	k, ok := p.Get(apiKey)
	if !ok {
		t.Fatalf("key %s not in pool", apiKey)
	}
	return k
}

// available lists, sorted, the keys Pick hands out now: it picks with a
// growing tried list until ErrNoKey.
func available(t testing.TB, p *Pool) []string {
	t.Helper()
	return availableFor(t, p, "")
}

// availableFor is available for a request for model.
func availableFor(t testing.TB, p *Pool, model string) []string {
	t.Helper()
	var tried []*Key
	var names []string
	for range p.Len() + 1 {
		k, err := p.Pick(model, tried)
		if errors.Is(err, ErrNoKey) {
			slices.Sort(names)
			return names
		}
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		if slices.Contains(tried, k) {
			t.Fatalf("Pick returned %s, already in tried", k.APIKey())
		}
		tried = append(tried, k)
		names = append(names, k.APIKey())
	}
	t.Fatalf("Pick handed out more keys than the pool holds (%d)", p.Len())
	return nil
}

func flush(t testing.TB, p *Pool) {
	t.Helper()
	if err := p.Flush(context.Background()); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

// keyRow is one active key.
func keyRow(apiKey string) models.Key {
	return models.Key{APIKey: apiKey, Status: models.StatusActive, CreatedAt: t0}
}
