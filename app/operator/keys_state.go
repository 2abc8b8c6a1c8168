package operator

import (
	"context"
	"strings"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/redact"
)

// MaxDisable bounds a disable's duration (time.Duration holds ~292 years).
const MaxDisable = 100 * 365 * 24 * time.Hour

// EnableKeys makes keys (or ids) active with counters and cooldowns
// cleared, at once in the pool (the store follows within a second), and
// returns the views of those the pool holds, in the order given.
func (s *Service) EnableKeys(ctx context.Context, providerID string, given []string) ([]KeyView, error) {
	return s.setKeys(ctx, providerID, given, func(p *backend.Provider, key string) error {
		if err := p.Pool.Enable(key); err != nil {
			return err
		}
		s.log.Info("operator: key enabled", "provider", p.Info.ID, "key", redact.Key(key))
		return nil
	})
}

// DisableKeys takes keys (or ids) out of rotation for d, or until enabled
// when d is 0, and returns their views as EnableKeys does.
func (s *Service) DisableKeys(ctx context.Context, providerID string, given []string, d time.Duration) ([]KeyView, error) {
	if d < 0 || d > MaxDisable {
		return nil, invalid("duration", "duration must be seconds from 0 (until enabled) to %d", int64(MaxDisable.Seconds()))
	}
	return s.setKeys(ctx, providerID, given, func(p *backend.Provider, key string) error {
		if err := p.Pool.Disable(key, d); err != nil {
			return err
		}
		s.log.Info("operator: key disabled", "provider", p.Info.ID, "key", redact.Key(key), "duration", d)
		return nil
	})
}

// EnableKey enables one key (or id); NotFound when the pool does not hold it.
func (s *Service) EnableKey(ctx context.Context, providerID, given string) (KeyView, error) {
	views, err := s.EnableKeys(ctx, providerID, []string{given})
	return single(views, err, given)
}

// DisableKey disables one key (or id) for d; NotFound when the pool does
// not hold it.
func (s *Service) DisableKey(ctx context.Context, providerID, given string, d time.Duration) (KeyView, error) {
	views, err := s.DisableKeys(ctx, providerID, []string{given}, d)
	return single(views, err, given)
}

// single is the one view of an action on the one key given.
func single(views []KeyView, err error, given string) (KeyView, error) {
	switch {
	case err != nil:
		return KeyView{}, err
	case strings.TrimSpace(given) == "":
		return KeyView{}, invalid("api_key", `send {"api_key":"…"} (the key or its id)`)
	case len(views) == 0:
		return KeyView{}, refuse(KindNotFound, "unknown key %s", redact.Key(strings.TrimSpace(given)))
	}
	return views[0], nil
}

// setKeys applies set to each key the pool holds and reads their views.
func (s *Service) setKeys(ctx context.Context, providerID string, given []string, set func(*backend.Provider, string) error) ([]KeyView, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return nil, err
	}
	keys, err := s.resolveAll(ctx, p, given)
	if err != nil {
		return nil, err
	}
	var held []string
	for _, key := range keys {
		if _, ok := p.Pool.Get(key); ok && set(p, key) == nil {
			held = append(held, key)
		}
	}
	return s.keyViews(ctx, p, held)
}
