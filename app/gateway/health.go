package gateway

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
)

type healthReport struct {
	Status    string                    `json:"status"`
	Database  string                    `json:"database"`
	Providers map[string]providerHealth `json:"providers"`
	Cluster   cluster.Status            `json:"cluster"` // how this instance hears from the others
}

// providerHealth is one provider's key counts and upstream health: status
// "ok", or "degraded" while its breaker (or a model's) is open.
type providerHealth struct {
	pool.Counts
	Status   string       `json:"status"`
	Upstream health.State `json:"upstream"`
}

// health answers load balancers and the Docker HEALTHCHECK: 200 when the
// database answers, 503 when it does not, with key counts per provider.
func (g *Gateway) health(c *fiber.Ctx) error {
	r := healthReport{Status: "ok", Database: "ok", Providers: map[string]providerHealth{}, Cluster: g.cluster.Status()}
	ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
	defer cancel()
	if err := g.db.Ping(ctx); err != nil {
		r.Status, r.Database = "degraded", "unreachable"
		c.Status(fiber.StatusServiceUnavailable)
	}
	for id, p := range g.providers {
		ph := providerHealth{Counts: p.Pool.Counts(), Status: "ok", Upstream: p.Health.State()}
		if !ph.Upstream.Up || len(ph.Upstream.Models) > 0 {
			ph.Status = "degraded"
		}
		r.Providers[id] = ph
	}
	return c.JSON(r)
}
