package operator

import (
	"context"
	"errors"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// KeyView is one key as the operator sees it: masked, with an opaque id
// that the actions accept instead of the key, and the pool's current
// state laid over the stored row.
type KeyView struct {
	ID                  string     `json:"id"`
	APIKey              string     `json:"api_key"`
	Username            string     `json:"username"`
	Status              string     `json:"status"`
	FailedUntil         *time.Time `json:"failed_until"`
	DisabledUntil       *time.Time `json:"disabled_until"`
	ExpiresAt           *time.Time `json:"expires_at"`
	CreatedAt           time.Time  `json:"created_at"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	CoolingDownUntil    *time.Time `json:"cooling_down_until"`
	Stats               KeyUsage   `json:"stats"`
	// Secret is the whole key, never encoded: for a face to show when the
	// admin asks to reveal it.
	Secret string `json:"-"`
}

// KeyUsage is a key's request counts.
type KeyUsage struct {
	TotalRequests int64      `json:"total_requests"`
	SuccessCount  int64      `json:"success_count"`
	FailureCount  int64      `json:"failure_count"`
	SuccessRate   float64    `json:"success_rate"` // percent
	LastUsed      *time.Time `json:"last_used"`
}

// view masks a stored row and lays the pool's current state over it.
func (s *Service) view(p *backend.Provider, r store.KeyRow) KeyView {
	now := s.now().UTC()
	st := r.Key
	var cooling *time.Time
	if pk, ok := p.Pool.Get(r.APIKey); ok {
		st = pk.State()
		if t := pk.CoolingDownUntil(); t.After(now) {
			t = t.UTC()
			cooling = &t
		}
	}
	st = current(st, now)
	s.ids.remember(p.Info.ID, r.APIKey)
	return KeyView{ID: keyID(r.APIKey), APIKey: redact.Key(r.APIKey), Username: r.Username, Status: st.Status,
		FailedUntil: st.FailedUntil, DisabledUntil: st.DisabledUntil, ExpiresAt: st.ExpiresAt, CreatedAt: r.CreatedAt,
		ConsecutiveFailures: st.ConsecutiveFailures, CoolingDownUntil: cooling,
		Stats: KeyUsage{TotalRequests: r.TotalRequests, SuccessCount: r.SuccessCount, FailureCount: r.FailureCount,
			SuccessRate: r.SuccessRate, LastUsed: r.LastUsed}, Secret: r.APIKey}
}

// current applies the passage of time to a key's state as the pool does
// (its sweep writes the same a few seconds later): an ended failure or
// disable is active again, a key past expires_at is expired.
func current(k models.Key, now time.Time) models.Key {
	switch {
	case k.ExpiresAt != nil && !k.ExpiresAt.After(now):
		k.Status = models.StatusExpired
	case k.Status == models.StatusFailed && k.FailedUntil != nil && !k.FailedUntil.After(now):
		k.Status, k.FailedUntil, k.ConsecutiveFailures = models.StatusActive, nil, 0
	case k.Status == models.StatusDisabled && k.DisabledUntil != nil && !k.DisabledUntil.After(now):
		k.Status, k.DisabledUntil = models.StatusActive, nil
	case k.Status == "":
		k.Status = models.StatusActive
	}
	return k
}

// keyView reads one stored key's view; NotFound if it is not stored.
func (s *Service) keyView(ctx context.Context, p *backend.Provider, apiKey string) (KeyView, error) {
	r, err := p.Store.KeyRow(ctx, apiKey)
	if errors.Is(err, store.ErrNotFound) {
		return KeyView{}, refuse(KindNotFound, "unknown key %s", redact.Key(apiKey))
	}
	if err != nil {
		return KeyView{}, err
	}
	return s.view(p, r), nil
}

// keyViews reads the views of keys, in the order given; keys no longer
// stored are left out.
func (s *Service) keyViews(ctx context.Context, p *backend.Provider, keys []string) ([]KeyView, error) {
	rows, err := p.Store.KeyRows(ctx, keys)
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]KeyView, len(rows))
	for _, r := range rows {
		byKey[r.APIKey] = s.view(p, r)
	}
	out := make([]KeyView, 0, len(keys))
	for _, key := range keys {
		if v, ok := byKey[key]; ok {
			out = append(out, v)
		}
	}
	return out, nil
}
