// Package proxy serves the client-facing OpenAI-compatible routes: it checks
// the client token, picks a key from the provider's pool, forwards the body
// byte for byte, fails over to the next key on key and upstream errors
// before anything reached the client, and streams the answer back chunk by
// chunk. Each finished request is handed to a stats.Recorder.
//
// It is shaped like net/http/httputil.ReverseProxy: one type, provider
// quirks behind app/provider, hop-by-hop headers stripped, an immediate
// flush per stream chunk and cancellation in both directions.
package proxy

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/app/clientwatch"
	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/tokens"
)

// Target is one provider as the proxy serves it.
type Target struct {
	Provider *provider.Provider
	Pool     *pool.Pool
	Tokens   *tokens.Set
	// Health is the provider's circuit breakers; nil: none (every failure
	// is tried on the next key, none opens a breaker).
	Health *health.Tracker
	// Observer receives the target's metrics; nil drops them.
	Observer Observer

	tags tagsCache // Ollama's merged model list
}

// Config tunes the proxy.
type Config struct {
	MaxRetries        int           // keys tried per request (MAX_RETRIES)
	UpstreamTimeout   time.Duration // time to the upstream's response headers (UPSTREAM_TIMEOUT)
	StreamIdleTimeout time.Duration // longest silence inside an answer (STREAM_IDLE_TIMEOUT)
	MaxResponseBytes  int64         // largest non-stream answer read into memory
	MaxBodyBytes      int           // largest client body (MAX_BODY_BYTES); 0: no limit here
	// StreamUsage asks Ollama streams for usage (stream_options.include_usage)
	// when the client did not, and hides the extra chunk from the client.
	StreamUsage bool
	// ModelsCacheTTL is how long the merged /api/tags answer is kept.
	ModelsCacheTTL time.Duration
	// Limiter enforces client tokens' rpm and tpm limits; nil: none.
	Limiter Limiter
	// Cache answers repeated non-stream chat requests; nil: no response cache.
	Cache Cache
	// CacheAll caches requests with a temperature above 0 too (CACHE_ALL).
	CacheAll bool
	// ModelsRequireToken closes the model lists ({prefix}/models,
	// /api/tags) to callers without a client token (MODELS_REQUIRE_TOKEN).
	ModelsRequireToken bool
}

// Proxy forwards client requests to upstream providers.
type Proxy struct {
	cfg      Config
	upstream *http.Transport // used without http.Client: see send
	recorder stats.Recorder
	log      *slog.Logger
	watcher  *clientwatch.Watcher
	streams  atomic.Int64 // answers being streamed after their handler returned
}

// Streams is the number of answers still being streamed to clients.
func (p *Proxy) Streams() int64 { return p.streams.Load() }

// New returns a proxy. Call Run to start its client watcher.
func New(cfg Config, rec stats.Recorder, log *slog.Logger) *Proxy {
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = 3
	}
	if cfg.UpstreamTimeout <= 0 {
		cfg.UpstreamTimeout = 60 * time.Second
	}
	if cfg.StreamIdleTimeout <= 0 {
		cfg.StreamIdleTimeout = 120 * time.Second
	}
	if cfg.ModelsCacheTTL <= 0 {
		cfg.ModelsCacheTTL = 5 * time.Minute
	}
	if cfg.MaxResponseBytes <= 0 {
		cfg.MaxResponseBytes = 64 << 20
	}
	return &Proxy{
		cfg:      cfg,
		upstream: newTransport(cfg.UpstreamTimeout),
		recorder: rec,
		log:      log,
		watcher:  clientwatch.New(clientwatch.DefaultInterval),
	}
}

// Run watches clients and idle streams until ctx ends. At the end it closes the idle upstream connections.
func (p *Proxy) Run(ctx context.Context) {
	p.watcher.Run(ctx)
	p.upstream.CloseIdleConnections()
}

// newTransport is tuned for many concurrent requests to few hosts: a large
// idle pool per host, and compression off so bytes pass through unchanged.
func newTransport(headerTimeout time.Duration) *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   1024,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: headerTimeout,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		// Chat bodies are a few KB and answers are read line by line or
		// whole; bigger buffers only cost memory per connection (64 KB
		// each at 32 KB apiece: 128 MB at 2,000 requests in flight).
		WriteBufferSize: 4 << 10,
		ReadBufferSize:  8 << 10,
	}
}
