package operator

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// NewKey is one key to add.
type NewKey struct {
	APIKey    string
	Username  string
	ExpiresAt *time.Time
}

// AddKey stores one key and makes the pool serve it at once. It is
// Conflict if the key is stored already and Invalid if it is unusable (as
// an import would judge it).
func (s *Service) AddKey(ctx context.Context, providerID string, in NewKey) (KeyView, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return KeyView{}, err
	}
	in.APIKey = strings.TrimSpace(in.APIKey)
	if reason := keyimport.CheckKey(in.APIKey); reason != "" {
		return KeyView{}, invalid("api_key", "api_key: %s", reason)
	}
	row := models.Key{APIKey: in.APIKey, Username: strings.TrimSpace(in.Username), Status: models.StatusActive,
		CreatedAt: s.now().UTC(), ExpiresAt: in.ExpiresAt}
	if err := p.Store.CreateKey(ctx, row); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return KeyView{}, refuse(KindConflict, "key %s already exists", redact.Key(in.APIKey))
		}
		return KeyView{}, err
	}
	p.Pool.Add([]models.Key{row})
	s.log.Info("operator: key added", "provider", p.Info.ID, "key", redact.Key(in.APIKey))
	return s.keyView(ctx, p, in.APIKey)
}

// DeleteKeys deletes keys (each given as the key or its id) from the store
// and the pool, and returns how many were stored.
func (s *Service) DeleteKeys(ctx context.Context, providerID string, given []string) (int64, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return 0, err
	}
	keys, err := s.resolveAll(ctx, p, given)
	if err != nil {
		return 0, err
	}
	n, err := p.Store.DeleteKeys(ctx, keys)
	if err != nil {
		return 0, err
	}
	p.Pool.Remove(keys...) // here and on the other instances
	s.ids.forget(p.Info.ID, keys...)
	s.log.Info("operator: keys deleted", "provider", p.Info.ID, "asked", len(given), "deleted", n)
	return n, nil
}

// DeleteKey deletes one key (or id); NotFound when it is not stored.
func (s *Service) DeleteKey(ctx context.Context, providerID, given string) error {
	n, err := s.DeleteKeys(ctx, providerID, []string{given})
	if err == nil && n == 0 {
		err = refuse(KindNotFound, "unknown key %s", redact.Key(strings.TrimSpace(given)))
	}
	return err
}
