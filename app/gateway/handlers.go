package gateway

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/proxy"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/web"
)

// buildHandlers builds the operator's actions and their two faces, the
// admin API and the pages, so both show and do the same.
func (g *Gateway) buildHandlers(ctx context.Context, first *provider.Provider, targets map[string]*proxy.Target) error {
	cfg := operator.Config{
		MaxImportBytes:      g.cfg.MaxImportBytes,
		ValidateConcurrency: g.cfg.ValidateConcurrency,
		ProbeTimeout:        g.cfg.ProbeTimeout,
		OllamaProbeModel:    g.cfg.OllamaProbeModel,
		PublicStatsTTL:      g.cfg.PublicStatsTTL,
	}
	if g.cache != nil {
		cfg.Cache = g.cache
	}
	g.ops = operator.New(cfg, g.providers, g.log)
	if err := g.ops.Start(ctx); err != nil {
		return err
	}
	g.api = admin.New(g.cfg.AdminToken, g.ops, g.log)
	g.api.ShowTimesIn(g.cfg.DisplayTimezone)
	deps := web.Deps{Config: g.cfg, Providers: g.providers, Stats: g.ops, DB: g.db, DBName: g.db.Where, Log: g.log,
		Public: g.ops, Routes: func() []fiber.Route { return g.app.GetRoutes(true) },
		Keys: g.ops, Imports: g.ops, Tokens: g.ops, Jobs: g.ops, Playground: map[string]web.Trial{}}
	for id, t := range targets {
		chat, models := g.proxy.Trial(t)
		deps.Playground[id] = web.Trial{Chat: chat, Models: models}
	}
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
