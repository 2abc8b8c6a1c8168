package admin

import (
	"encoding/json"
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
}

type createTokenResponse struct {
	Token     string     `json:"token"`
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// createToken makes a client token. The plaintext is in this answer only;
// the store keeps its digest.
func (h *Handler) createToken(c *fiber.Ctx) error {
	var in createTokenRequest
	if len(c.Body()) > 0 {
		if err := json.Unmarshal(c.Body(), &in); err != nil {
			return errorf(fiber.StatusBadRequest, "malformed JSON: %v", err)
		}
	}
	p, err := h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" {
		return errorf(fiber.StatusBadRequest, "name is required")
	}
	plain := tokens.Generate()
	row := models.ClientToken{Token: tokens.Digest(plain), Name: in.Name, CreatedAt: time.Now().UTC(), ExpiresAt: in.ExpiresAt}
	if err := p.Store.CreateToken(c.UserContext(), row); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errorf(fiber.StatusConflict, "token already exists")
		}
		return err
	}
	if err := p.Tokens.Load(c.UserContext()); err != nil {
		return err
	}
	h.log.Info("admin: client token created", "provider", p.Info.ID, "name", in.Name)
	return c.Status(fiber.StatusCreated).JSON(createTokenResponse{Token: plain, Name: in.Name, ExpiresAt: in.ExpiresAt})
}
