package gateway

import (
	"context"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
)

// healthReport is a superset of the original's /health ({status, service,
// version, providers.<id>.{enabled, configured}, timestamp, uptime}), so
// its monitors keep working.
type healthReport struct {
	Status    string                    `json:"status"`
	Service   string                    `json:"service"`
	Version   string                    `json:"version"`
	Database  string                    `json:"database"`
	Providers map[string]providerHealth `json:"providers"`
	Cluster   cluster.Status            `json:"cluster"` // how this instance hears from the others
	Timestamp string                    `json:"timestamp"`
	Uptime    float64                   `json:"uptime"` // seconds since the gateway started
}

// providerHealth is one provider's switches, key counts and upstream
// health: status "ok", or "degraded" while its breaker (or a model's) is
// open; "disabled", with no counts, for one left out by DISABLE_*.
type providerHealth struct {
	Enabled    bool `json:"enabled"`    // serves client requests now
	Configured bool `json:"configured"` // not left out by DISABLE_*
	*pool.Counts
	Status   string        `json:"status"`
	Upstream *health.State `json:"upstream,omitempty"`
}

// health answers load balancers and the Docker HEALTHCHECK: 200 when the
// database answers, 503 when it does not, with key counts per provider.
func (g *Gateway) health(c *fiber.Ctx) error {
	r := healthReport{Status: "ok", Service: "keypool", Version: g.version, Database: "ok",
		Providers: map[string]providerHealth{}, Cluster: g.cluster.Status()}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := g.db.Ping(ctx); err != nil {
		r.Status, r.Database = "degraded", "unreachable"
		c.Status(fiber.StatusServiceUnavailable)
	}
	for _, id := range []string{provider.Ollama, provider.OpenRouter} {
		p, ok := g.providers[id]
		if !ok {
			r.Providers[id] = providerHealth{Status: "disabled"}
			continue
		}
		counts, state := p.Pool.Counts(), p.Health.State()
		ph := providerHealth{Enabled: p.Info.Enabled(), Configured: true, Counts: &counts, Status: "ok", Upstream: &state}
		if !state.Up || len(state.Models) > 0 {
			ph.Status = "degraded"
		}
		r.Providers[id] = ph
	}
	now := time.Now()
	r.Timestamp = now.UTC().Format(time.RFC3339)
	r.Uptime = math.Round(now.Sub(g.started).Seconds()*1000) / 1000
	return c.JSON(r)
}
