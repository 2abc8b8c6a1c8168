package pool

import (
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

// want is what one key should look like after a step. Times are offsets
// from t0; a zero offset means the column is NULL.
type want struct {
	status        string
	failures      int
	failedUntil   time.Duration
	disabledUntil time.Duration
	pickable      bool
	writes        int // rows written for the key so far, flushing after every step
}

// step is one thing that happens to the key, then what it should look like.
type step struct {
	name string
	do   func(e *stateEnv)
	want want
}

type stateEnv struct {
	t     *testing.T
	p     *Pool
	k     *Key
	clock *fakeClock
}

func mark(ev Event, until time.Duration) func(*stateEnv) {
	return func(e *stateEnv) { e.p.Mark(e.k, ev, t0.Add(until)) }
}

// markNow marks with an until that Mark must ignore.
func markNow(ev Event) func(*stateEnv) {
	return func(e *stateEnv) { e.p.Mark(e.k, ev, time.Time{}) }
}

func advance(d time.Duration) func(*stateEnv) {
	return func(e *stateEnv) { e.clock.Advance(d) }
}

func sweep(e *stateEnv) { e.p.Sweep() }

func disable(d time.Duration) func(*stateEnv) {
	return func(e *stateEnv) {
		if err := e.p.Disable(e.k.APIKey(), d); err != nil {
			e.t.Fatalf("Disable: %v", err)
		}
	}
}

func enable(e *stateEnv) {
	if err := e.p.Enable(e.k.APIKey()); err != nil {
		e.t.Fatalf("Enable: %v", err)
	}
}

func repeat(n int, do func(*stateEnv)) func(*stateEnv) {
	return func(e *stateEnv) {
		for range n {
			do(e)
		}
	}
}

const (
	active   = models.StatusActive
	failed   = models.StatusFailed
	disabled = models.StatusDisabled
	expired  = models.StatusExpired
)

// TestKeyStates walks each row of DESIGN.md's "Key states" table that the
// pool owns (threshold 3, cooldown 1h).
func TestKeyStates(t *testing.T) {
	h := time.Hour
	tests := []struct {
		name  string
		start models.Key // api_key is filled in
		steps []step
	}{
		{
			name:  "success resets consecutive failures",
			start: models.Key{Status: active, ConsecutiveFailures: 2},
			steps: []step{
				{"success", markNow(Success), want{status: active, pickable: true, writes: 1}},
				{"success again writes nothing", markNow(Success), want{status: active, pickable: true, writes: 1}},
			},
		},
		{
			name:  "invalid fails for the cooldown, then Sweep reactivates",
			start: models.Key{Status: active, ConsecutiveFailures: 2},
			steps: []step{
				{"401", markNow(Invalid), want{status: failed, failures: 2, failedUntil: h, writes: 1}},
				{"just before the end", advance(h - time.Nanosecond), want{status: failed, failures: 2, failedUntil: h, writes: 1}},
				{"cooldown over: chosen again", advance(time.Nanosecond), want{status: failed, failures: 2, failedUntil: h, pickable: true, writes: 1}},
				{"sweep", sweep, want{status: active, pickable: true, writes: 2}},
			},
		},
		{
			name:  "invalid, cooldown over, next Mark reactivates",
			start: models.Key{Status: active},
			steps: []step{
				{"402", markNow(Invalid), want{status: failed, failedUntil: h, writes: 1}},
				{"cooldown over", advance(h), want{status: failed, failedUntil: h, pickable: true, writes: 1}},
				{"success", markNow(Success), want{status: active, pickable: true, writes: 2}},
			},
		},
		{
			name:  "invalid again during the cooldown restarts it",
			start: models.Key{Status: active},
			steps: []step{
				{"401", markNow(Invalid), want{status: failed, failedUntil: h, writes: 1}},
				{"later", advance(10 * time.Minute), want{status: failed, failedUntil: h, writes: 1}},
				{"401 again", markNow(Invalid), want{status: failed, failedUntil: h + 10*time.Minute, writes: 2}},
			},
		},
		{
			name:  "rate limited: skipped until until, status kept, nothing written",
			start: models.Key{Status: active},
			steps: []step{
				{"429 for 30s", mark(RateLimited, 30*time.Second), want{status: active}},
				{"shorter 429 does not shorten", mark(RateLimited, 10*time.Second), want{status: active}},
				{"29s later", advance(29 * time.Second), want{status: active}},
				{"30s later", advance(time.Second), want{status: active, pickable: true}},
				{"sweep writes nothing", sweep, want{status: active, pickable: true}},
			},
		},
		{
			name:  "rate limited keeps consecutive failures",
			start: models.Key{Status: active, ConsecutiveFailures: 1},
			steps: []step{
				{"429", mark(RateLimited, time.Minute), want{status: active, failures: 1}},
				{"over", advance(time.Minute), want{status: active, failures: 1, pickable: true}},
			},
		},
		{
			name:  "quota exhausted: failed until the window ends",
			start: models.Key{Status: active},
			steps: []step{
				{"session limit", mark(QuotaExhausted, 5*h), want{status: failed, failedUntil: 5 * h, writes: 1}},
				{"after the cooldown, before the window", advance(h), want{status: failed, failedUntil: 5 * h, writes: 1}},
				{"window over", advance(4 * h), want{status: failed, failedUntil: 5 * h, pickable: true, writes: 1}},
				{"sweep", sweep, want{status: active, pickable: true, writes: 2}},
			},
		},
		{
			name:  "quota with an earlier end keeps the later one",
			start: models.Key{Status: active},
			steps: []step{
				{"weekly limit", mark(QuotaExhausted, 7*24*h), want{status: failed, failedUntil: 7 * 24 * h, writes: 1}},
				{"hourly limit", mark(QuotaExhausted, h), want{status: failed, failedUntil: 7 * 24 * h, writes: 1}},
				{"401", markNow(Invalid), want{status: failed, failedUntil: 7 * 24 * h, writes: 1}},
			},
		},
		{
			name:  "a key's own 5xx: short rests, doubling, failed only at the cooldown",
			start: models.Key{Status: active},
			steps: []step{
				{"5xx", markNow(Transient), want{status: active, failures: 1, writes: 1}},
				{"rest of 5 s almost over", advance(5*time.Second - time.Nanosecond), want{status: active, failures: 1, writes: 1}},
				{"rest over", advance(time.Nanosecond), want{status: active, failures: 1, pickable: true, writes: 1}},
				{"timeout", markNow(Transient), want{status: active, failures: 2, writes: 2}},
				{"rest of 10 s not over at 9 s", advance(9 * time.Second), want{status: active, failures: 2, writes: 2}},
				{"rest of 10 s over", advance(time.Second), want{status: active, failures: 2, pickable: true, writes: 2}},
				{"third: not an hour", markNow(Transient), want{status: active, failures: 3, writes: 3}},
				{"20 s later", advance(20 * time.Second), want{status: active, failures: 3, pickable: true, writes: 3}},
				// 5 s · 2^9 = 2560 s is the last rest under the 1 h cooldown.
				{"seven more", repeat(7, markNow(Transient)), want{status: active, failures: 10, writes: 4}},
				{"eleventh: the rest would reach the cooldown", markNow(Transient),
					want{status: failed, failures: 11, failedUntil: 20*time.Second + 15*time.Second + h, writes: 5}},
			},
		},
		{
			name:  "transient count is reset by a success",
			start: models.Key{Status: active},
			steps: []step{
				{"two failures", repeat(2, markNow(Transient)), want{status: active, failures: 2, writes: 1}},
				{"success", markNow(Success), want{status: active, writes: 2}},
				{"rest over", advance(10 * time.Second), want{status: active, pickable: true, writes: 2}},
				{"one more failure: the first rest again", markNow(Transient), want{status: active, failures: 1, writes: 3}},
				{"5 s later", advance(5 * time.Second), want{status: active, failures: 1, pickable: true, writes: 3}},
			},
		},
		{
			name:  "disable for a duration",
			start: models.Key{Status: active, ConsecutiveFailures: 1},
			steps: []step{
				{"disable 2h", disable(2 * h), want{status: disabled, failures: 1, disabledUntil: 2 * h, writes: 1}},
				{"almost over", advance(2*h - time.Second), want{status: disabled, failures: 1, disabledUntil: 2 * h, writes: 1}},
				{"over", advance(time.Second), want{status: disabled, failures: 1, disabledUntil: 2 * h, pickable: true, writes: 1}},
				{"sweep", sweep, want{status: active, failures: 1, pickable: true, writes: 2}},
			},
		},
		{
			name:  "disable forever",
			start: models.Key{Status: active},
			steps: []step{
				{"disable", disable(0), want{status: disabled, writes: 1}},
				{"a year later", advance(365 * 24 * h), want{status: disabled, writes: 1}},
				{"sweep", sweep, want{status: disabled, writes: 1}},
			},
		},
		{
			name:  "disabled key is not failed by upstream events",
			start: models.Key{Status: active},
			steps: []step{
				{"disable", disable(0), want{status: disabled, writes: 1}},
				{"401", markNow(Invalid), want{status: disabled, writes: 1}},
				{"quota", mark(QuotaExhausted, 5*h), want{status: disabled, writes: 1}},
				{"its own 5xx, past the cooldown's length", repeat(12, markNow(Transient)), want{status: disabled, failures: 12, writes: 2}},
				{"enable", enable, want{status: active, pickable: true, writes: 3}},
			},
		},
		{
			name:  "timed disable ends as active, not failed",
			start: models.Key{Status: active},
			steps: []step{
				{"disable 1h", disable(h), want{status: disabled, disabledUntil: h, writes: 1}},
				{"401 while disabled", markNow(Invalid), want{status: disabled, disabledUntil: h, writes: 1}},
				{"over", advance(h), want{status: disabled, disabledUntil: h, pickable: true, writes: 1}},
				{"sweep", sweep, want{status: active, pickable: true, writes: 2}},
			},
		},
		{
			name:  "disable overrides failed",
			start: models.Key{Status: failed, FailedUntil: at(h)},
			steps: []step{
				{"disable", disable(0), want{status: disabled, failedUntil: h, writes: 1}},
				{"failed_until passes", advance(2 * h), want{status: disabled, failedUntil: h, writes: 1}},
			},
		},
		{
			name: "enable clears everything",
			start: models.Key{Status: failed, FailedUntil: at(h), DisabledUntil: at(2 * h),
				ConsecutiveFailures: 5},
			steps: []step{
				{"429 too", mark(RateLimited, 30*time.Minute), want{status: failed, failures: 5, failedUntil: h, disabledUntil: 2 * h}},
				{"enable", enable, want{status: active, pickable: true, writes: 1}},
			},
		},
		{
			name:  "enable a key disabled forever",
			start: models.Key{Status: disabled},
			steps: []step{
				{"enable", enable, want{status: active, pickable: true, writes: 1}},
			},
		},
		{
			name:  "expires_at passed: never chosen, expired after Sweep",
			start: models.Key{Status: active, ExpiresAt: at(24 * h)},
			steps: []step{
				{"before", advance(24*h - time.Nanosecond), want{status: active, pickable: true}},
				{"at expires_at", advance(time.Nanosecond), want{status: active}},
				{"sweep", sweep, want{status: expired, writes: 1}},
				{"401 does not fail it", markNow(Invalid), want{status: expired, writes: 1}},
				{"much later", advance(1000 * h), want{status: expired, writes: 1}},
			},
		},
		{
			name:  "expiry wins over a timed disable",
			start: models.Key{Status: disabled, DisabledUntil: at(2 * h), ExpiresAt: at(h)},
			steps: []step{
				{"both passed", advance(3 * h), want{status: disabled, disabledUntil: 2 * h}},
				{"sweep", sweep, want{status: expired, disabledUntil: 2 * h, writes: 1}},
			},
		},
		{
			name:  "stored as expired: never chosen",
			start: models.Key{Status: expired, ExpiresAt: at(-h)},
			steps: []step{
				{"sweep", sweep, want{status: expired}},
			},
		},
		{
			name:  "stored as failed without an end: out until enabled",
			start: models.Key{Status: failed},
			steps: []step{
				{"a year later", advance(365 * 24 * h), want{status: failed}},
				{"enable", enable, want{status: active, pickable: true, writes: 1}},
			},
		},
		{
			name:  "empty status from an old row counts as active",
			start: models.Key{},
			steps: []step{
				{"sweep", sweep, want{status: active, pickable: true, writes: 1}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			row := tt.start
			row.APIKey = "sk-test"
			store := newFakeStore(row)
			clock := newFakeClock()
			p := newTestPool(t, store, clock)
			e := &stateEnv{t: t, p: p, k: mustGet(t, p, "sk-test"), clock: clock}
			for _, s := range tt.steps {
				s.do(e)
				flush(t, p)
				checkKey(t, s.name, e, s.want, store)
			}
		})
	}
}

func checkKey(t *testing.T, stepName string, e *stateEnv, w want, store *fakeStore) {
	t.Helper()
	st := e.k.State()
	if st.Status != w.status {
		t.Errorf("%s: status = %q, want %q", stepName, st.Status, w.status)
	}
	if st.ConsecutiveFailures != w.failures {
		t.Errorf("%s: consecutive_failures = %d, want %d", stepName, st.ConsecutiveFailures, w.failures)
	}
	checkUntil(t, stepName+": failed_until", st.FailedUntil, w.failedUntil)
	checkUntil(t, stepName+": disabled_until", st.DisabledUntil, w.disabledUntil)
	_, err := e.p.Pick("", nil)
	if got := err == nil; got != w.pickable {
		t.Errorf("%s: pickable = %v, want %v", stepName, got, w.pickable)
	}
	if got := store.writesFor("sk-test"); got != w.writes {
		t.Errorf("%s: rows written = %d, want %d", stepName, got, w.writes)
	}
	// What was written is what is in memory (after the flush of this step).
	if w.writes > 0 {
		row, _ := store.row("sk-test")
		if row.Status != st.Status || row.ConsecutiveFailures != st.ConsecutiveFailures ||
			!sameTime(row.FailedUntil, st.FailedUntil) || !sameTime(row.DisabledUntil, st.DisabledUntil) {
			t.Errorf("%s: stored row %+v differs from memory %+v", stepName, row, st)
		}
	}
}

func checkUntil(t *testing.T, what string, got *time.Time, want time.Duration) {
	t.Helper()
	switch {
	case want == 0 && got != nil:
		t.Errorf("%s = %v, want NULL", what, *got)
	case want != 0 && got == nil:
		t.Errorf("%s = NULL, want t0+%v", what, want)
	case want != 0 && !got.Equal(t0.Add(want)):
		t.Errorf("%s = t0+%v, want t0+%v", what, got.Sub(t0), want)
	}
}

func TestAdminUnknownKey(t *testing.T) {
	p := newTestPool(t, newFakeStore(activeRows(1)...), newFakeClock())
	if err := p.Enable("nope"); err != ErrUnknownKey {
		t.Errorf("Enable(unknown) = %v, want ErrUnknownKey", err)
	}
	if err := p.Disable("nope", time.Hour); err != ErrUnknownKey {
		t.Errorf("Disable(unknown) = %v, want ErrUnknownKey", err)
	}
}

func TestEnableExpiredKeyStopsExpiry(t *testing.T) {
	store := newFakeStore(models.Key{APIKey: "sk-test", Status: active, ExpiresAt: at(time.Hour)})
	clock := newFakeClock()
	p := newTestPool(t, store, clock)
	clock.Advance(2 * time.Hour)
	p.Sweep()
	if err := p.Enable("sk-test"); err != nil {
		t.Fatal(err)
	}
	k := mustGet(t, p, "sk-test")
	if st := k.State(); st.Status != active || st.ExpiresAt != nil {
		t.Errorf("after Enable: status %q expires_at %v, want active and NULL", st.Status, st.ExpiresAt)
	}
	if _, err := p.Pick("", nil); err != nil {
		t.Errorf("Pick after Enable: %v", err)
	}
}

func TestCoolingDownUntil(t *testing.T) {
	p := newTestPool(t, newFakeStore(activeRows(1)...), newFakeClock())
	k := mustGet(t, p, "k00")
	if got := k.CoolingDownUntil(); !got.IsZero() {
		t.Errorf("CoolingDownUntil before any 429 = %v, want zero", got)
	}
	p.Mark(k, RateLimited, t0.Add(time.Minute))
	if got := k.CoolingDownUntil(); !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("CoolingDownUntil = %v, want t0+1m", got)
	}
}

func TestEventString(t *testing.T) {
	for ev, want := range map[Event]string{Success: "success", Invalid: "invalid", RateLimited: "rate_limited",
		QuotaExhausted: "quota_exhausted", Transient: "transient", Event(99): "unknown"} {
		if got := ev.String(); got != want {
			t.Errorf("Event(%d).String() = %q, want %q", int(ev), got, want)
		}
	}
}
