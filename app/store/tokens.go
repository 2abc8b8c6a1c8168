package store

import (
	"context"
	"fmt"

	"github.com/keypool/keypool/models"
)

// ListTokens returns every client token row of the provider.
func (s *Store) ListTokens(ctx context.Context) ([]models.ClientToken, error) {
	var tokens []models.ClientToken
	err := s.db.WithContext(ctx).Table(s.table("client_tokens")).Order("created_at").Find(&tokens).Error
	if err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	for i := range tokens {
		tokens[i] = tokenUTC(tokens[i])
	}
	return tokens, nil
}

// CreateToken stores a new client token; ErrConflict if it exists.
func (s *Store) CreateToken(ctx context.Context, t models.ClientToken) error {
	t = tokenUTC(t)
	if err := s.db.WithContext(ctx).Table(s.table("client_tokens")).Create(&t).Error; err != nil {
		return fmt.Errorf("store: create token: %w", translate(err))
	}
	return nil
}

// DeleteToken removes a client token by its stored value (digest).
func (s *Store) DeleteToken(ctx context.Context, token string) error {
	res := s.db.WithContext(ctx).Table(s.table("client_tokens")).Where("token = ?", token).Delete(&models.ClientToken{})
	if res.Error != nil {
		return fmt.Errorf("store: delete token: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return ErrNotFound
	}
	return nil
}
