package admin

import (
	"context"
	"time"
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
	return tokenViews(ctx, p)
}

// CreateToken makes a client token as POST /admin/tokens does, without
// rate limits; the store keeps its digest and prefix only.
func (pg *Pages) CreateToken(ctx context.Context, providerID, name string, expiresAt *time.Time) (NewToken, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return NewToken{}, err
	}
	return pg.h.makeToken(ctx, p, createTokenRequest{Name: name, ExpiresAt: expiresAt})
}

// DeleteToken deletes the token of id as DELETE /admin/tokens/:id does;
// a 404 *Error when there is none.
func (pg *Pages) DeleteToken(ctx context.Context, providerID, id string) error {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return err
	}
	_, err = pg.h.removeTokens(ctx, p, "", id)
	return err
}
