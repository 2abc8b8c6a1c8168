// Package admin serves the JSON management API under /admin: key import,
// client tokens and, later, the rest of the operator's tools. Every route
// needs Authorization: Bearer $ADMIN_TOKEN.
package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/tokens"
)

// Provider is one enabled provider with the services the admin API uses.
type Provider struct {
	Info   *provider.Provider
	Store  *store.Store
	Pool   *pool.Pool
	Tokens *tokens.Set
	// Health is the provider's circuit breakers, as the proxy sees them.
	Health *health.Tracker
	// Cluster tells the other instances on the database what changed in
	// the store; nil when this instance is alone.
	Cluster *cluster.Cluster
}

// Handler holds the admin API's dependencies.
type Handler struct {
	// base is the context of background jobs: Close cancels it and waits
	// for them, so none outlives the gateway or writes to a closed database.
	base   context.Context
	stop   context.CancelFunc
	jobsWG sync.WaitGroup
	// closeProber releases the job prober's connections (set when the
	// job routes are made).
	closeProber func()

	// One job registry and one key-id index serve the JSON routes and the
	// dashboard alike (a dashboard job is found at /admin/jobs/:id too).
	sharedOnce sync.Once
	jr         *jobRoutes
	kr         *keyRoutes

	cfg         Config
	adminDigest [sha256.Size]byte
	providers   map[string]*Provider
	log         *slog.Logger
}

// Config is what the admin API takes from the configuration.
type Config struct {
	AdminToken          string
	MaxImportBytes      int           // MAX_IMPORT_BYTES
	ValidateConcurrency int           // VALIDATE_CONCURRENCY: key probes in flight at once
	ProbeTimeout        time.Duration // PROBE_TIMEOUT: one key probe
	OllamaProbeModel    string        // OLLAMA_PROBE_MODEL: empty probes Ollama keys with the free GET /api/balance; a model, with a 1-token chat of it
	PublicStatsTTL      time.Duration // how long public statistics are served from memory
	Cache               ResponseCache // the response cache; nil when CACHE_TTL is 0
}

// New returns the admin API for the given enabled providers.
func New(cfg Config, providers map[string]*Provider, log *slog.Logger) *Handler {
	base, stop := context.WithCancel(context.Background())
	return &Handler{base: base, stop: stop, cfg: cfg, adminDigest: sha256.Sum256([]byte(cfg.AdminToken)),
		providers: providers, log: log}
}

// Close cancels the background jobs (imports with validation, health
// checks) and waits for them until ctx ends.
func (h *Handler) Close(ctx context.Context) error {
	h.stop()
	done := make(chan struct{})
	go func() { h.jobsWG.Wait(); close(done) }()
	select {
	case <-done:
		if h.closeProber != nil {
			h.closeProber()
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("admin: background jobs still running: %w", ctx.Err())
	}
}

// Error is an admin API error, sent as {"error":"…"}.
type Error struct {
	Status  int
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("admin: %d %s", e.Status, e.Message) }

func errorf(status int, format string, args ...any) *Error {
	return &Error{Status: status, Message: fmt.Sprintf(format, args...)}
}

// requireAdmin checks the admin token in constant time (digests of equal
// length, so not even the token's length leaks).
func (h *Handler) requireAdmin(c *fiber.Ctx) error {
	auth := c.Get(fiber.HeaderAuthorization)
	const prefix = "Bearer "
	if len(auth) <= len(prefix) || !equalFoldASCII(auth[:len(prefix)], prefix) {
		return errorf(fiber.StatusUnauthorized, "missing admin token: send Authorization: Bearer YOUR_ADMIN_TOKEN")
	}
	sum := sha256.Sum256([]byte(auth[len(prefix):]))
	if subtle.ConstantTimeCompare(sum[:], h.adminDigest[:]) != 1 {
		return errorf(fiber.StatusUnauthorized, "invalid admin token")
	}
	return c.Next()
}

func equalFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i]|0x20, b[i]|0x20
		if x != y {
			return false
		}
	}
	return true
}

// provider resolves ?provider= (or the body's "provider"), default ollama.
func (h *Handler) provider(id string) (*Provider, error) {
	if id == "" {
		id = provider.Ollama
	}
	p, ok := h.providers[id]
	if ok {
		return p, nil
	}
	if id == provider.Ollama || id == provider.OpenRouter {
		return nil, errorf(fiber.StatusNotFound, "provider %q is disabled", id)
	}
	return nil, errorf(fiber.StatusBadRequest, "unknown provider %q: use ollama or openrouter", id)
}

// reloadKeys makes the pool see the store's keys now, and tells the other
// instances to do the same.
func (p *Provider) reloadKeys(ctx context.Context) error {
	p.announce(cluster.Keys)
	return p.Pool.Load(ctx)
}

// reloadTokens makes the token set see the store's tokens now, and tells
// the other instances to do the same.
func (p *Provider) reloadTokens(ctx context.Context) error {
	p.announce(cluster.Tokens)
	return p.Tokens.Load(ctx)
}

// announce tells the other instances that this provider's what changed in
// the store.
func (p *Provider) announce(what cluster.Change) { p.Cluster.Changed(p.Info.ID, what) }

// Switch turns the provider's client routes on or off: persisted first (so
// a failed write changes nothing), then flipped here and on the other
// instances. The admin API and the dashboard both switch through it.
func (p *Provider) Switch(ctx context.Context, on bool) error {
	if err := p.Store.SetProviderEnabled(ctx, on); err != nil {
		return err
	}
	p.Info.SetEnabled(on)
	p.announce(cluster.Switch)
	return nil
}

// shared returns the job routes and key routes, made once per handler.
func (h *Handler) shared() (*jobRoutes, *keyRoutes) {
	h.sharedOnce.Do(func() {
		h.jr = newJobRoutes(h)
		h.kr = newKeyRoutes(h)
	})
	return h.jr, h.kr
}
