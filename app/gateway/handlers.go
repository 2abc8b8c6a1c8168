package gateway

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/web"
)

// buildHandlers builds the admin API and the pages; the pages read their
// figures through the admin API's handler, so both show the same.
func (g *Gateway) buildHandlers(ctx context.Context, first *provider.Provider) error {
	g.api = admin.New(admin.Config{
		AdminToken:          g.cfg.AdminToken,
		MaxImportBytes:      g.cfg.MaxImportBytes,
		ValidateConcurrency: g.cfg.ValidateConcurrency,
		ProbeTimeout:        g.cfg.ProbeTimeout,
		OllamaProbeModel:    g.cfg.OllamaProbeModel,
		PublicStatsTTL:      g.cfg.PublicStatsTTL,
		Cache:               g.cache,
	}, g.providers, g.log)
	g.public = g.api.NewPublicStats()
	deps := web.Deps{Config: g.cfg, Providers: g.providers, Stats: g.api, DB: g.db, DBName: g.db.Where, Log: g.log,
		Public: g.public, Routes: func() []fiber.Route { return g.app.GetRoutes(true) }}
	g.dash = admin.NewPages(g.api)
	deps.Keys, deps.Imports, deps.Tokens, deps.Jobs = g.dash, g.dash, g.dash, g.dash
	// Dashboard sessions are signed with a secret kept in the database, so
	// they survive restarts and every instance accepts them; with Redis,
	// CSRF tokens and sign-outs are shared too.
	secret, err := store.New(g.db, first.Prefix).SettingOnce(ctx, "dashboard_secret", randomHex(32))
	if err != nil {
		return err
	}
	deps.SessionSecret = []byte(secret)
	if rdb := g.limits.redis; rdb != nil {
		deps.Redis = web.PingFunc(func(ctx context.Context) error { return rdb.Ping(ctx).Err() })
		id, err := g.deploymentID(ctx, first)
		if err != nil {
			return err
		}
		deps.Storage = web.NewRedisStorage(rdb, "keypool:web:"+id+":", g.log)
	}
	pages, err := web.New(deps)
	g.pages = pages
	return err
}
