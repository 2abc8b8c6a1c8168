package admin

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
)

// statsAnswer is GET /admin/stats: totals, key counts, top models.
type statsAnswer struct {
	Provider string `json:"provider"`
	store.Totals
	Keys   pool.Counts      `json:"keys"`
	Models []store.ModelRow `json:"models"`
	originalStats
}

// getStats answers the provider's totals (from the store) and key counts
// (from the in-memory pool, which holds the current states).
func (h *Handler) getStats(c *fiber.Ctx) error {
	o, err := h.ops.Overview(c.UserContext(), c.Query("provider"))
	if err != nil {
		return err
	}
	return c.JSON(statsAnswer{Provider: o.Provider, Totals: o.Totals, Keys: o.Keys, Models: o.Models,
		originalStats: statsOf(o, time.Now())})
}

// listKeyStats is GET /admin/keys/stats: one page of keys with their
// usage: ?page= (from 1), ?per_page= or ?pageSize= (≤ 500), ?sort=,
// ?order=asc|desc (default desc, asc for key), ?reveal=true for whole
// keys (in keys[].api_key and the original's stats[].fullKey; its apiKey
// stays masked).
func (h *Handler) listKeyStats(c *fiber.Ctx) error {
	out, err := h.ops.KeyStats(c.UserContext(), c.Query("provider"), operator.KeyStatsQuery{Page: c.Query("page"),
		PerPage: firstOf(c.Query("per_page"), c.Query("pageSize")), Sort: c.Query("sort"), Order: c.Query("order"),
		Reveal: c.Query("reveal")})
	if err != nil {
		return err
	}
	reveal, _ := revealOf(c) // KeyStats refused a bad one
	masked := make([]string, len(out.Keys))
	for i, k := range out.Keys {
		masked[i] = k.APIKey
		if reveal {
			masked[i] = redact.Key(k.APIKey)
		}
	}
	return c.JSON(keyStatsOf(out, masked))
}

// hourlyAnswer is GET /admin/stats/hourly.
type hourlyAnswer struct {
	Provider string            `json:"provider"`
	Hours    int               `json:"hours"`
	Model    string            `json:"model"`
	Series   []store.HourPoint `json:"series"`
}

// getHourly answers one point per UTC hour of the last ?hours= (24, 168
// or 720, the current hour last), zeros included, for ?model= or all.
func (h *Handler) getHourly(c *fiber.Ctx) error {
	p, err := h.ops.Provider(c.Query("provider"))
	if err != nil {
		return err
	}
	hours, err := operator.Int("hours", c.Query("hours"), 24, 24, 720)
	if err != nil {
		return errorf(fiber.StatusBadRequest, "hours must be 24, 168 or 720")
	}
	model := c.Query("model")
	series, err := h.ops.Hourly(c.UserContext(), p.Info.ID, hours, model)
	if err != nil {
		return err
	}
	return c.JSON(hourlyAnswer{Provider: p.Info.ID, Hours: hours, Model: model, Series: series})
}

// getPublicStats is GET /admin/public-stats, open to everyone: figures
// without any key, token or user name, from memory (one query set per
// provider per PUBLIC_STATS_TTL, shared with the /stats page).
func (h *Handler) getPublicStats(c *fiber.Ctx) error {
	out, err := h.ops.PublicFigures(c.UserContext(), c.Query("provider"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(h.ops.PublicTTL().Seconds())))
	return c.JSON(publicOf(out, h.zone))
}
