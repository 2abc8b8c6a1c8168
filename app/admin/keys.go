package admin

import (
	"math"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// listKeys is GET /admin/api-keys: one page of keys, ?status=, ?q=
// (substring of the key, or of the username in any case), ?page=,
// ?per_page= (1–500, default 50), ?sort=created_at|status|last_used|
// requests, ?order=asc|desc.
func (h *Handler) listKeys(c *fiber.Ctx) error {
	out, err := h.ops.ListKeys(c.UserContext(), c.Query("provider"), operator.KeyListQuery{Status: c.Query("status"),
		Search: c.Query("q"), Sort: c.Query("sort"), Order: c.Query("order"), Page: c.Query("page"), PerPage: c.Query("per_page")})
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// createKeyRequest is POST /admin/api-keys.
type createKeyRequest struct {
	APIKey    string     `json:"api_key"`
	Username  string     `json:"username"`
	ExpiresAt *time.Time `json:"expires_at"`
	Provider  string     `json:"provider"`
}

// createKey adds one key: 201 with its row, 409 if it is stored already,
// 400 if it is unusable.
func (h *Handler) createKey(c *fiber.Ctx) error {
	var in createKeyRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	view, err := h.ops.AddKey(c.UserContext(), providerOf(c, in.Provider),
		operator.NewKey{APIKey: in.APIKey, Username: in.Username, ExpiresAt: in.ExpiresAt})
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(view)
}

// deleteKeysRequest is DELETE /admin/api-keys: one key or many, each given
// as the key or its id.
type deleteKeysRequest struct {
	APIKey   string   `json:"api_key"`
	APIKeys  []string `json:"api_keys"`
	Provider string   `json:"provider"`
}

type deleteAnswer struct {
	Deleted int64 `json:"deleted"`
}

// deleteKeys deletes {"api_key"} (404 if unknown) or {"api_keys":[…]}
// (those unknown are not counted).
func (h *Handler) deleteKeys(c *fiber.Ctx) error {
	var in deleteKeysRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	ctx, p := c.UserContext(), providerOf(c, in.Provider)
	switch {
	case in.APIKey != "":
		if err := h.ops.DeleteKey(ctx, p, in.APIKey); err != nil {
			return err
		}
		return c.JSON(deleteAnswer{Deleted: 1})
	case len(in.APIKeys) > 0:
		n, err := h.ops.DeleteKeys(ctx, p, in.APIKeys)
		if err != nil {
			return err
		}
		return c.JSON(deleteAnswer{Deleted: n})
	}
	return errorf(fiber.StatusBadRequest, `send {"api_key":"…"} or {"api_keys":["…"]} (keys or their ids)`)
}

// deleteKey is DELETE /admin/api-keys/:key, the key URL-escaped or its id.
func (h *Handler) deleteKey(c *fiber.Ctx) error {
	key, err := url.PathUnescape(c.Params("key"))
	if err != nil {
		return errorf(fiber.StatusBadRequest, "the key in the path is not URL-escaped properly: %v", err)
	}
	if err := h.ops.DeleteKey(c.UserContext(), c.Query("provider"), key); err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Deleted: 1})
}

// keyStateRequest is POST /admin/keys/enable and /admin/keys/disable: the
// key or its id, and for disable an optional duration in seconds.
type keyStateRequest struct {
	APIKey   string   `json:"api_key"`
	ID       string   `json:"id"`
	Duration *float64 `json:"duration"`
	Provider string   `json:"provider"`
}

func (in keyStateRequest) key() string {
	if in.APIKey != "" {
		return in.APIKey
	}
	return in.ID
}

// enableKey makes a key active with counters and cooldowns cleared, and
// answers its row.
func (h *Handler) enableKey(c *fiber.Ctx) error {
	var in keyStateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	view, err := h.ops.EnableKey(c.UserContext(), providerOf(c, in.Provider), in.key())
	if err != nil {
		return err
	}
	return c.JSON(view)
}

// disableKey takes a key out of rotation for duration seconds, or until
// enabled when duration is absent or 0.
func (h *Handler) disableKey(c *fiber.Ctx) error {
	var in keyStateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	var d time.Duration
	if in.Duration != nil {
		secs := *in.Duration
		if math.IsNaN(secs) || secs < 0 || secs > operator.MaxDisable.Seconds() {
			return errorf(fiber.StatusBadRequest, "duration must be seconds from 0 (until enabled) to %d", int64(operator.MaxDisable.Seconds()))
		}
		d = time.Duration(secs * float64(time.Second))
	}
	view, err := h.ops.DisableKey(c.UserContext(), providerOf(c, in.Provider), in.key(), d)
	if err != nil {
		return err
	}
	return c.JSON(view)
}
