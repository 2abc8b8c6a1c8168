package gateway

import (
	"context"
	"log/slog"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
)

// buildProvider loads one provider's switch, keys and tokens from the
// store, and links them to the other instances when there are any.
func (g *Gateway) buildProvider(ctx context.Context, info *provider.Provider) (*backend.Provider, error) {
	p, err := backend.New(ctx, backend.Config{KeyCooldown: g.cfg.KeyCooldown, KeyFailureThreshold: g.cfg.KeyFailureThreshold,
		Cluster: g.cluster, Log: g.log}, info, g.db)
	if err != nil {
		return nil, err
	}
	if g.cluster != nil {
		var clearCache func(context.Context) error
		if g.cache != nil && g.limits.redis == nil {
			// An in-memory cache is this instance's own: a clear on
			// another instance must reach it. On Redis, one clear is enough.
			clearCache = func(ctx context.Context) error { _, err := g.cache.Clear(ctx, info.ID); return err }
		}
		g.cluster.Add(info.ID, p.Member(clearCache))
	}
	g.log.Info("provider ready", "provider", info.ID, "enabled", info.Enabled(), "keys", p.Pool.Len(), "tokens", p.Tokens.Len(), "upstream", info.BaseURL)
	return p, nil
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
