package admin

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

type createTokenRequest struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
	Provider  string     `json:"provider"`
	RPMLimit  *int       `json:"rpm_limit"` // requests per minute; null or 0: none
	TPMLimit  *int       `json:"tpm_limit"` // tokens per minute; null or 0: none
}

// createToken is POST /admin/tokens. The plaintext is in this answer only.
func (h *Handler) createToken(c *fiber.Ctx) error {
	var in createTokenRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	out, err := h.ops.CreateToken(c.UserContext(), providerOf(c, in.Provider),
		operator.NewToken{Name: in.Name, ExpiresAt: in.ExpiresAt, RPMLimit: in.RPMLimit, TPMLimit: in.TPMLimit})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// listTokens is GET /admin/tokens: every client token of the provider,
// oldest first, never its digest or plaintext.
func (h *Handler) listTokens(c *fiber.Ctx) error {
	p, err := h.ops.Provider(c.Query("provider"))
	if err != nil {
		return err
	}
	out, err := h.ops.ListTokens(c.UserContext(), p.Info.ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"provider": p.Info.ID, "tokens": out})
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
	n, err := h.ops.DeleteTokens(c.UserContext(), providerOf(c, in.Provider), in.Name, in.ID)
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Deleted: n})
}

// deleteToken is DELETE /admin/tokens/:id.
func (h *Handler) deleteToken(c *fiber.Ctx) error {
	n, err := h.ops.DeleteTokens(c.UserContext(), c.Query("provider"), "", c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Deleted: n})
}
