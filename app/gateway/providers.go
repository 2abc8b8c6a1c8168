package gateway

import (
	"context"
	"log/slog"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/tokens"
)

// buildProvider loads one provider's switch, keys and tokens from the
// store, and links them to the other instances when there are any.
func (g *Gateway) buildProvider(ctx context.Context, info *provider.Provider) (*admin.Provider, error) {
	st := store.New(g.db, info.Prefix)
	loadSwitch := func(ctx context.Context) error { // the admin's runtime switch, kept across restarts
		on, err := st.ProviderEnabled(ctx)
		if err == nil {
			info.SetEnabled(on)
		}
		return err
	}
	if err := loadSwitch(ctx); err != nil {
		return nil, err
	}
	pcfg := pool.Config{Cooldown: g.cfg.KeyCooldown}
	if g.cluster != nil {
		pcfg.Announce = g.cluster.Announcer(info.ID)
	}
	pl := pool.New(pcfg, st, g.log.With("provider", info.ID))
	if err := pl.Load(ctx); err != nil {
		return nil, err
	}
	toks := tokens.New(st)
	if err := toks.Load(ctx); err != nil {
		return nil, err
	}
	if g.cluster != nil {
		member := cluster.Provider{Pool: pl, Tokens: toks, LoadSwitch: loadSwitch}
		if g.cache != nil && g.limits.redis == nil {
			// An in-memory cache is this instance's own: a clear on
			// another instance must reach it. On Redis, one clear is enough.
			member.ClearCache = func(ctx context.Context) error { _, err := g.cache.Clear(ctx, info.ID); return err }
		}
		g.cluster.Add(info.ID, member)
	}
	tracker := health.New(health.Config{Label: info.Label, Keys: g.cfg.KeyFailureThreshold, PoolSize: pl.Len,
		Log: g.log.With("provider", info.ID)})
	g.log.Info("provider ready", "provider", info.ID, "enabled", info.Enabled(), "keys", pl.Len(), "tokens", toks.Len(), "upstream", info.BaseURL)
	return &admin.Provider{Info: info, Store: st, Pool: pl, Tokens: toks, Health: tracker, Cluster: g.cluster}, nil
}

// enabledProviders lists the providers the configuration leaves on.
func enabledProviders(cfg config.Config) []*provider.Provider {
	var out []*provider.Provider
	if !cfg.DisableOllama {
		out = append(out, provider.New(provider.Ollama, cfg.OllamaBaseURL))
	}
	if !cfg.DisableOpenRouter {
		p := provider.New(provider.OpenRouter, cfg.OpenRouterBaseURL)
		p.Headers = map[string]string{"HTTP-Referer": cfg.OpenRouterAppURL, "X-Title": cfg.OpenRouterTitle}
		out = append(out, p)
	}
	return out
}

// Migrate opens the configured database, applies the migrations of the
// enabled providers and closes it: the "keypool migrate" command.
func Migrate(ctx context.Context, cfg config.Config, log *slog.Logger) error {
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return err
	}
	defer db.Close()
	return migrate(ctx, db, enabledProviders(cfg), log)
}

func migrate(ctx context.Context, db *store.DB, providers []*provider.Provider, log *slog.Logger) error {
	prefixes := make([]string, len(providers))
	for i, p := range providers {
		prefixes[i] = p.Prefix
	}
	applied, err := db.Migrate(ctx, prefixes)
	if err != nil {
		return err
	}
	log.Info("database schema up to date", "database", db.Where, "applied", applied)
	return nil
}
