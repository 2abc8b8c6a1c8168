package probe

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// f is a float for a *float64 field.
func f(v float64) *float64 { return &v }

// sameFloat reports whether a and b are both nil or hold the same value.
func sameFloat(a, b *float64) bool { return (a == nil) == (b == nil) && (a == nil || *a == *b) }

// sameBalance reports whether two balances carry the same figures.
func sameBalance(a, b *Balance) bool {
	if a == nil || b == nil {
		return a == b
	}
	return sameFloat(a.IncludedUSD, b.IncludedUSD) && sameFloat(a.AllowanceUSD, b.AllowanceUSD) &&
		sameFloat(a.PurchasedUSD, b.PurchasedUSD) && a.PeriodFrom.Equal(b.PeriodFrom) && a.PeriodUntil.Equal(b.PeriodUntil)
}

func TestProbeBalance(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, time.Second)
	from, until := time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC)
	e.fake.SetBalance("sk-spent-0123456789", fakeupstream.Balance{Included: 0, Allowance: 20, Purchased: 0.25, From: from, Until: until})
	e.fake.SetFault("sk-revoked-0123456789", fakeupstream.Fault{Status: 401})
	def := fakeupstream.DefaultBalance(time.Now())
	tests := []struct {
		name    string
		key     string
		pr      *Prober
		verdict Verdict
		want    *Balance
	}{
		{"default", "sk-plain-0123456789", e.prober, Valid, &Balance{IncludedUSD: f(4.25), AllowanceUSD: f(5), PurchasedUSD: f(1.5),
			PeriodFrom: def.From, PeriodUntil: def.Until}},
		{"spent", "sk-spent-0123456789", e.prober, Valid, &Balance{IncludedUSD: f(0), AllowanceUSD: f(20), PurchasedUSD: f(0.25),
			PeriodFrom: from, PeriodUntil: until}},
		{"revoked", "sk-revoked-0123456789", e.prober, Invalid, nil},
		{"chat probe", "sk-chat-0123456789", e.chat, Valid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.pr.Probe(t.Context(), e.ollama, tt.key)
			if r.Verdict != tt.verdict || !sameBalance(r.Balance, tt.want) || r.Credits != nil {
				t.Errorf("got %+v balance %+v, want %s %+v", r, r.Balance, tt.verdict, tt.want)
			}
		})
	}
}

func TestReadBalance(t *testing.T) {
	t.Parallel()
	until := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name, body string
		want       *Balance
	}{
		{"whole", `{"included":{"balance_usd":1.25,"allowance_usd":5,"period":{"from":"2026-07-01T00:00:00Z","until":"2026-08-01T00:00:00Z"}},"purchased":{"balance_usd":7}}`,
			&Balance{IncludedUSD: f(1.25), AllowanceUSD: f(5), PurchasedUSD: f(7), PeriodFrom: until.AddDate(0, -1, 0), PeriodUntil: until}},
		{"odd fields", `{"included":{"balance_usd":"2.5","allowance_usd":null,"period":{"from":"last week","until":"2026-08-01T02:00:00+02:00"}}}`,
			&Balance{IncludedUSD: f(2.5), PeriodUntil: until}},
		{"purchased only", `{"purchased":{"balance_usd":0}}`, &Balance{PurchasedUSD: f(0)}},
		{"neither", `{"balance":3}`, nil},
		{"not JSON", `<html>`, nil},
		{"empty", ``, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := readBalance([]byte(tt.body)); !sameBalance(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestProbeBalanceRateLimit checks that a key the balance endpoint answered
// 429 is not asked again before its Retry-After, and that one probe waits
// for it once when the wait fits in its time.
func TestProbeBalanceRateLimit(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name         string
		timeout      time.Duration // probe timeout
		ctxTimeout   time.Duration // the caller's deadline; 0 = none
		limit        int           // fakeupstream.Options.BalanceLimit
		fault        *fakeupstream.Fault
		verdict      Verdict
		rateLimited  bool
		status       int
		wantRequests int64 // upstream requests of the probed key, for this probe
		minDuration  time.Duration
		reason       string
	}{
		// The fake's own limit: its Retry-After (about a minute) does not
		// fit in a 1 s probe, so the 429 is reported at once.
		{"over the limit", time.Second, 0, 1, nil, Valid, true, 429, 1, 0, "not probed again before"},
		// One 429 with Retry-After: 1 is waited out within a 3 s probe.
		{"waits once", 3 * time.Second, 0, -1, &fakeupstream.Fault{Status: 429, RetryAfter: "1", Times: 1},
			Valid, false, 200, 2, time.Second, ""},
		// A second 429 after the wait is reported, not waited for again.
		{"still limited after the wait", 3 * time.Second, 0, -1, &fakeupstream.Fault{Status: 429, RetryAfter: "1"},
			Valid, true, 429, 2, time.Second, "rate limited"},
		// The caller's deadline leaves no time to wait.
		{"no time to wait", 3 * time.Second, 500 * time.Millisecond, -1, &fakeupstream.Fault{Status: 429, RetryAfter: "1", Times: 1},
			Valid, true, 429, 1, 0, "rate limited"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			e := newFakeEnv(t, tt.timeout)
			e.fake.SetOptions(fakeupstream.Options{BalanceLimit: tt.limit})
			key := "sk-limited-" + strings.ReplaceAll(tt.name, " ", "-")
			if tt.limit > 0 {
				for range tt.limit { // use up the window
					if r := e.prober.Probe(t.Context(), e.ollama, key); r.Status != 200 {
						t.Fatalf("within the limit: %+v", r)
					}
				}
			}
			if tt.fault != nil {
				e.fake.SetFault(key, *tt.fault)
			}
			before := e.fake.Counts(key).Requests
			ctx := t.Context()
			if tt.ctxTimeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tt.ctxTimeout)
				defer cancel()
			}
			r := e.prober.Probe(ctx, e.ollama, key)
			if r.Verdict != tt.verdict || r.RateLimited != tt.rateLimited || r.Status != tt.status || !strings.Contains(r.Reason, tt.reason) {
				t.Errorf("got %+v, want %s rate limited %v status %d ~%q", r, tt.verdict, tt.rateLimited, tt.status, tt.reason)
			}
			if n := e.fake.Counts(key).Requests - before; n != tt.wantRequests {
				t.Errorf("%d requests upstream, want %d", n, tt.wantRequests)
			}
			if r.Duration < tt.minDuration {
				t.Errorf("took %v, want at least %v", r.Duration, tt.minDuration)
			}
			if !tt.rateLimited {
				return
			}
			// Held: the next probe with no time to wait sends nothing.
			short, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
			defer cancel()
			before = e.fake.Counts(key).Requests
			r = e.prober.Probe(short, e.ollama, key)
			if r.Verdict != Valid || !r.RateLimited || r.Status != 0 || !strings.Contains(r.Reason, "asked for no probe of this key before") {
				t.Errorf("held key: %+v", r)
			}
			if n := e.fake.Counts(key).Requests - before; n != 0 {
				t.Errorf("held key: %d requests upstream", n)
			}
			// The chat probe does not use the balance endpoint nor its hold.
			if r := e.chat.Probe(t.Context(), e.ollama, key+"-chat"); r.Status == 0 {
				t.Errorf("chat probe: %+v", r)
			}
		})
	}
}

// TestProbeWaitsForAHold checks that a probe that has the time waits out
// an earlier 429's Retry-After, then asks.
func TestProbeWaitsForAHold(t *testing.T) {
	t.Parallel()
	e := newFakeEnv(t, 3*time.Second)
	const key = "sk-held-0123456789"
	e.fake.SetFault(key, fakeupstream.Fault{Status: 429, RetryAfter: "1", Times: 1})
	short, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	if r := e.prober.Probe(short, e.ollama, key); !r.RateLimited || r.Status != 429 {
		t.Fatalf("first probe: %+v", r)
	}
	r := e.prober.Probe(t.Context(), e.ollama, key)
	if !r.Valid() || r.RateLimited || r.Status != 200 || r.Balance == nil || r.Duration < 500*time.Millisecond {
		t.Errorf("second probe: %+v", r)
	}
	if n := e.fake.Counts(key).Requests; n != 2 {
		t.Errorf("%d requests upstream, want 2", n)
	}
}
