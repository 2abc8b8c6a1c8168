package admin

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/cache"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
)

// statsReader is what the statistics routes read from a provider's store.
type statsReader interface {
	GlobalStats(ctx context.Context) (store.Totals, error)
	TopModels(ctx context.Context, limit int) ([]store.ModelRow, error)
	KeyStatsPage(ctx context.Context, q store.KeyStatsQuery) ([]store.KeyStatsRow, int64, error)
	HourlySeries(ctx context.Context, from, to time.Time, model string) ([]store.HourPoint, error)
}

// statsRoutes serves the statistics API and holds the public-stats cache.
type statsRoutes struct {
	h *Handler
	// publicTTL is how long a provider's public statistics are answered
	// from memory. Misses are shared even at 0: a burst of requests costs
	// one query set.
	publicTTL time.Duration
	public    *cache.Cache[*publicStats]
	reader    func(*Provider) statsReader // the provider's store; tests wrap it
	now       func() time.Time
}

func newStatsRoutes(h *Handler) *statsRoutes {
	ttl := h.cfg.PublicStatsTTL
	if ttl <= 0 {
		ttl = 5 * time.Second
	}
	return &statsRoutes{h: h, publicTTL: ttl, public: cache.New[*publicStats](),
		reader: func(p *Provider) statsReader { return p.Store }, now: time.Now}
}

const topModels = 10

// statsAnswer is GET /admin/stats: totals, key counts, top models.
type statsAnswer struct {
	Provider string `json:"provider"`
	store.Totals
	Keys   pool.Counts      `json:"keys"`
	Models []store.ModelRow `json:"models"`
}

// getStats answers the provider's totals (from the store) and key counts
// (from the in-memory pool, which holds the current states).
func (s *statsRoutes) getStats(c *fiber.Ctx) error {
	p, err := s.h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	ctx, rd := c.UserContext(), s.reader(p)
	totals, err := rd.GlobalStats(ctx)
	if err != nil {
		return err
	}
	models, err := rd.TopModels(ctx, topModels)
	if err != nil {
		return err
	}
	return c.JSON(statsAnswer{Provider: p.Info.ID, Totals: totals, Keys: p.Pool.Counts(), Models: models})
}

// keyStatsAnswer is one page of GET /admin/keys/stats.
type keyStatsAnswer struct {
	Page    int                 `json:"page"`
	PerPage int                 `json:"per_page"`
	Total   int64               `json:"total"`
	Keys    []store.KeyStatsRow `json:"keys"`
}

// listKeyStats answers one page of keys with their usage: ?page= (from 1),
// ?per_page= (≤ 500), ?sort=, ?order=asc|desc (default desc, asc for key),
// ?reveal=true for whole keys instead of masked ones.
func (s *statsRoutes) listKeyStats(c *fiber.Ctx) error {
	p, err := s.h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	page, err := intParam(c, "page", 1, 1, 1_000_000_000)
	if err != nil {
		return err
	}
	perPage, err := intParam(c, "per_page", 50, 1, 500)
	if err != nil {
		return err
	}
	sort := c.Query("sort", "requests")
	if !store.ValidKeySort(sort) {
		return errorf(fiber.StatusBadRequest, "sort must be requests, success_rate, failures, last_used or key")
	}
	order := c.Query("order", "desc")
	if sort == "key" {
		order = c.Query("order", "asc") // A→Z unless asked otherwise
	}
	if order != "asc" && order != "desc" {
		return errorf(fiber.StatusBadRequest, "order must be asc or desc")
	}
	reveal, err := strconv.ParseBool(c.Query("reveal", "false"))
	if err != nil {
		return errorf(fiber.StatusBadRequest, "reveal must be true or false")
	}
	rows, total, err := s.reader(p).KeyStatsPage(c.UserContext(), store.KeyStatsQuery{Sort: sort, Desc: order == "desc",
		Limit: perPage, Offset: (page - 1) * perPage})
	if err != nil {
		return err
	}
	if reveal {
		s.h.log.Info("admin: whole keys shown", "provider", p.Info.ID, "page", page, "keys", len(rows))
	}
	for i := range rows {
		// The pool's state is the current one; the store's may lag behind.
		if k, ok := p.Pool.Get(rows[i].APIKey); ok {
			rows[i].Status = k.State().Status
		}
		if !reveal {
			rows[i].APIKey = redact.Key(rows[i].APIKey)
		}
	}
	return c.JSON(keyStatsAnswer{Page: page, PerPage: perPage, Total: total, Keys: rows})
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
func (s *statsRoutes) getHourly(c *fiber.Ctx) error {
	p, err := s.h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	hours, err := intParam(c, "hours", 24, 24, 720)
	if err != nil || (hours != 24 && hours != 168 && hours != 720) {
		return errorf(fiber.StatusBadRequest, "hours must be 24, 168 or 720")
	}
	model := c.Query("model")
	series, err := s.hourly(c.UserContext(), p, hours, model)
	if err != nil {
		return err
	}
	return c.JSON(hourlyAnswer{Provider: p.Info.ID, Hours: hours, Model: model, Series: series})
}

// hourly reads the hours up to and including the current one.
func (s *statsRoutes) hourly(ctx context.Context, p *Provider, hours int, model string) ([]store.HourPoint, error) {
	next := s.now().UTC().Truncate(time.Hour).Add(time.Hour)
	return s.reader(p).HourlySeries(ctx, next.Add(-time.Duration(hours)*time.Hour), next, model)
}

// publicStats is GET /admin/public-stats: figures anyone may see. It holds
// no key, token or user name, not even masked.
type publicStats struct {
	Provider         string            `json:"provider"`
	TotalRequests    int64             `json:"total_requests"`
	SuccessCount     int64             `json:"success_count"`
	FailureCount     int64             `json:"failure_count"`
	SuccessRate      float64           `json:"success_rate"`
	PromptTokens     int64             `json:"prompt_tokens"`
	CompletionTokens int64             `json:"completion_tokens"`
	Keys             publicKeys        `json:"keys"`
	Hourly           []store.HourPoint `json:"hourly"`
	Models           []publicModel     `json:"models"`
	UpdatedAt        *time.Time        `json:"updated_at"`
}

type publicKeys struct {
	Total  int `json:"total"`
	Active int `json:"active"`
	Failed int `json:"failed"`
}

type publicModel struct {
	Model       string     `json:"model"`
	Requests    int64      `json:"requests"`
	SuccessRate float64    `json:"success_rate"`
	Tokens      int64      `json:"tokens"` // prompt + completion
	LastUsed    *time.Time `json:"last_used"`
}

// getPublicStats answers from the cache: one query set per provider per
// publicTTL, however many pages ask at once.
func (s *statsRoutes) getPublicStats(c *fiber.Ctx) error {
	p, err := s.h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	out, err := s.public.Get(c.UserContext(), p.Info.ID, s.publicTTL, func(ctx context.Context) (*publicStats, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return s.loadPublic(ctx, p)
	})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age="+strconv.Itoa(int(s.publicTTL.Seconds())))
	return c.JSON(out)
}

// loadPublic runs the public query set: totals, top models, 24 hours.
func (s *statsRoutes) loadPublic(ctx context.Context, p *Provider) (*publicStats, error) {
	rd := s.reader(p)
	t, err := rd.GlobalStats(ctx)
	if err != nil {
		return nil, err
	}
	models, err := rd.TopModels(ctx, topModels)
	if err != nil {
		return nil, err
	}
	hourly, err := s.hourly(ctx, p, 24, "")
	if err != nil {
		return nil, err
	}
	counts := p.Pool.Counts()
	out := &publicStats{Provider: p.Info.ID, TotalRequests: t.TotalRequests, SuccessCount: t.SuccessCount,
		FailureCount: t.FailureCount, SuccessRate: t.SuccessRate, PromptTokens: t.PromptTokens,
		CompletionTokens: t.CompletionTokens, UpdatedAt: t.UpdatedAt, Hourly: hourly, Models: []publicModel{},
		Keys: publicKeys{Total: counts.Total, Active: counts.Active, Failed: counts.Failed}}
	for _, m := range models {
		out.Models = append(out.Models, publicModel{Model: m.Model, Requests: m.TotalRequests, SuccessRate: m.SuccessRate,
			Tokens: m.PromptTokens + m.CompletionTokens, LastUsed: m.LastUsed})
	}
	return out, nil
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	v := c.Query(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, errorf(fiber.StatusBadRequest, "%s must be a whole number from %d to %d", name, lo, hi)
	}
	return n, nil
}
