package operator

import (
	"context"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/store"
)

// PublicFigures are figures anyone may see: totals, key counts, the last
// 24 hours and the top models. They hold no key, token or user name, not
// even masked.
type PublicFigures struct {
	Provider         string            `json:"provider"`
	TotalRequests    int64             `json:"total_requests"`
	SuccessCount     int64             `json:"success_count"`
	FailureCount     int64             `json:"failure_count"`
	SuccessRate      float64           `json:"success_rate"`
	PromptTokens     int64             `json:"prompt_tokens"`
	CompletionTokens int64             `json:"completion_tokens"`
	Keys             PublicKeys        `json:"keys"`
	Hourly           []store.HourPoint `json:"hourly"`
	Models           []PublicModel     `json:"models"`
	UpdatedAt        *time.Time        `json:"updated_at"`
}

// PublicKeys are the key counts anyone may see.
type PublicKeys struct {
	Total  int `json:"total"`
	Active int `json:"active"`
	Failed int `json:"failed"`
}

// PublicModel is one of the top models in PublicFigures.
type PublicModel struct {
	Model       string     `json:"model"`
	Requests    int64      `json:"requests"`
	SuccessRate float64    `json:"success_rate"`
	Tokens      int64      `json:"tokens"` // prompt + completion
	LastUsed    *time.Time `json:"last_used"`
}

// PublicFigures returns a provider's public figures from memory: one
// query set per provider per PUBLIC_STATS_TTL, however many pages and API
// callers ask at once. The figures are shared: read them, never change them.
func (s *Service) PublicFigures(ctx context.Context, providerID string) (*PublicFigures, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return nil, err
	}
	return s.public.Get(ctx, p.Info.ID, s.publicTTL, func(ctx context.Context) (*PublicFigures, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return s.loadPublic(ctx, p)
	})
}

// PublicTTL is how long public figures are served from memory.
func (s *Service) PublicTTL() time.Duration { return s.publicTTL }

// loadPublic runs the public query set: totals, top models, 24 hours.
func (s *Service) loadPublic(ctx context.Context, p *backend.Provider) (*PublicFigures, error) {
	rd := s.reader(p)
	t, err := rd.GlobalStats(ctx)
	if err != nil {
		return nil, err
	}
	models, err := rd.TopModels(ctx, TopModels)
	if err != nil {
		return nil, err
	}
	hourly, err := s.hourly(ctx, p, 24, "")
	if err != nil {
		return nil, err
	}
	counts := p.Pool.Counts()
	out := &PublicFigures{Provider: p.Info.ID, TotalRequests: t.TotalRequests, SuccessCount: t.SuccessCount,
		FailureCount: t.FailureCount, SuccessRate: t.SuccessRate, PromptTokens: t.PromptTokens,
		CompletionTokens: t.CompletionTokens, UpdatedAt: t.UpdatedAt, Hourly: hourly, Models: []PublicModel{},
		Keys: PublicKeys{Total: counts.Total, Active: counts.Active, Failed: counts.Failed}}
	for _, m := range models {
		out.Models = append(out.Models, PublicModel{Model: m.Model, Requests: m.TotalRequests, SuccessRate: m.SuccessRate,
			Tokens: m.PromptTokens + m.CompletionTokens, LastUsed: m.LastUsed})
	}
	return out, nil
}
