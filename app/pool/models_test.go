package pool

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/models"
)

// A key blocked for one model is skipped for that model only, until its
// usage period ends (from the balance probe) or, unknown, the cooldown.
func TestBlockModel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		balance   *Balance
		wantUntil time.Duration
	}{
		{"no balance known: the cooldown", nil, testCooldown},
		{"the period's end from the probe", &Balance{PeriodEnd: t0.Add(3 * 24 * time.Hour)}, 3 * 24 * time.Hour},
		{"a period already over: the cooldown", &Balance{PeriodEnd: t0.Add(-time.Hour)}, testCooldown},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			clock := newFakeClock()
			p := newTestPool(t, newFakeStore(activeRows(2)...), clock)
			k := mustGet(t, p, "k00")
			if tt.balance != nil {
				k.SetBalance(*tt.balance)
			}
			if until := p.BlockModel(k, "premium"); !until.Equal(t0.Add(tt.wantUntil)) {
				t.Errorf("blocked until %v, want %v", until, t0.Add(tt.wantUntil))
			}
			if got := availableFor(t, p, "premium"); !slices.Equal(got, []string{"k01"}) {
				t.Errorf("for the blocked model Pick hands out %v, want [k01]", got)
			}
			if got := availableFor(t, p, "other"); !slices.Equal(got, []string{"k00", "k01"}) {
				t.Errorf("for another model Pick hands out %v, want both", got)
			}
			if st := k.State(); st.Status != models.StatusActive {
				t.Errorf("status %q, want active: the key is fine for other models", st.Status)
			}
			if got := k.BlockedModels(clock.Now()); len(got) != 1 || !got["premium"].Equal(t0.Add(tt.wantUntil)) {
				t.Errorf("BlockedModels %v", got)
			}
			clock.Advance(tt.wantUntil)
			if got := availableFor(t, p, "premium"); !slices.Equal(got, []string{"k00", "k01"}) {
				t.Errorf("after the block Pick hands out %v, want both", got)
			}
		})
	}
}

func TestEnableLiftsModelBlocks(t *testing.T) {
	t.Parallel()
	p := newTestPool(t, newFakeStore(activeRows(1)...), newFakeClock())
	k := mustGet(t, p, "k00")
	p.BlockModel(k, "premium")
	if err := p.Enable("k00"); err != nil {
		t.Fatal(err)
	}
	if got := availableFor(t, p, "premium"); !slices.Equal(got, []string{"k00"}) {
		t.Errorf("after enable: %v", got)
	}
}

func TestShortage(t *testing.T) {
	t.Parallel()
	h := time.Hour
	tests := []struct {
		name      string
		rows      []models.Key
		act       func(p *Pool)
		model     string
		want      string
		wantRetry int
	}{
		{"no keys at all", nil, nil, "", "no Ollama keys are configured", 0},
		{"all rate limited", activeRows(2), func(p *Pool) {
			p.Mark(mustGet(t, p, "k00"), RateLimited, t0.Add(30*time.Second))
			p.Mark(mustGet(t, p, "k01"), RateLimited, t0.Add(90*time.Second))
		}, "m", "no Ollama key can serve this request now (model m): all 2 are cooling down (rate limited); the first is back at " + clockAt(30*time.Second), 30},
		{"a mix", activeRows(4), func(p *Pool) {
			p.Mark(mustGet(t, p, "k00"), Invalid, time.Time{})
			p.Mark(mustGet(t, p, "k01"), Transient, time.Time{})
			_ = p.Disable("k02", 0)
			p.BlockModel(mustGet(t, p, "k03"), "m")
		}, "m", "of 4 keys, 1 resting after upstream errors of their own, 1 failed (invalid or out of quota), 1 disabled by an admin, 1 out for this model (its usage is used up); the first is back at " + clockAt(5*time.Second), 5},
		{"none comes back by itself", []models.Key{{APIKey: "k00", Status: models.StatusDisabled}, {APIKey: "k01", Status: models.StatusExpired, ExpiresAt: at(-h)}},
			nil, "", "of 2 keys, 1 disabled by an admin, 1 expired; none comes back by itself", 0},
		{"a long quota window is capped at an hour", activeRows(1), func(p *Pool) {
			p.Mark(mustGet(t, p, "k00"), QuotaExhausted, t0.Add(7*24*h))
		}, "", "all 1 are failed (invalid or out of quota); the first is back at " + clockAt(7*24*h), 3600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := newTestPool(t, newFakeStore(tt.rows...), newFakeClock())
			if tt.act != nil {
				tt.act(p)
			}
			s := p.Shortage("Ollama", tt.model)
			if msg := s.Message(); !strings.Contains(msg, tt.want) {
				t.Errorf("message %q, want it to contain %q", msg, tt.want)
			}
			if got := s.RetryAfter(t0); got != tt.wantRetry {
				t.Errorf("RetryAfter %d, want %d", got, tt.wantRetry)
			}
		})
	}
}

// clockAt is the time of day d after t0, as messages print it.
func clockAt(d time.Duration) string { return t0.Add(d).UTC().Format("15:04:05 UTC") }
