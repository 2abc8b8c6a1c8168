package admin

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/tokens"
	"github.com/keypool/keypool/models"
)

// TokenView is a client token as GET /admin/tokens lists it: never the
// plaintext.
type TokenView = tokenView

// NewToken is a token just made, as POST /admin/tokens answers it: the
// only time its plaintext is known.
type NewToken = createTokenResponse

// ListTokens returns the provider's client tokens, oldest first.
func (pg *Pages) ListTokens(ctx context.Context, providerID string) ([]TokenView, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return nil, err
	}
	infos, err := p.Store.TokenInfos(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TokenView, len(infos))
	for i, t := range infos {
		out[i] = tokenView{ID: tokenID(t.Token), Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt,
			ExpiresAt: t.ExpiresAt, RequestCount: t.RequestCount, LastUsedAt: t.LastUsedAt}
	}
	return out, nil
}

// CreateToken makes a client token as POST /admin/tokens does, without
// rate limits; the store keeps its digest and prefix only.
func (pg *Pages) CreateToken(ctx context.Context, providerID, name string, expiresAt *time.Time) (NewToken, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return NewToken{}, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		return NewToken{}, errorf(fiber.StatusBadRequest, "name is required")
	}
	plain := tokens.Generate()
	digest, prefix := tokens.Digest(plain), tokenPrefix(plain)
	row := models.ClientToken{Token: digest, Name: name, CreatedAt: time.Now().UTC(), ExpiresAt: expiresAt}
	if err := p.Store.AddToken(ctx, row, prefix); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return NewToken{}, errorf(fiber.StatusConflict, "token already exists")
		}
		return NewToken{}, err
	}
	if err := p.Tokens.Load(ctx); err != nil {
		return NewToken{}, err
	}
	pg.h.log.Info("admin: client token created", "provider", p.Info.ID, "name", name, "prefix", prefix)
	return NewToken{Token: plain, ID: tokenID(digest), Name: name, Prefix: prefix, ExpiresAt: expiresAt}, nil
}

// DeleteToken deletes the token of id as DELETE /admin/tokens/:id does;
// a 404 *Error when there is none.
func (pg *Pages) DeleteToken(ctx context.Context, providerID, id string) error {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return err
	}
	infos, err := p.Store.TokenInfos(ctx)
	if err != nil {
		return err
	}
	var match []string
	for _, t := range infos {
		if tokenID(t.Token) == id {
			match = append(match, t.Token)
		}
	}
	if len(match) == 0 {
		return errorf(fiber.StatusNotFound, "no client token with that id")
	}
	n, err := p.Store.DeleteTokens(ctx, match)
	if err != nil {
		return err
	}
	if err := p.Tokens.Load(ctx); err != nil {
		return err
	}
	pg.h.log.Info("admin: client tokens deleted", "provider", p.Info.ID, "deleted", n)
	return nil
}
