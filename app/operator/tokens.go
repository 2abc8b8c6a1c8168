package operator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"time"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/tokens"
	"github.com/keypool/keypool/models"
)

// NewToken is a client token to make.
type NewToken struct {
	Name      string
	ExpiresAt *time.Time
	RPMLimit  *int // requests per minute; nil or 0: none
	TPMLimit  *int // tokens per minute; nil or 0: none
}

// CreatedToken is a token just made: the only time its plaintext is known.
type CreatedToken struct {
	Token     string     `json:"token"`
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	Prefix    string     `json:"prefix"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// CreateToken makes a client token. The store keeps its digest and a
// short prefix to recognise it by; the token set serves it at once.
func (s *Service) CreateToken(ctx context.Context, providerID string, in NewToken) (CreatedToken, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return CreatedToken{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return CreatedToken{}, invalid("name", "name is required")
	}
	if (in.RPMLimit != nil && *in.RPMLimit < 0) || (in.TPMLimit != nil && *in.TPMLimit < 0) {
		return CreatedToken{}, invalid("rpm_limit", "rpm_limit and tpm_limit must not be negative")
	}
	plain := tokens.Generate()
	digest, prefix := tokens.Digest(plain), tokenPrefix(plain)
	row := models.ClientToken{Token: digest, Name: in.Name, CreatedAt: s.now().UTC(), ExpiresAt: in.ExpiresAt,
		RPMLimit: in.RPMLimit, TPMLimit: in.TPMLimit}
	if err := p.Store.AddToken(ctx, row, prefix); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return CreatedToken{}, refuse(KindConflict, "token already exists")
		}
		return CreatedToken{}, err
	}
	if err := p.ReloadTokens(ctx); err != nil {
		return CreatedToken{}, err
	}
	s.log.Info("operator: client token created", "provider", p.Info.ID, "name", in.Name, "prefix", prefix)
	return CreatedToken{Token: plain, ID: tokenID(digest), Name: in.Name, Prefix: prefix, ExpiresAt: in.ExpiresAt}, nil
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

// TokenView is a client token as listed: never the digest, never the
// plaintext.
type TokenView struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Prefix       string     `json:"prefix"`
	CreatedAt    time.Time  `json:"created_at"`
	ExpiresAt    *time.Time `json:"expires_at"`
	RequestCount int64      `json:"request_count"`
	LastUsedAt   *time.Time `json:"last_used_at"`
}

// ListTokens returns the provider's client tokens, oldest first.
func (s *Service) ListTokens(ctx context.Context, providerID string) ([]TokenView, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return nil, err
	}
	infos, err := p.Store.TokenInfos(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]TokenView, len(infos))
	for i, t := range infos {
		out[i] = TokenView{ID: tokenID(t.Token), Name: t.Name, Prefix: t.Prefix, CreatedAt: t.CreatedAt,
			ExpiresAt: t.ExpiresAt, RequestCount: t.RequestCount, LastUsedAt: t.LastUsedAt}
	}
	return out, nil
}

// DeleteTokens deletes the tokens of a name (all of them) or of an id, and
// reloads the token set; NotFound when none matches.
func (s *Service) DeleteTokens(ctx context.Context, providerID, name, id string) (int64, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return 0, err
	}
	if (name == "") == (id == "") {
		return 0, invalid("name", `send {"name":"…"} or {"id":"…"}`)
	}
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
		return 0, refuse(KindNotFound, "no client token with that %s", map[bool]string{true: "name", false: "id"}[name != ""])
	}
	n, err := p.Store.DeleteTokens(ctx, match)
	if err != nil {
		return 0, err
	}
	if err := p.ReloadTokens(ctx); err != nil {
		return 0, err
	}
	s.log.Info("operator: client tokens deleted", "provider", p.Info.ID, "deleted", n)
	return n, nil
}

// DeleteToken deletes the client token given as its plaintext (found by
// its digest, or as stored by the original project) or as its id, and
// reloads the token set; NotFound when none matches.
func (s *Service) DeleteToken(ctx context.Context, providerID, given string) (int64, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return 0, err
	}
	given = strings.TrimSpace(given)
	if given == "" {
		return 0, invalid("token", `send {"token":"…"} (the token or its id)`)
	}
	infos, err := p.Store.TokenInfos(ctx)
	if err != nil {
		return 0, err
	}
	digest := tokens.Digest(given)
	var match []string
	for _, t := range infos {
		if t.Token == digest || t.Token == given || tokenID(t.Token) == given {
			match = append(match, t.Token)
		}
	}
	if len(match) == 0 {
		return 0, refuse(KindNotFound, "no client token %s", redact.Key(given))
	}
	n, err := p.Store.DeleteTokens(ctx, match)
	if err != nil {
		return 0, err
	}
	if err := p.ReloadTokens(ctx); err != nil {
		return 0, err
	}
	s.log.Info("operator: client token deleted", "provider", p.Info.ID, "deleted", n)
	return n, nil
}
