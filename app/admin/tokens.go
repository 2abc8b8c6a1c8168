package admin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/tokens"
	"github.com/keypool/keypool/models"
)

type createTokenRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
	Provider  string     `json:"provider"`
	RPMLimit  *int       `json:"rpm_limit"` // requests per minute; null or 0: none
	TPMLimit  *int       `json:"tpm_limit"` // tokens per minute; null or 0: none
}

type createTokenResponse struct {
	Token     string     `json:"token"`
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// createToken makes a client token. The plaintext is in this answer only;
// the store keeps its digest and a short prefix to recognise it by.
func (h *Handler) createToken(c *fiber.Ctx) error {
	var in createTokenRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	p, err := h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	out, err := h.makeToken(c.UserContext(), p, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// makeToken checks a new token's fields, stores its digest and prefix and
// reloads the provider's token set: the one implementation behind the API
// and the dashboard.
func (h *Handler) makeToken(ctx context.Context, p *Provider, in createTokenRequest) (createTokenResponse, error) {
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return createTokenResponse{}, errorf(fiber.StatusBadRequest, "name is required")
	}
	if (in.RPMLimit != nil && *in.RPMLimit < 0) || (in.TPMLimit != nil && *in.TPMLimit < 0) {
		return createTokenResponse{}, errorf(fiber.StatusBadRequest, "rpm_limit and tpm_limit must not be negative")
	}
	plain := tokens.Generate()
	digest, prefix := tokens.Digest(plain), tokenPrefix(plain)
	row := models.ClientToken{Token: digest, Name: in.Name, CreatedAt: time.Now().UTC(), ExpiresAt: in.ExpiresAt,
		RPMLimit: in.RPMLimit, TPMLimit: in.TPMLimit}
	if err := p.Store.AddToken(ctx, row, prefix); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return createTokenResponse{}, errorf(fiber.StatusConflict, "token already exists")
		}
		return createTokenResponse{}, err
	}
	if err := p.reloadTokens(ctx); err != nil {
		return createTokenResponse{}, err
	}
	h.log.Info("admin: client token created", "provider", p.Info.ID, "name", in.Name, "prefix", prefix)
	return createTokenResponse{Token: plain, ID: tokenID(digest), Name: in.Name, Prefix: prefix, ExpiresAt: in.ExpiresAt}, nil
}

// tokenPrefix is the part of a plaintext token kept to tell tokens apart:
// 10 characters ("sk-kp-1a2b"), at most a quarter of a short token.
func tokenPrefix(plain string) string { return plain[:min(10, len(plain)/4)] }

// tokenID is a token's opaque id: the first 16 hex digits of its digest
// (of the plaintext itself for a row still stored in plaintext).
func tokenID(stored string) string {
	if h, ok := strings.CutPrefix(stored, "sha256:"); ok {
		return h[:min(16, len(h))]
	}
	sum := sha256.Sum256([]byte(stored))
	return hex.EncodeToString(sum[:8])
}

// tokenView is a client token in GET /admin/tokens: never the digest, and
// never the plaintext.
type tokenView struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Prefix       string     `json:"prefix"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RequestCount int64      `json:"request_count"`
	LastUsedAt   *time.Time `json:"last_used_at"`
}

// listTokens answers every client token of the provider, oldest first.
func (h *Handler) listTokens(c *fiber.Ctx) error {
	p, err := h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	out, err := tokenViews(c.UserContext(), p)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"provider": p.Info.ID, "tokens": out})
}

// tokenViews lists the provider's tokens, oldest first, as they are shown.
func tokenViews(ctx context.Context, p *Provider) ([]tokenView, error) {
	infos, err := p.Store.TokenInfos(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tokenView, len(infos))
	for i, t := range infos {
		out[i] = tokenView{ID: tokenID(t.Token), Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt,
			ExpiresAt: t.ExpiresAt, RequestCount: t.RequestCount, LastUsedAt: t.LastUsedAt}
	}
	return out, nil
}

type deleteTokensRequest struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Provider string `json:"provider"`
}

// deleteTokens deletes the tokens named {"name"} (every one of that name)
// or the one of {"id"}; 404 when none matches.
func (h *Handler) deleteTokens(c *fiber.Ctx) error {
	var in deleteTokensRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if (in.Name == "") == (in.ID == "") {
		return errorf(fiber.StatusBadRequest, `send {"name":"…"} or {"id":"…"}`)
	}
	return h.deleteTokensWhere(c, firstNonEmpty(c.Query("provider"), in.Provider), in.Name, in.ID)
}

// deleteToken is DELETE /admin/tokens/:id.
func (h *Handler) deleteToken(c *fiber.Ctx) error {
	return h.deleteTokensWhere(c, c.Query("provider"), "", c.Params("id"))
}

func (h *Handler) deleteTokensWhere(c *fiber.Ctx, providerID, name, id string) error {
	p, err := h.provider(providerID)
	if err != nil {
		return err
	}
	n, err := h.removeTokens(c.UserContext(), p, name, id)
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Deleted: n})
}

// removeTokens deletes the tokens of a name (all of them) or of an id and
// reloads the token set; a 404 *Error when none matches.
func (h *Handler) removeTokens(ctx context.Context, p *Provider, name, id string) (int64, error) {
	infos, err := p.Store.TokenInfos(ctx)
	if err != nil {
		return 0, err
	}
	var match []string
	for _, t := range infos {
		if (name != "" && t.Name == name) || (id != "" && tokenID(t.Token) == id) {
			match = append(match, t.Token)
		}
	}
	if len(match) == 0 {
		return 0, errorf(fiber.StatusNotFound, "no client token with that %s", map[bool]string{true: "name", false: "id"}[name != ""])
	}
	n, err := p.Store.DeleteTokens(ctx, match)
	if err != nil {
		return 0, err
	}
	if err := p.reloadTokens(ctx); err != nil {
		return 0, err
	}
	h.log.Info("admin: client tokens deleted", "provider", p.Info.ID, "deleted", n)
	return n, nil
}
