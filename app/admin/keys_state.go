package admin

import (
	"math"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/redact"
)

// keyStateRequest is POST /admin/keys/enable and /admin/keys/disable: the
// key or its id, and for disable an optional duration in seconds.
type keyStateRequest struct {
	APIKey   string   `json:"api_key"`
	ID       string   `json:"id"`
	Duration *float64 `json:"duration"`
	Provider string   `json:"provider"`
}

// maxDisable bounds a disable's duration (time.Duration holds ~292 years).
const maxDisable = 100 * 365 * 24 * time.Hour

// enableKey makes a key active with counters and cooldowns cleared, at
// once in the pool (the store follows within a second), and answers its row.
func (k *keyRoutes) enableKey(c *fiber.Ctx) error {
	p, key, _, err := k.stateRequest(c)
	if err != nil {
		return err
	}
	if err := k.h.enableKey(p, key); err != nil {
		return errorf(fiber.StatusNotFound, "unknown key %s", redact.Key(key))
	}
	return k.answerKey(c, p, key)
}

// disableKey takes a key out of rotation for duration seconds, or until
// enabled when duration is absent or 0.
func (k *keyRoutes) disableKey(c *fiber.Ctx) error {
	p, key, in, err := k.stateRequest(c)
	if err != nil {
		return err
	}
	var d time.Duration
	if in.Duration != nil {
		secs := *in.Duration
		if math.IsNaN(secs) || secs < 0 || secs > maxDisable.Seconds() {
			return errorf(fiber.StatusBadRequest, "duration must be seconds from 0 (until enabled) to %d", int64(maxDisable.Seconds()))
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if err := k.h.disableKey(p, key, d); err != nil {
		return errorf(fiber.StatusNotFound, "unknown key %s", redact.Key(key))
	}
	return k.answerKey(c, p, key)
}

// stateRequest reads an enable or disable call and finds its key in the
// pool: 404 if the pool does not hold it.
func (k *keyRoutes) stateRequest(c *fiber.Ctx) (*Provider, string, keyStateRequest, error) {
	var in keyStateRequest
	if err := decodeBody(c, &in); err != nil {
		return nil, "", in, err
	}
	p, err := k.h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return nil, "", in, err
	}
	given := strings.TrimSpace(firstNonEmpty(in.APIKey, in.ID))
	if given == "" {
		return nil, "", in, errorf(fiber.StatusBadRequest, `send {"api_key":"…"} (the key or its id)`)
	}
	key, err := k.resolve(c.UserContext(), p, given)
	if err != nil {
		return nil, "", in, err
	}
	if _, ok := p.Pool.Get(key); !ok {
		return nil, "", in, errorf(fiber.StatusNotFound, "unknown key %s", redact.Key(given))
	}
	return p, key, in, nil
}

func (k *keyRoutes) answerKey(c *fiber.Ctx, p *Provider, key string) error {
	view, err := k.keyRow(c, p, key)
	if err != nil {
		return err
	}
	return c.JSON(view)
}

// enableKey makes a key active in the pool (which writes it through) and
// logs it: the one path for the API and the dashboard.
func (h *Handler) enableKey(p *Provider, key string) error {
	if err := p.Pool.Enable(key); err != nil {
		return err
	}
	h.log.Info("admin: key enabled", "provider", p.Info.ID, "key", redact.Key(key))
	return nil
}

// disableKey takes a key out of rotation for d (0: until enabled) and logs it.
func (h *Handler) disableKey(p *Provider, key string, d time.Duration) error {
	if err := p.Pool.Disable(key, d); err != nil {
		return err
	}
	h.log.Info("admin: key disabled", "provider", p.Info.ID, "key", redact.Key(key), "duration", d)
	return nil
}
