package admin

import (
	"context"
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/store"
)

// Overview is one provider's figures for the dashboard: what GET
// /admin/stats answers, plus the number of client tokens.
type Overview struct {
	Provider string
	store.Totals
	Keys   pool.Counts      // current key states, from the in-memory pool
	Models []store.ModelRow // the top models by requests
	Tokens int              // client tokens loaded
}

// Overview reads providerID's figures ("" → ollama) through the same
// reads and provider rules as GET /admin/stats, so the dashboard and the
// JSON API never disagree. Errors are *Error for an unknown or disabled
// provider.
func (h *Handler) Overview(ctx context.Context, providerID string) (Overview, error) {
	p, err := h.provider(providerID)
	if err != nil {
		return Overview{}, err
	}
	rd := newStatsRoutes(h).reader(p)
	totals, err := rd.GlobalStats(ctx)
	if err != nil {
		return Overview{}, err
	}
	models, err := rd.TopModels(ctx, topModels)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{Provider: p.Info.ID, Totals: totals, Keys: p.Pool.Counts(), Models: models}
	if p.Tokens != nil {
		out.Tokens = p.Tokens.Len()
	}
	return out, nil
}

// HourlySeries returns providerID's series for the UTC hours in
// [from, to), one point per hour, through the same read as GET
// /admin/stats/hourly.
func (h *Handler) HourlySeries(ctx context.Context, providerID string, from, to time.Time) ([]store.HourPoint, error) {
	p, err := h.provider(providerID)
	if err != nil {
		return nil, err
	}
	return newStatsRoutes(h).reader(p).HourlySeries(ctx, from, to, "")
}
