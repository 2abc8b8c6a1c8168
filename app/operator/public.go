package operator

import (
	"context"
	"math"
	"sort"
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
	RecentModels     []PublicModel     `json:"recent_models"` // the top 3 of the last 24 hours
	UpdatedAt        *time.Time        `json:"updated_at"`
	LoadedAt         time.Time         `json:"-"` // when these figures were read: the same for every caller they are served to
}

// RecentTopModels is how many models of the last 24 hours the figures list.
const RecentTopModels = 3

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
	Success     int64      `json:"success"`
	Failure     int64      `json:"failure"`
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
		CompletionTokens: t.CompletionTokens, UpdatedAt: t.UpdatedAt, LoadedAt: s.now().UTC(), Hourly: hourly, Models: []PublicModel{},
		Keys: PublicKeys{Total: counts.Total, Active: counts.Active, Failed: counts.Failed}}
	for _, m := range models {
		out.Models = append(out.Models, PublicModel{Model: m.Model, Requests: m.TotalRequests, Success: m.SuccessCount,
			Failure: m.FailureCount, SuccessRate: m.SuccessRate, Tokens: m.PromptTokens + m.CompletionTokens, LastUsed: m.LastUsed})
	}
	if out.RecentModels, err = s.recentModels(ctx, p, models); err != nil {
		return nil, err
	}
	return out, nil
}

// recentModels ranks the top models by their requests of the last 24
// hours (one hourly read each, once per PUBLIC_STATS_TTL), the busiest
// RecentTopModels of those used in that time. A model outside the
// all-time top is not ranked.
func (s *Service) recentModels(ctx context.Context, p *backend.Provider, top []store.ModelRow) ([]PublicModel, error) {
	out := []PublicModel{}
	for _, m := range top {
		series, err := s.hourly(ctx, p, 24, m.Model)
		if err != nil {
			return nil, err
		}
		pm := PublicModel{Model: m.Model, LastUsed: m.LastUsed}
		for _, h := range series {
			pm.Requests, pm.Success, pm.Failure = pm.Requests+h.Requests, pm.Success+h.Success, pm.Failure+h.Failure
			pm.Tokens += h.PromptTokens + h.CompletionTokens
		}
		if pm.Requests > 0 {
			pm.SuccessRate = math.Round(10000*float64(pm.Success)/float64(pm.Requests)) / 100
			out = append(out, pm)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Requests > out[j].Requests })
	return out[:min(len(out), RecentTopModels)], nil
}
