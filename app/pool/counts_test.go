package pool

import (
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

func TestCounts(t *testing.T) {
	h := time.Hour
	store := newFakeStore(
		models.Key{APIKey: "a1", Status: active},
		models.Key{APIKey: "a2", Status: active}, // 429 below
		models.Key{APIKey: "a3", Status: active, ExpiresAt: at(2 * h)},
		models.Key{APIKey: "f1", Status: failed, FailedUntil: at(h)},
		models.Key{APIKey: "f2", Status: failed, FailedUntil: at(-time.Second)},
		models.Key{APIKey: "d1", Status: disabled},
		models.Key{APIKey: "d2", Status: disabled, DisabledUntil: at(-time.Minute)},
		models.Key{APIKey: "e1", Status: expired},
		models.Key{APIKey: "e2", Status: active, ExpiresAt: at(-time.Second)},
		models.Key{APIKey: "n1"}, // empty status: active
	)
	clock := newFakeClock()
	p := newTestPool(t, store, clock)
	p.Mark(mustGet(t, p, "a2"), RateLimited, t0.Add(time.Minute))

	tests := []struct {
		after time.Duration // clock advance before counting
		want  Counts
	}{
		{0, Counts{Total: 10, Active: 6, Failed: 1, Disabled: 1, Expired: 2, CoolingDown: 1, Available: 5}},
		{h, Counts{Total: 10, Active: 7, Failed: 0, Disabled: 1, Expired: 2, CoolingDown: 0, Available: 7}},
		{h, Counts{Total: 10, Active: 6, Failed: 0, Disabled: 1, Expired: 3, CoolingDown: 0, Available: 6}},
	}
	for _, tt := range tests {
		clock.Advance(tt.after)
		if got := p.Counts(); got != tt.want {
			t.Errorf("t0+%v: Counts = %+v\nwant %+v", clock.Now().Sub(t0), got, tt.want)
		}
		if got := len(available(t, p)); got != tt.want.Available {
			t.Errorf("t0+%v: Pick hands out %d keys, Counts says %d", clock.Now().Sub(t0), got, tt.want.Available)
		}
	}
	flush(t, p)
	if n := len(store.saved()); n != 0 {
		t.Errorf("Counts wrote state (%d batches); it must only read", n)
	}
	if got := mustGet(t, p, "f1").State().Status; got != failed {
		t.Errorf("Counts changed f1's status to %q", got)
	}
}

func TestCountsEmpty(t *testing.T) {
	p := New(Config{}, newFakeStore(), discardLogger())
	if got := p.Counts(); got != (Counts{}) {
		t.Errorf("Counts of an empty pool = %+v", got)
	}
}
