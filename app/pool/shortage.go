package pool

import (
	"fmt"
	"strings"
	"time"

	"github.com/keypool/keypool/models"
)

// Shortage says why no key can serve a model now, and when the first is
// back: what a client told "503" deserves to read.
type Shortage struct {
	Label        string // provider name
	Model        string
	Total        int
	RateLimited  int // resting after a 429
	Resting      int // resting after 5xx or timeouts of its own
	Failed       int
	Disabled     int
	Expired      int
	ModelBlocked int // out for this model only
	AtLimit      int // at its requests-per-minute limit
	// BackAt is when the first key is available again; zero when none
	// comes back by itself (disabled until enabled, expired).
	BackAt time.Time
}

// Shortage tallies why the pool has no key for model at now.
func (p *Pool) Shortage(label, model string) Shortage {
	now := p.now().UTC()
	nowNano := now.UnixNano()
	list := p.snap.Load().list
	s := Shortage{Label: label, Model: model, Total: len(list)}
	back := func(t time.Time) {
		if !t.IsZero() && t.After(now) && (s.BackAt.IsZero() || t.Before(s.BackAt)) {
			s.BackAt = t
		}
	}
	for _, k := range list {
		k.mu.Lock()
		st, cool, why := k.state, k.coolTill, k.coolWhy
		k.mu.Unlock()
		tmp := Key{state: st}
		tmp.settle(now)
		switch st = tmp.state; {
		case st.Status == models.StatusExpired:
			s.Expired++
		case st.Status == models.StatusDisabled:
			s.Disabled++
			back(deref(st.DisabledUntil))
		case st.Status == models.StatusFailed:
			s.Failed++
			back(deref(st.FailedUntil))
		case cool.After(now) && why == coolAlone:
			s.Resting++
			back(cool)
		case cool.After(now):
			s.RateLimited++
			back(cool)
		case k.blocked.Load() != nil && model != "" && k.blocked.Load().blocks(model, nowNano):
			s.ModelBlocked++
			back(time.Unix(0, (*k.blocked.Load())[model]))
		case k.rpm.Load() > 0:
			s.AtLimit++
			back(now.Truncate(time.Minute).Add(time.Minute))
		}
	}
	return s
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// Message is the shortage in words, for the client's 503.
func (s Shortage) Message() string {
	if s.Total == 0 {
		return fmt.Sprintf("no %s keys are configured on this gateway: an admin adds them on the dashboard or with POST /admin/api-keys", s.Label)
	}
	reasons := []struct {
		n    int
		what string
	}{
		{s.RateLimited, "cooling down (rate limited)"},
		{s.Resting, "resting after upstream errors of their own"},
		{s.Failed, "failed (invalid or out of quota)"},
		{s.Disabled, "disabled by an admin"},
		{s.Expired, "expired"},
		{s.ModelBlocked, "out for this model (its usage is used up)"},
		{s.AtLimit, "at their requests-per-minute limit"},
	}
	var parts []string
	all := ""
	for _, r := range reasons {
		if r.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", r.n, r.what))
			if r.n == s.Total {
				all = r.what
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "no %s key can serve this request now", s.Label)
	if s.Model != "" {
		fmt.Fprintf(&b, " (model %s)", s.Model)
	}
	switch {
	case len(parts) == 0: // every key looked free a moment later: a race with a recovery
		b.WriteString("; try again in a second")
		return b.String()
	case all != "":
		fmt.Fprintf(&b, ": all %d are %s", s.Total, all)
	case len(parts) > 0:
		fmt.Fprintf(&b, ": of %d keys, %s", s.Total, strings.Join(parts, ", "))
	}
	if s.BackAt.IsZero() {
		b.WriteString("; none comes back by itself: an admin must enable or add a key")
	} else {
		fmt.Fprintf(&b, "; the first is back at %s", s.BackAt.UTC().Format("15:04:05 UTC"))
	}
	return b.String()
}

// RetryAfter is how many seconds until the first key is back, between 1
// and 3600; 0 when none comes back by itself.
func (s Shortage) RetryAfter(now time.Time) int {
	if s.BackAt.IsZero() {
		if s.Total > 0 && s.RateLimited+s.Resting+s.Failed+s.Disabled+s.Expired+s.ModelBlocked+s.AtLimit == 0 {
			return 1 // see Message: nothing held the keys back
		}
		return 0
	}
	d := int((s.BackAt.Sub(now) + time.Second - 1) / time.Second)
	return min(max(d, 1), 3600)
}
