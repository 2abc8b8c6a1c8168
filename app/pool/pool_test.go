package pool

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

func TestPickNeverReturnsTried(t *testing.T) {
	p := newTestPool(t, newFakeStore(activeRows(8)...), newFakeClock())
	rng := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		var tried []*Key
		for _, k := range p.snap.Load().list {
			if rng.IntN(2) == 0 {
				tried = append(tried, k)
			}
		}
		k, err := p.Pick("", tried)
		if len(tried) == p.Len() {
			if !errors.Is(err, ErrNoKey) {
				t.Fatalf("Pick with every key tried = %v, %v; want ErrNoKey", k, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Pick: %v", err)
		}
		if slices.Contains(tried, k) {
			t.Fatalf("Pick returned %s, which is in tried", k.APIKey())
		}
	}
}

func TestPickRetriesWalkEveryKeyOnce(t *testing.T) {
	p := newTestPool(t, newFakeStore(activeRows(5)...), newFakeClock())
	want := []string{"k00", "k01", "k02", "k03", "k04"}
	for range 3 { // from several starting points
		if got := available(t, p); !slices.Equal(got, want) {
			t.Fatalf("keys handed out for one request = %v, want %v", got, want)
		}
	}
}

// TestPickRoundRobin checks the exact spread of picks over the available
// keys, wherever the unavailable ones sit.
func TestPickRoundRobin(t *testing.T) {
	tests := []struct {
		name string
		n    int
		out  []int // indexes made unavailable
	}{
		{"one key", 1, nil},
		{"seven keys", 7, nil},
		{"every other key failed", 10, []int{0, 2, 4, 6, 8}},
		{"a block failed", 10, []int{0, 1, 2, 3, 4}},
		{"a block in the middle", 12, []int{3, 4, 5, 6, 7, 8, 9}},
		{"all but one", 6, []int{0, 1, 2, 4, 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows := activeRows(tt.n)
			for _, i := range tt.out {
				rows[i].Status, rows[i].FailedUntil = models.StatusFailed, at(time.Hour)
			}
			p := newTestPool(t, newFakeStore(rows...), newFakeClock())
			avail := tt.n - len(tt.out)
			const rounds = 100
			got := map[string]int{}
			for range avail * rounds {
				k, err := p.Pick("", nil)
				if err != nil {
					t.Fatalf("Pick: %v", err)
				}
				got[k.APIKey()]++
			}
			for i, r := range rows {
				want := rounds
				if slices.Contains(tt.out, i) {
					want = 0
				}
				if got[r.APIKey] != want {
					t.Errorf("%s picked %d times, want %d (all: %v)", r.APIKey, got[r.APIKey], want, got)
				}
			}
		})
	}
}

func TestPickSkipsAndReturnsErrNoKey(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name string
		rows []models.Key
		want []string // available keys
	}{
		{"empty pool", nil, nil},
		{"all failed", []models.Key{
			{APIKey: "a", Status: failed, FailedUntil: at(h)},
			{APIKey: "b", Status: failed},
		}, nil},
		{"all disabled", []models.Key{
			{APIKey: "a", Status: disabled, DisabledUntil: at(h)},
			{APIKey: "b", Status: disabled},
		}, nil},
		{"all expired", []models.Key{
			{APIKey: "a", Status: expired},
			{APIKey: "b", Status: active, ExpiresAt: at(0)},
			{APIKey: "c", Status: active, ExpiresAt: at(-h)},
		}, nil},
		{"mixed", []models.Key{
			{APIKey: "a", Status: failed, FailedUntil: at(h)},
			{APIKey: "b", Status: active},
			{APIKey: "c", Status: disabled},
			{APIKey: "d", Status: active, ExpiresAt: at(h)},
			{APIKey: "e", Status: failed, FailedUntil: at(-time.Second)}, // time is up, not yet swept
			{APIKey: "f", Status: expired},
		}, []string{"b", "d", "e"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := newTestPool(t, newFakeStore(tt.rows...), newFakeClock())
			if got := available(t, p); !slices.Equal(got, tt.want) {
				t.Errorf("available = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestPickAllRateLimited(t *testing.T) {
	clock := newFakeClock()
	p := newTestPool(t, newFakeStore(activeRows(3)...), clock)
	for _, k := range p.snap.Load().list {
		p.Mark(k, RateLimited, t0.Add(time.Minute))
	}
	if k, err := p.Pick("", nil); !errors.Is(err, ErrNoKey) {
		t.Fatalf("Pick with every key rate limited = %v, %v; want ErrNoKey", k, err)
	}
	clock.Advance(time.Minute)
	if got := available(t, p); len(got) != 3 {
		t.Errorf("available after the cooldown = %v, want all 3", got)
	}
}

func TestPickOnlyFailoverKeysLeft(t *testing.T) {
	// One request: the first key answers 401, the second 429, the third
	// works. The next request must not get the first two.
	p := newTestPool(t, newFakeStore(activeRows(4)...), newFakeClock())
	var tried []*Key
	for _, ev := range []Event{Invalid, RateLimited} {
		k, err := p.Pick("", tried)
		if err != nil {
			t.Fatal(err)
		}
		p.Mark(k, ev, t0.Add(time.Minute))
		tried = append(tried, k)
	}
	for range 10 {
		k, err := p.Pick("", nil)
		if err != nil {
			t.Fatal(err)
		}
		if slices.Contains(tried, k) {
			t.Fatalf("Pick returned %s, which failed a moment ago", k.APIKey())
		}
	}
}

func TestGetAndLen(t *testing.T) {
	p := New(Config{}, newFakeStore(), discardLogger())
	if p.Len() != 0 {
		t.Errorf("Len of a new pool = %d", p.Len())
	}
	if _, err := p.Pick("", nil); !errors.Is(err, ErrNoKey) {
		t.Errorf("Pick on a new pool = %v, want ErrNoKey", err)
	}
	p = newTestPool(t, newFakeStore(activeRows(3)...), newFakeClock())
	if p.Len() != 3 {
		t.Errorf("Len = %d, want 3", p.Len())
	}
	for i := range 3 {
		name := fmt.Sprintf("k%02d", i)
		if k := mustGet(t, p, name); k.APIKey() != name {
			t.Errorf("Get(%s).APIKey() = %s", name, k.APIKey())
		}
	}
	if _, ok := p.Get("missing"); ok {
		t.Error("Get(missing) found a key")
	}
}

func TestNewDefaults(t *testing.T) {
	p := New(Config{}, newFakeStore(), discardLogger())
	if p.cfg.AloneCooldown != 5*time.Second || p.cfg.Cooldown != time.Hour || p.cfg.SaveInterval != 500*time.Millisecond || p.now == nil {
		t.Errorf("defaults = %+v", p.cfg)
	}
}
