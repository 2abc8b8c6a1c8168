// Package backend is one upstream provider as this instance runs it: the
// provider's facts, its store scoped to its tables, its key pool, its
// client tokens, its health tracker and its link to the other instances.
// The gateway builds one Provider per enabled provider with New, and the
// proxy, the cluster, the metrics and the operator's actions take from it
// what they need; tests build it with the same New.
package backend

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/tokens"
)

// Provider is one enabled provider with everything that runs for it.
type Provider struct {
	Info   *provider.Provider
	Store  *store.Store
	Pool   *pool.Pool
	Tokens *tokens.Set
	Health *health.Tracker // the provider's and its models' circuit breakers
	// Cluster tells the other instances what changed in the store; nil
	// when this instance is alone (a nil *cluster.Cluster ignores calls).
	Cluster *cluster.Cluster
}

// Config is what New takes from the configuration.
type Config struct {
	KeyCooldown         time.Duration // KEY_COOLDOWN
	KeyFailureThreshold int           // KEY_FAILURE_THRESHOLD: distinct keys that open a breaker
	Cluster             *cluster.Cluster
	Log                 *slog.Logger
}

// New loads one provider's switch, keys and tokens from db and builds its
// pool, token set and health tracker, announced to the other instances
// when cfg.Cluster is set. The caller adds it to the cluster (Member) and
// runs its pool.
func New(ctx context.Context, cfg Config, info *provider.Provider, db *store.DB) (*Provider, error) {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	p := &Provider{Info: info, Store: store.New(db, info.Prefix), Cluster: cfg.Cluster}
	if err := p.LoadSwitch(ctx); err != nil {
		return nil, fmt.Errorf("backend: %s: read the provider switch: %w", info.ID, err)
	}
	pcfg := pool.Config{Cooldown: cfg.KeyCooldown}
	if cfg.Cluster != nil {
		pcfg.Announce = cfg.Cluster.Announcer(info.ID)
		pcfg.AnnounceKeys = cfg.Cluster.KeysAnnouncer(info.ID)
	}
	p.Pool = pool.New(pcfg, p.Store, log.With("provider", info.ID))
	if err := p.Pool.Load(ctx); err != nil {
		return nil, err
	}
	p.Tokens = tokens.New(p.Store)
	if err := p.Tokens.Load(ctx); err != nil {
		return nil, err
	}
	p.Health = health.New(health.Config{Label: info.Label, Keys: cfg.KeyFailureThreshold, PoolSize: p.Pool.Len,
		Log: log.With("provider", info.ID)})
	return p, nil
}

// LoadSwitch reads the admin's runtime switch from the store again: it is
// kept across restarts and shared by the instances.
func (p *Provider) LoadSwitch(ctx context.Context) error {
	on, err := p.Store.ProviderEnabled(ctx)
	if err == nil {
		p.Info.SetEnabled(on)
	}
	return err
}

// Member is what the cluster changes in this provider when another
// instance announces something; clearCache is nil when the response cache
// is not this instance's own.
func (p *Provider) Member(clearCache func(context.Context) error) cluster.Provider {
	return cluster.Provider{Pool: p.Pool, Tokens: p.Tokens, LoadSwitch: p.LoadSwitch, ClearCache: clearCache}
}

// Announce tells the other instances that what of this provider changed
// in the store.
func (p *Provider) Announce(what cluster.Change) { p.Cluster.Changed(p.Info.ID, what) }

// ReloadTokens makes the token set see the store's tokens now, and tells
// the other instances to do the same.
func (p *Provider) ReloadTokens(ctx context.Context) error {
	p.Announce(cluster.Tokens)
	return p.Tokens.Load(ctx)
}

// Switch turns the provider's client routes on or off: persisted first (so
// a failed write changes nothing), then flipped here and on the other
// instances.
func (p *Provider) Switch(ctx context.Context, on bool) error {
	if err := p.Store.SetProviderEnabled(ctx, on); err != nil {
		return err
	}
	p.Info.SetEnabled(on)
	p.Announce(cluster.Switch)
	return nil
}
