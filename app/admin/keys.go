package admin

import (
	"errors"
	"math"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// listKeys is GET /admin/api-keys: one page of keys, ?status= (all for
// none), ?q= or ?search= (substring of the key, or of the username in any
// case), ?page=, ?per_page= or ?pageSize= (1–500, default 50),
// ?fetch=all (every key), ?sort=created_at|status|last_used|requests,
// ?order=asc|desc. It answers Keypool's keys and the original's api_keys,
// both masked unless ?reveal=true.
func (h *Handler) listKeys(c *fiber.Ctx) error {
	reveal, err := revealOf(c)
	if err != nil {
		return err
	}
	q := operator.KeyListQuery{Status: c.Query("status"), Search: firstOf(c.Query("q"), c.Query("search")),
		Sort: c.Query("sort"), Order: c.Query("order"), Page: c.Query("page"),
		PerPage: firstOf(c.Query("per_page"), c.Query("pageSize")), All: c.Query("fetch") == "all"}
	out, err := h.ops.ListKeys(c.UserContext(), c.Query("provider"), q)
	if err != nil {
		return err
	}
	if reveal {
		h.log.Info("admin: whole keys shown", "provider", out.Provider, "keys", len(out.Keys))
	}
	return c.JSON(listAnswer(out, reveal))
}

// createKeyRequest is POST /admin/api-keys.
type createKeyRequest struct {
	APIKey    string     `json:"api_key"`
	APIKeyAlt string     `json:"apiKey"` // the original's name
	Username  string     `json:"username"`
	ExpiresAt *time.Time `json:"expires_at"`
	TTL       *float64   `json:"ttl"` // the original's: seconds from now
	Provider  string     `json:"provider"`
}

// keyAnswer is a key's row with the original's {success, message}.
type keyAnswer struct {
	operator.KeyView
	Success bool   `json:"success"`
	Message string `json:"message"`
}

// createKey adds one key: 201 with its row and the original's
// {"success":true,"message":"Added"}; 409 {"error","success":false,
// "message":"Already exists"} if it is stored already; 400 if it is
// unusable.
func (h *Handler) createKey(c *fiber.Ctx) error {
	var in createKeyRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	expires := in.ExpiresAt
	if in.TTL != nil && expires == nil {
		secs := *in.TTL
		if math.IsNaN(secs) || secs < 0 || secs > operator.MaxDisable.Seconds() {
			return errorf(fiber.StatusBadRequest, "ttl must be seconds from 0 (no expiry) to %d", int64(operator.MaxDisable.Seconds()))
		}
		if secs > 0 {
			t := time.Now().UTC().Add(time.Duration(secs * float64(time.Second)))
			expires = &t
		}
	}
	view, err := h.ops.AddKey(c.UserContext(), providerOf(c, in.Provider),
		operator.NewKey{APIKey: firstOf(in.APIKey, in.APIKeyAlt), Username: in.Username, ExpiresAt: expires})
	if errors.Is(err, operator.ErrConflict) {
		_, msg, _ := Answer(err)
		return c.Status(fiber.StatusConflict).JSON(fiber.Map{"error": msg, "success": false, "message": "Already exists"})
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(keyAnswer{KeyView: view, Success: true, Message: "Added"})
}

// deleteKeysRequest is DELETE /admin/api-keys: one key or many, each given
// as the key or its id.
type deleteKeysRequest struct {
	APIKey     string   `json:"api_key"`
	APIKeys    []string `json:"api_keys"`
	APIKeyAlt  string   `json:"apiKey"`  // the original's names
	APIKeysAlt []string `json:"apiKeys"` //
	Provider   string   `json:"provider"`
}

// deleteAnswer is what a delete did, with the original's success.
type deleteAnswer struct {
	Success bool  `json:"success"`
	Deleted int64 `json:"deleted"`
}

// batchDeleteAnswer is a delete of many keys, with the original's fields.
type batchDeleteAnswer struct {
	Success bool  `json:"success"`
	Deleted int64 `json:"deleted"`
	Failed  int64 `json:"failed"` // asked for but not stored
	Total   int   `json:"total"`
}

// deleteKeys deletes {"api_key"} or {"apiKey"} (404 if unknown), or
// {"api_keys":[…]} or {"apiKeys":[…]} (those unknown are counted failed).
func (h *Handler) deleteKeys(c *fiber.Ctx) error {
	var in deleteKeysRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	ctx, p := c.UserContext(), providerOf(c, in.Provider)
	one, many := firstOf(in.APIKey, in.APIKeyAlt), in.APIKeys
	if len(many) == 0 {
		many = in.APIKeysAlt
	}
	switch {
	case one != "":
		if err := h.ops.DeleteKey(ctx, p, one); err != nil {
			return notDeleted(c, err)
		}
		return c.JSON(deleteAnswer{Success: true, Deleted: 1})
	case len(many) > 0:
		n, err := h.ops.DeleteKeys(ctx, p, many)
		if err != nil {
			return err
		}
		return c.JSON(batchDeleteAnswer{Success: true, Deleted: n, Failed: max(int64(len(many))-n, 0), Total: len(many)})
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
		return notDeleted(c, err)
	}
	return c.JSON(deleteAnswer{Success: true, Deleted: 1})
}

// notDeleted answers an unknown key 404 with the original's
// "success":false beside the error; other errors go to the error handler.
func notDeleted(c *fiber.Ctx, err error) error {
	if !errors.Is(err, operator.ErrNotFound) {
		return err
	}
	_, msg, _ := Answer(err)
	return c.Status(fiber.StatusNotFound).JSON(fiber.Map{"error": msg, "success": false, "deleted": 0})
}

// keyStateRequest is POST /admin/keys/enable and /admin/keys/disable: the
// key or its id, and for disable an optional duration in seconds.
type keyStateRequest struct {
	APIKey    string   `json:"api_key"`
	APIKeyAlt string   `json:"apiKey"` // the original's name
	ID        string   `json:"id"`
	Duration  *float64 `json:"duration"`
	Provider  string   `json:"provider"`
}

func (in keyStateRequest) key() string { return firstOf(in.APIKey, in.APIKeyAlt, in.ID) }

// originalDisable is the original's disable when no duration is given.
const originalDisable = 3600.0

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
	return c.JSON(keyAnswer{KeyView: view, Success: true, Message: "API Key enabled"})
}

// disableKey takes a key out of rotation for duration seconds, or until
// enabled when duration is 0 or, in Keypool's {"api_key"} form, absent; in
// the original's {"apiKey"} form an absent duration is an hour, as there.
func (h *Handler) disableKey(c *fiber.Ctx) error {
	var in keyStateRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	if in.Duration == nil && in.APIKey == "" && in.APIKeyAlt != "" {
		d := originalDisable
		in.Duration = &d
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
	return c.JSON(keyAnswer{KeyView: view, Success: true, Message: "API Key disabled"})
}
