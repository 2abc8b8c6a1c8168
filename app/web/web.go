// Package web serves Keypool's HTML: the admin dashboard (login, overview,
// settings, and placeholders for the pages still to come), the public
// landing page, and the embedded assets under /static/. Pages are templ
// components from views/, updated in place with HTMX; every figure comes
// from the same services as the admin JSON API.
package web

import (
	"context"
	"log/slog"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/views"
)

// StatsSource is what the overview reads: the operator's figures, the
// same the admin API answers.
type StatsSource interface {
	Overview(ctx context.Context, provider string) (operator.Overview, error)
	HourlySeries(ctx context.Context, provider string, from, to time.Time) ([]store.HourPoint, error)
}

// PublicSource is what the public statistics page reads: the same cached
// figures as GET /admin/public-stats.
type PublicSource interface {
	PublicFigures(ctx context.Context, provider string) (*operator.PublicFigures, error)
}

// Pinger checks that a service answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingFunc makes a Pinger of a function.
type PingFunc func(ctx context.Context) error

// Ping calls f.
func (f PingFunc) Ping(ctx context.Context) error { return f(ctx) }

// Deps are the services the pages use.
type Deps struct {
	Config    config.Config                // shown, secrets masked, on the settings page
	Providers map[string]*backend.Provider // the enabled providers
	Stats     StatsSource
	DB        Pinger
	DBName    string // description of the database safe to show (no password)
	Redis     Pinger // nil: no Redis client in this process
	Log       *slog.Logger
	// Public is the public statistics page's source: the cache behind
	// GET /admin/public-stats.
	Public PublicSource
	// Routes returns the router's table (Fiber's GetRoutes) once every
	// route is registered; the API documentation page lists it.
	Routes func() []fiber.Route
	// Keys, Imports, Tokens and Jobs are the operator's actions behind the
	// keys, bulk upload and tokens pages (one *operator.Service).
	Keys    KeyService
	Imports ImportService
	Tokens  TokenService
	Jobs    JobSource
	// SessionSecret signs dashboard sessions (with the admin token); nil:
	// a secret drawn at start, so sessions end with the process. Storage
	// keeps CSRF tokens and logged-out sessions; nil: this process's
	// memory. Instances sharing both (a secret in the database, Redis)
	// accept each other's sessions and forms.
	SessionSecret []byte
	Storage       fiber.Storage
	// Playground is each enabled provider's way through the pool for the
	// playground page, by provider id; a provider missing here has none.
	Playground map[string]Trial
}

// Handler serves the pages; its methods are the route handlers.
type Handler struct {
	deps      Deps
	providers []*backend.Provider // enabled, ollama first
	sessions  *sessions
	limiter   *loginLimiter
	csrf      fiber.Handler
	assets    *assets
	chartJS   []string // the scripts go-echarts asks for, under /static/
	trend     *trendSeries
	once      *oneTime                   // values shown once after a redirect (a new token, an import's result)
	templates []views.PlaygroundTemplate // the playground's ready-made prompts
	now       func() time.Time
}

// New returns the pages' handler. Sessions are signed with a key derived
// from the admin token and Deps.SessionSecret, so they end when the admin
// token (or the secret) changes.
func New(d Deps) (*Handler, error) {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	if d.Storage == nil {
		d.Storage = newTokenStore()
	}
	a, err := loadAssets()
	if err != nil {
		return nil, err
	}
	templates, err := playgroundTemplates()
	if err != nil {
		return nil, err
	}
	h := &Handler{deps: d, sessions: newSessions(d.Config.AdminToken, d.SessionSecret, d.Storage, 12*time.Hour), limiter: newLoginLimiter(5, time.Minute, 5*time.Minute),
		assets: a, chartJS: chartScripts(), trend: newTrendSeries(d.Stats, time.Minute),
		once: newOneTime(10*time.Minute, 1000), templates: templates, now: time.Now}
	for _, p := range d.Providers {
		h.providers = append(h.providers, p)
	}
	sort.Slice(h.providers, func(i, j int) bool { return h.providers[i].Info.ID < h.providers[j].Info.ID }) // ollama, openrouter
	h.csrf = newCSRF(h.csrfFailed, d.Storage)
	return h, nil
}
