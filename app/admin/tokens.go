package admin

import (
	"math"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

type createTokenRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
	ExpiresIn *float64   `json:"expiresIn"` // the original's: seconds from now
	TTL       *float64   `json:"ttl"`       // the original's, on /admin/client-tokens
	Provider  string     `json:"provider"`
	RPMLimit  *int       `json:"rpm_limit"` // requests per minute; null or 0: none
	TPMLimit  *int       `json:"tpm_limit"` // tokens per minute; null or 0: none
}

// expiry is expires_at, else now + expiresIn (or ttl) seconds; 0 or
// absent: the token does not expire.
func (in createTokenRequest) expiry() (*time.Time, error) {
	if in.ExpiresAt != nil {
		return in.ExpiresAt, nil
	}
	secs := in.ExpiresIn
	if secs == nil {
		secs = in.TTL
	}
	if secs == nil || *secs == 0 {
		return nil, nil
	}
	if math.IsNaN(*secs) || *secs < 0 || *secs > operator.MaxDisable.Seconds() {
		return nil, errorf(fiber.StatusBadRequest, "expiresIn and ttl must be seconds from 0 (no expiry) to %d", int64(operator.MaxDisable.Seconds()))
	}
	t := time.Now().UTC().Add(time.Duration(*secs * float64(time.Second)))
	return &t, nil
}

// createdAnswer is a token just made, with the original's expiresAt.
type createdAnswer struct {
	operator.CreatedToken
	ExpiresAtAlt *time.Time `json:"expiresAt"`
}

// createToken is POST /admin/tokens {"name","expires_at"|"expiresIn"}:
// 201 with the plaintext, in this answer only.
func (h *Handler) createToken(c *fiber.Ctx) error { return h.makeToken(c, "") }

// createClientToken is the original's POST /admin/client-tokens
// {"name","ttl"}: as createToken, a token without a name named "unnamed".
func (h *Handler) createClientToken(c *fiber.Ctx) error { return h.makeToken(c, "unnamed") }

func (h *Handler) makeToken(c *fiber.Ctx, defaultName string) error {
	var in createTokenRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	expires, err := in.expiry()
	if err != nil {
		return err
	}
	out, err := h.ops.CreateToken(c.UserContext(), providerOf(c, in.Provider),
		operator.NewToken{Name: firstOf(in.Name, defaultName), ExpiresAt: expires, RPMLimit: in.RPMLimit, TPMLimit: in.TPMLimit})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(createdAnswer{CreatedToken: out, ExpiresAtAlt: out.ExpiresAt})
}

// tokenAnswer is a listed token: Keypool's fields and the original's. Its
// plaintext is not kept, so the original's "token" carries the id, which
// DELETE /admin/tokens {"token"} takes back.
type tokenAnswer struct {
	operator.TokenView
	Token           string    `json:"token"`
	CreatedAtAlt    time.Time `json:"createdAt"`
	RequestCountAlt int64     `json:"requestCount"`
}

// tokenList reads the provider's tokens in both shapes.
func (h *Handler) tokenList(c *fiber.Ctx) (string, []tokenAnswer, error) {
	p, err := h.ops.Provider(c.Query("provider"))
	if err != nil {
		return "", nil, err
	}
	list, err := h.ops.ListTokens(c.UserContext(), p.Info.ID)
	if err != nil {
		return "", nil, err
	}
	out := make([]tokenAnswer, len(list))
	for i, t := range list {
		out[i] = tokenAnswer{TokenView: t, Token: t.ID, CreatedAtAlt: t.CreatedAt, RequestCountAlt: t.RequestCount}
	}
	return p.Info.ID, out, nil
}

// listTokens is GET /admin/tokens: every client token of the provider,
// oldest first, never its digest or plaintext.
func (h *Handler) listTokens(c *fiber.Ctx) error {
	p, list, err := h.tokenList(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"provider": p, "tokens": list})
}

// listClientTokens is the original's GET /admin/client-tokens.
func (h *Handler) listClientTokens(c *fiber.Ctx) error {
	p, list, err := h.tokenList(c)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"provider": p, "client_tokens": list})
}

type deleteTokensRequest struct {
	Name     string `json:"name"`
	ID       string `json:"id"`
	Token    string `json:"token"` // the original's: the token itself (or, from a listing, its id)
	Provider string `json:"provider"`
}

// deleteTokens deletes the token of {"token"} (its plaintext or id), the
// tokens named {"name"} (every one of that name) or the one of {"id"};
// 404 when none matches.
func (h *Handler) deleteTokens(c *fiber.Ctx) error {
	var in deleteTokensRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	var n int64
	var err error
	if in.Token != "" && in.Name == "" && in.ID == "" {
		n, err = h.ops.DeleteToken(c.UserContext(), providerOf(c, in.Provider), in.Token)
	} else {
		n, err = h.ops.DeleteTokens(c.UserContext(), providerOf(c, in.Provider), in.Name, in.ID)
	}
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Success: true, Deleted: n})
}

// deleteToken is DELETE /admin/tokens/:id.
func (h *Handler) deleteToken(c *fiber.Ctx) error {
	n, err := h.ops.DeleteTokens(c.UserContext(), c.Query("provider"), "", c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Success: true, Deleted: n})
}

// deleteClientToken is the original's DELETE /admin/client-tokens/:token,
// the token URL-escaped (or its id).
func (h *Handler) deleteClientToken(c *fiber.Ctx) error {
	token, err := url.PathUnescape(c.Params("token"))
	if err != nil {
		return errorf(fiber.StatusBadRequest, "the token in the path is not URL-escaped properly: %v", err)
	}
	n, err := h.ops.DeleteToken(c.UserContext(), c.Query("provider"), token)
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Success: true, Deleted: n})
}
