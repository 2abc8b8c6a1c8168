// Package gateway builds a whole Keypool from its configuration — database,
// migrations, providers, pools, proxy, admin API — and serves it. main and
// the integration tests both start the gateway through it.
package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/clientwatch"
	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/metrics"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/playground"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/proxy"
	"github.com/keypool/keypool/app/respcache"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/web"
)

// Gateway is a running Keypool.
type Gateway struct {
	cfg       config.Config
	log       *slog.Logger
	db        *store.DB
	app       *fiber.App
	proxy     *proxy.Proxy
	providers map[string]*backend.Provider
	stats     *stats.Aggregator // nil when statistics are off
	ops       *operator.Service // the operator's actions, under both faces:
	api       *admin.Handler    // the admin JSON API
	pages     *web.Handler      // dashboard and public pages
	templates *playground.Handler
	version   string    // reported by /health
	started   time.Time // /health's uptime counts from here
	deployID  string    // deploymentID, once read
	conns     *connTracker
	lnMu      sync.Mutex
	listeners []net.Listener
	shutDown  bool // Serve after Shutdown returns at once
	running   handlers
	metrics   *metrics.Metrics
	limits    limits           // rate limiting and the Redis it may share
	cluster   *cluster.Cluster // the other instances on the database; nil on SQLite
	cache     respcache.Cache  // the response cache; nil when CACHE_TTL is 0

	// watch ends the admin and page requests whose client left.
	watch *clientwatch.Watcher

	stop context.CancelFunc // ends the background loops
	bg   sync.WaitGroup
}

// Options are what a caller may set beyond the configuration.
type Options struct {
	Recorder stats.Recorder // nil: the statistics aggregator (unless STATS_ENABLED=false)
	Version  string         // the build's version, for /health; empty: "dev"
}

// New opens the database, migrates it, loads keys and tokens and builds the
// HTTP app. Background loops start at once; Shutdown stops them.
func New(ctx context.Context, cfg config.Config, log *slog.Logger, opts Options) (*Gateway, error) {
	db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
	if err != nil {
		return nil, err
	}
	g := &Gateway{cfg: cfg, log: log, db: db, providers: map[string]*backend.Provider{}, version: opts.Version, started: time.Now()}
	if g.version == "" {
		g.version = "dev"
	}
	if err := g.build(ctx, opts); err != nil {
		db.Close()
		g.limits.close()
		return nil, err
	}
	return g, nil
}

func (g *Gateway) build(ctx context.Context, opts Options) error {
	enabled := enabledProviders(g.cfg)
	if err := migrate(ctx, g.db, enabled, g.log); err != nil {
		return err
	}

	bgCtx, stop := context.WithCancel(context.Background())
	g.stop = stop
	g.metrics = metrics.New(0)
	if err := g.buildLimits(ctx); err != nil {
		return err
	}
	cl, err := g.buildCluster(ctx, enabled[0])
	if err != nil {
		return err
	}
	g.cluster = cl
	g.cache = g.buildCache()
	pools := map[string]metrics.PoolCounter{}
	trackers := map[string]metrics.HealthState{}
	targets := map[string]*proxy.Target{}
	writers := map[string]stats.Writer{}
	retention := &stats.Retention{Days: g.cfg.StatsRetentionDays, Log: g.log}
	for _, info := range enabled {
		p, err := g.buildProvider(ctx, info)
		if err != nil {
			return err
		}
		g.providers[info.ID] = p
		targets[info.ID] = &proxy.Target{Provider: info, Pool: p.Pool, Tokens: p.Tokens, Health: p.Health,
			Observer: g.metrics.Provider(info.ID)}
		pools[info.ID] = p.Pool
		trackers[info.ID] = p.Health
		writers[info.ID] = p.Store
		retention.Pruners = append(retention.Pruners, p.Store)
		g.goBackground(func() { _ = p.Pool.Run(bgCtx) })
	}

	g.metrics.WatchHealth(trackers)
	if cl != nil {
		g.metrics.WatchCluster(cl)
		g.goBackground(func() { cl.Run(bgCtx) })
	}

	rec := opts.Recorder
	if rec == nil && g.cfg.StatsEnabled {
		g.stats = stats.NewAggregator(writers, g.cfg.StatsFlushInterval, g.log)
		rec = g.stats
		g.goBackground(func() { g.stats.Run(bgCtx) })
		g.goBackground(func() { retention.Run(bgCtx) })
	}
	if rec == nil {
		rec = stats.Discard{}
	}
	if g.stats != nil {
		g.metrics.WatchState(pools, g.stats)
	} else {
		g.metrics.WatchState(pools, nil)
	}
	g.proxy = proxy.New(proxy.Config{
		MaxRetries:        g.cfg.MaxRetries,
		UpstreamTimeout:   g.cfg.UpstreamTimeout,
		StreamIdleTimeout: g.cfg.StreamIdleTimeout,
		StreamUsage:       g.cfg.StreamUsage,
		ModelsCacheTTL:    g.cfg.ModelsCacheTTL,
		MaxBodyBytes:      g.cfg.MaxBodyBytes,
		MaxResponseBytes:  int64(g.cfg.MaxResponseBytes),
		Limiter:           g.limits.limiter,
		Cache:             g.cache,
		CacheAll:          g.cfg.CacheAll,

		ModelsRequireToken: g.cfg.ModelsRequireToken,
	}, rec, g.log)
	g.goBackground(func() { g.proxy.Run(bgCtx) })
	g.goBackground(func() { g.releaseMemory(bgCtx) })

	if err := g.buildHandlers(ctx, enabled[0], targets); err != nil {
		return err
	}
	if g.templates, err = playground.New(); err != nil {
		return err
	}
	g.watch = clientwatch.New(clientwatch.DefaultInterval)
	g.goBackground(func() { g.watch.Run(bgCtx) })
	g.app = g.newApp()
	g.routes(targets[provider.Ollama], targets[provider.OpenRouter])
	return nil
}

func (g *Gateway) goBackground(f func()) {
	g.bg.Add(1)
	go func() {
		defer g.bg.Done()
		f()
	}()
}

// App is the HTTP app, for app.Test in tests.
func (g *Gateway) App() *fiber.App { return g.app }

// Serve answers requests on ln until Shutdown.
func (g *Gateway) Serve(ln net.Listener) error {
	g.lnMu.Lock()
	if g.shutDown {
		g.lnMu.Unlock()
		ln.Close()
		return nil
	}
	g.listeners = append(g.listeners, ln)
	g.lnMu.Unlock()
	err := g.app.Listener(ln)
	if errors.Is(err, net.ErrClosed) {
		return nil
	}
	return err
}

// Shutdown stops accepting connections, lets requests in flight finish
// until ctx ends, then stops the background loops (which write what is
// pending) and closes the database.
func (g *Gateway) Shutdown(ctx context.Context) error {
	err := g.drain(ctx)
	// fasthttp closes only the listeners its Serve had registered; one
	// whose Serve had not started yet would block in Accept for ever.
	g.lnMu.Lock()
	g.shutDown = true
	for _, ln := range g.listeners {
		ln.Close()
	}
	g.lnMu.Unlock()
	jobsCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	if jerr := g.ops.Stop(jobsCtx); jerr != nil {
		g.log.Warn("gateway: " + jerr.Error())
	}
	cancel()
	g.stop()
	done := make(chan struct{})
	go func() { g.bg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		g.log.Warn("gateway: background loops did not stop in 10s")
	}
	g.limits.close()
	if cerr := g.db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("gateway: close database: %w", cerr)
	}
	return err
}
