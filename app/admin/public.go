package admin

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
)

// PublicFigures are a provider's public statistics, the answer of GET
// /admin/public-stats: totals, key counts, the last 24 hours and the top
// models. They hold no key, token or user name, not even masked.
type PublicFigures = publicStats

// PublicModel is one of the top models in PublicFigures.
type PublicModel = publicModel

// PublicStats is the public statistics cache of a Handler's providers. One
// PublicStats serves both GET /admin/public-stats (RoutesSharing) and the
// public statistics page (Figures), so that their viewers together cost
// one query set per provider per PUBLIC_STATS_TTL.
type PublicStats struct{ st *statsRoutes }

// NewPublicStats returns an empty public statistics cache over h's providers.
func (h *Handler) NewPublicStats() *PublicStats { return &PublicStats{st: newStatsRoutes(h)} }

// RoutesSharing registers the admin API as Routes does, with the public
// statistics answered from ps.
func (h *Handler) RoutesSharing(r fiber.Router, ps *PublicStats) { h.routes(r, ps.st) }

// Figures returns a provider's public figures ("" for the default
// provider) from the cache GET /admin/public-stats answers from. The
// figures are shared by every caller: read them, never change them.
func (ps *PublicStats) Figures(ctx context.Context, providerID string) (*PublicFigures, error) {
	s := ps.st
	p, err := s.h.provider(providerID)
	if err != nil {
		return nil, err
	}
	return s.public.Get(ctx, p.Info.ID, s.publicTTL, func(ctx context.Context) (*publicStats, error) {
		ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		return s.loadPublic(ctx, p)
	})
}

// TTL is how long figures are served from memory.
func (ps *PublicStats) TTL() time.Duration { return ps.st.publicTTL }
