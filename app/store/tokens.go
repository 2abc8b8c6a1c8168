package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

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

// TokenInfo is a client token row as the admin API lists it.
type TokenInfo struct {
	Token        string // the stored column: a digest (or a legacy plaintext), never shown
	Name         string
	Prefix       string // token_prefix: the first characters of the plaintext; "" if unknown
	CreatedAt    time.Time
	ExpiresAt    *time.Time
	RequestCount int64
	LastUsedAt   *time.Time
}

// TokenInfos returns every client token of the provider, oldest first.
func (s *Store) TokenInfos(ctx context.Context) ([]TokenInfo, error) {
	out := []TokenInfo{}
	rows, err := s.db.WithContext(ctx).Raw(`SELECT token, COALESCE(name, ''), COALESCE(token_prefix, ''), created_at,
		expires_at, COALESCE(request_count, 0), last_used_at FROM ` + s.table("client_tokens") + ` ORDER BY created_at, token`).Rows()
	if err != nil {
		return nil, fmt.Errorf("store: token infos: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t TokenInfo
		var created *time.Time
		if err := rows.Scan(&t.Token, &t.Name, &t.Prefix, timeInto{&created}, timeInto{&t.ExpiresAt},
			&t.RequestCount, timeInto{&t.LastUsedAt}); err != nil {
			return nil, fmt.Errorf("store: token infos: %w", err)
		}
		if created != nil {
			t.CreatedAt = *created
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: token infos: %w", err)
	}
	return out, nil
}

// CreateToken stores a new client token; ErrConflict if it exists.
func (s *Store) CreateToken(ctx context.Context, t models.ClientToken) error {
	return s.AddToken(ctx, t, "")
}

// AddToken stores a new client token with the non-secret prefix of its
// plaintext (shown in listings to tell tokens apart); ErrConflict if it
// exists. The row goes in whole from the model, so that columns added to
// it later are kept, and the prefix in the same transaction.
func (s *Store) AddToken(ctx context.Context, t models.ClientToken, prefix string) error {
	t = tokenUTC(t)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := tx.Table(s.table("client_tokens")).Create(&t).Error; err != nil {
			return translate(err)
		}
		if prefix == "" {
			return nil
		}
		return tx.Table(s.table("client_tokens")).Where("token = ?", t.Token).Update("token_prefix", prefix).Error
	})
	if err != nil {
		return fmt.Errorf("store: create token: %w", err)
	}
	return nil
}

// DeleteToken removes a client token by its stored value (digest).
func (s *Store) DeleteToken(ctx context.Context, token string) error {
	n, err := s.DeleteTokens(ctx, []string{token})
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// DeleteTokens removes client tokens by their stored values and returns
// how many existed.
func (s *Store) DeleteTokens(ctx context.Context, tokens []string) (int64, error) {
	if len(tokens) == 0 {
		return 0, nil
	}
	res := s.db.WithContext(ctx).Table(s.table("client_tokens")).Where("token IN ?", tokens).Delete(&models.ClientToken{})
	if res.Error != nil {
		return 0, fmt.Errorf("store: delete token: %w", res.Error)
	}
	return res.RowsAffected, nil
}
