// Package metrics holds Keypool's Prometheus metrics: one registry per
// gateway (never the global default), counters the proxy feeds on the hot
// path through pre-resolved series, and collectors that read the key pools
// and the statistics aggregator when scraped.
package metrics

import (
	"fmt"
	"io"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/common/expfmt"
)

// Rate-limit scopes, the values of the scope label of rate_limited_total.
const (
	ScopeIP       = "ip"
	ScopeTokenRPM = "token_rpm"
	ScopeTokenTPM = "token_tpm"
)

// DefaultMaxModels is how many distinct model names a provider's request
// counter keeps; later names are counted as "other".
const DefaultMaxModels = 100

// Metrics is one gateway's registry and its collectors.
type Metrics struct {
	reg         *prometheus.Registry
	requests    *prometheus.CounterVec
	upstream    *prometheus.HistogramVec
	retries     *prometheus.CounterVec
	rateLimited *prometheus.CounterVec
	cacheHits   prometheus.Counter
	cacheMisses prometheus.Counter
	maxModels   int

	scopes map[string]prometheus.Counter // pre-resolved rate_limited_total children

	mu        sync.Mutex
	providers map[string]*Provider
}

// New returns a registry with Keypool's metrics and the Go runtime's and
// process's. maxModels caps the model label per provider (0: DefaultMaxModels).
func New(maxModels int) *Metrics {
	if maxModels <= 0 {
		maxModels = DefaultMaxModels
	}
	m := &Metrics{
		reg:       prometheus.NewRegistry(),
		maxModels: maxModels,
		providers: map[string]*Provider{},
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keypool_requests_total",
			Help: "Proxied client requests by provider, model (capped; \"other\" past the cap) and final HTTP status.",
		}, []string{"provider", "model", "status"}),
		upstream: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "keypool_upstream_latency_seconds",
			Help:    "Time from sending an upstream attempt to its response headers (or its failure).",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"provider"}),
		retries: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keypool_retries_total",
			Help: "Failover attempts: upstream attempts with another key after one failed.",
		}, []string{"provider"}),
		rateLimited: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "keypool_rate_limited_total",
			Help: "Client requests refused with 429 by Keypool's own limits, by scope (ip, token_rpm, token_tpm).",
		}, []string{"scope"}),
		cacheHits: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keypool_cache_hits_total", Help: "Client requests answered from the response cache.",
		}),
		cacheMisses: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "keypool_cache_misses_total", Help: "Cacheable client requests not found in the response cache.",
		}),
	}
	m.scopes = map[string]prometheus.Counter{}
	for _, s := range []string{ScopeIP, ScopeTokenRPM, ScopeTokenTPM} {
		m.scopes[s] = m.rateLimited.WithLabelValues(s)
	}
	m.reg.MustRegister(m.requests, m.upstream, m.retries, m.rateLimited, m.cacheHits, m.cacheMisses,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is the gateway's registry, for collectors registered elsewhere.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Provider returns the pre-resolved series of one provider, made on first use.
func (m *Metrics) Provider(id string) *Provider {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.providers[id]
	if !ok {
		p = newProvider(m, id)
		m.providers[id] = p
	}
	return p
}

// RateLimited counts a request refused by one of Keypool's limits.
func (m *Metrics) RateLimited(scope string) {
	if c, ok := m.scopes[scope]; ok {
		c.Inc()
		return
	}
	m.rateLimited.WithLabelValues(scope).Inc()
}

// CacheHit counts a request answered from the response cache.
func (m *Metrics) CacheHit() { m.cacheHits.Inc() }

// CacheMiss counts a cacheable request the cache did not hold.
func (m *Metrics) CacheMiss() { m.cacheMisses.Inc() }

// ContentType is the media type WriteText writes.
var ContentType = string(expfmt.NewFormat(expfmt.TypeTextPlain))

// WriteText gathers every metric and writes it in Prometheus's text format.
func (m *Metrics) WriteText(w io.Writer) error {
	families, err := m.reg.Gather()
	if err != nil {
		return fmt.Errorf("metrics: gather: %w", err)
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("metrics: encode: %w", err)
		}
	}
	return nil
}
