package operator

import (
	"context"
	"strings"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
)

// knownProviders is every provider Keypool can serve, in listing order.
var knownProviders = []string{provider.Ollama, provider.OpenRouter}

// ProviderView is one provider: configured is false when DISABLE_* left
// it out; enabled is the runtime switch.
type ProviderView struct {
	ID         string       `json:"id"`
	Label      string       `json:"label"`
	Enabled    bool         `json:"enabled"`
	Configured bool         `json:"configured"`
	BaseURL    string       `json:"base_url"`
	Keys       *pool.Counts `json:"keys"`
}

func (s *Service) providerView(id string) ProviderView {
	p, ok := s.providers[id]
	if !ok {
		return ProviderView{ID: id, Label: provider.New(id, "").Label}
	}
	counts := p.Pool.Counts()
	return ProviderView{ID: id, Label: p.Info.Label, Enabled: p.Info.Enabled(), Configured: true,
		BaseURL: p.Info.BaseURL, Keys: &counts}
}

// ListProviders returns every provider with its switch and key counts.
func (s *Service) ListProviders() []ProviderView {
	out := make([]ProviderView, len(knownProviders))
	for i, id := range knownProviders {
		out[i] = s.providerView(id)
	}
	return out
}

// SwitchProvider turns a provider's client routes on or off, across
// restarts and instances. A provider DISABLE_* removed has no tables or
// pool to switch on: Conflict.
func (s *Service) SwitchProvider(ctx context.Context, id string, on bool) (ProviderView, error) {
	p, ok := s.providers[id]
	if !ok {
		if id == provider.Ollama || id == provider.OpenRouter {
			env := "DISABLE_" + strings.ToUpper(id)
			return ProviderView{}, refuse(KindConflict, "provider %q is turned off by %s=true: change %s and restart Keypool", id, env, env)
		}
		return ProviderView{}, invalid("provider", "unknown provider %q: use ollama or openrouter", id)
	}
	if err := p.Switch(ctx, on); err != nil {
		return ProviderView{}, err
	}
	s.log.Info("operator: provider switched", "provider", id, "enabled", on)
	return s.providerView(id), nil
}

// CacheStats is a provider's response cache: answers kept, their bytes,
// and lookups that hit or missed. Without CACHE_TTL it is disabled and
// empty.
type CacheStats struct {
	Enabled bool  `json:"enabled"`
	Entries int64 `json:"entries"`
	Hits    int64 `json:"hits"`
	Misses  int64 `json:"misses"`
	Bytes   int64 `json:"bytes"`
}

// CacheStats reads a provider's response cache.
func (s *Service) CacheStats(ctx context.Context, providerID string) (CacheStats, error) {
	p, err := s.Provider(providerID)
	if err != nil || s.cfg.Cache == nil {
		return CacheStats{}, err
	}
	st, err := s.cfg.Cache.Stats(ctx, p.Info.ID)
	if err != nil {
		s.log.Warn("operator: read the response cache", "provider", p.Info.ID, "err", err)
		return CacheStats{}, refuse(KindUnavailable, "the response cache does not answer: %v", err)
	}
	return CacheStats{Enabled: true, Entries: st.Entries, Hits: st.Hits, Misses: st.Misses, Bytes: st.Bytes}, nil
}

// ClearCache empties a provider's response cache, here and on the other
// instances, and returns how many answers it removed.
func (s *Service) ClearCache(ctx context.Context, providerID string) (int, error) {
	p, err := s.Provider(providerID)
	if err != nil || s.cfg.Cache == nil {
		return 0, err
	}
	n, err := s.cfg.Cache.Clear(ctx, p.Info.ID)
	if err != nil {
		s.log.Warn("operator: clear the response cache", "provider", p.Info.ID, "err", err)
		return 0, refuse(KindUnavailable, "the response cache does not answer: %v", err)
	}
	p.Announce(cluster.Cache) // other instances' in-memory caches
	s.log.Info("response cache cleared", "provider", p.Info.ID, "cleared", n)
	return n, nil
}

// ProviderIDs lists the enabled providers' ids, in their usual order.
func (s *Service) ProviderIDs() []string {
	var out []string
	for _, id := range knownProviders {
		if _, ok := s.providers[id]; ok {
			out = append(out, id)
		}
	}
	return out
}
