package admin

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// createKeyRequest is POST /admin/api-keys.
type createKeyRequest struct {
	APIKey    string     `json:"api_key"`
	Username  string     `json:"username"`
	ExpiresAt *time.Time `json:"expires_at"`
	Provider  string     `json:"provider"`
}

// createKey adds one key: 201 with its row, 409 if it is stored already,
// 400 if it is unusable (as an import would judge it). The pool serves it
// at once.
func (k *keyRoutes) createKey(c *fiber.Ctx) error {
	var in createKeyRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	p, err := k.h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	in.APIKey = strings.TrimSpace(in.APIKey)
	if reason := keyimport.CheckKey(in.APIKey); reason != "" {
		return errorf(fiber.StatusBadRequest, "api_key: %s", reason)
	}
	row := models.Key{APIKey: in.APIKey, Username: strings.TrimSpace(in.Username), Status: models.StatusActive,
		CreatedAt: k.now().UTC(), ExpiresAt: in.ExpiresAt}
	if err := p.Store.CreateKey(c.UserContext(), row); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return errorf(fiber.StatusConflict, "key %s already exists", redact.Key(in.APIKey))
		}
		return err
	}
	if err := p.reloadKeys(c.UserContext()); err != nil {
		return err
	}
	k.h.log.Info("admin: key added", "provider", p.Info.ID, "key", redact.Key(in.APIKey))
	view, err := k.keyRow(c, p, in.APIKey)
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
func (k *keyRoutes) deleteKeys(c *fiber.Ctx) error {
	var in deleteKeysRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	p, err := k.h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	if in.APIKey == "" && len(in.APIKeys) == 0 {
		return errorf(fiber.StatusBadRequest, `send {"api_key":"…"} or {"api_keys":["…"]} (keys or their ids)`)
	}
	if in.APIKey != "" {
		return k.deleteOne(c, p, in.APIKey)
	}
	return k.delete(c, p, in.APIKeys)
}

// deleteKey is DELETE /admin/api-keys/:key, the key URL-escaped or its id.
func (k *keyRoutes) deleteKey(c *fiber.Ctx) error {
	p, err := k.h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	key, err := url.PathUnescape(c.Params("key"))
	if err != nil {
		return errorf(fiber.StatusBadRequest, "the key in the path is not URL-escaped properly: %v", err)
	}
	return k.deleteOne(c, p, key)
}

func (k *keyRoutes) deleteOne(c *fiber.Ctx, p *Provider, key string) error {
	n, err := k.deleteN(c, p, []string{key})
	if err != nil {
		return err
	}
	if n == 0 {
		return errorf(fiber.StatusNotFound, "unknown key %s", redact.Key(strings.TrimSpace(key)))
	}
	return c.JSON(deleteAnswer{Deleted: n})
}

func (k *keyRoutes) delete(c *fiber.Ctx, p *Provider, keys []string) error {
	n, err := k.deleteN(c, p, keys)
	if err != nil {
		return err
	}
	return c.JSON(deleteAnswer{Deleted: n})
}

// deleteN deletes keys (or ids) from the store and the pool, and returns
// how many were stored.
func (k *keyRoutes) deleteN(c *fiber.Ctx, p *Provider, given []string) (int64, error) {
	keys := make([]string, 0, len(given))
	seen := map[string]bool{}
	for _, g := range given {
		g = strings.TrimSpace(g)
		key, err := k.resolve(c.UserContext(), p, g)
		if err != nil {
			return 0, err
		}
		if key != "" && !seen[key] {
			seen[key] = true
			keys = append(keys, key)
		}
	}
	n, err := p.Store.DeleteKeys(c.UserContext(), keys)
	if err != nil {
		return 0, err
	}
	p.Pool.Remove(keys...)
	p.announce(cluster.Keys)
	k.ids.forget(p.Info.ID, keys...)
	k.h.log.Info("admin: keys deleted", "provider", p.Info.ID, "asked", len(given), "deleted", n)
	return n, nil
}
