package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Labels of models that are not counted under their own name.
const (
	modelOther = "other" // past the cap, or a name unfit for a label
	modelNone  = "none"  // requests without a model (GET /v1/models)
)

// maxModelLen is the longest model name kept as a label.
const maxModelLen = 128

// Provider is one provider's series, resolved ahead of the hot path.
// Counting a request that was seen before (same model and status) is a
// lock-free map read and an atomic add.
type Provider struct {
	m        *Metrics
	id       string
	upstream prometheus.Observer
	retries  prometheus.Counter

	series atomic.Pointer[map[series]prometheus.Counter] // copied on write

	mu     sync.Mutex          // guards models and writes of series
	models map[string]struct{} // model names counted under their own name
}

// series is one request counter's identity as the proxy sees it: the raw
// model name (mapped to its label once) and the status.
type series struct {
	model  string
	status int
}

func newProvider(m *Metrics, id string) *Provider {
	p := &Provider{m: m, id: id, models: map[string]struct{}{},
		upstream: m.upstream.WithLabelValues(id), retries: m.retries.WithLabelValues(id)}
	p.series.Store(&map[series]prometheus.Counter{})
	return p
}

// Request counts a finished client request.
func (p *Provider) Request(model string, status int) {
	if c, ok := (*p.series.Load())[series{model, status}]; ok {
		c.Inc()
		return
	}
	p.resolve(model, status).Inc()
}

// Upstream records the time an upstream attempt took to its headers.
func (p *Provider) Upstream(d time.Duration) { p.upstream.Observe(d.Seconds()) }

// Retry counts a failover to another key.
func (p *Provider) Retry() { p.retries.Inc() }

// RateLimited counts a request refused by a limit.
func (p *Provider) RateLimited(scope string) { p.m.RateLimited(scope) }

// CacheLookup counts a response-cache hit or miss.
func (p *Provider) CacheLookup(hit bool) {
	if hit {
		p.m.CacheHit()
	} else {
		p.m.CacheMiss()
	}
}

// resolve finds the counter of a new (model, status) pair and, while the
// cache is small, remembers it for the fast path. Names past the model cap
// all count as "other"; the cache stops growing at a bound, so a client
// that sends random model names costs a mutex, not memory.
func (p *Provider) resolve(model string, status int) prometheus.Counter {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.series.Load()
	if c, ok := old[series{model, status}]; ok {
		return c
	}
	label := p.label(model)
	c := p.m.requests.WithLabelValues(p.id, label, strconv.Itoa(status))
	if len(old) < p.m.maxModels*16 {
		next := make(map[series]prometheus.Counter, len(old)+1)
		for k, v := range old {
			next[k] = v
		}
		next[series{model, status}] = c
		p.series.Store(&next)
	}
	return c
}

// label maps a model name to its label value; call with mu held.
func (p *Provider) label(model string) string {
	switch {
	case model == "":
		return modelNone
	case model == modelOther || model == modelNone || len(model) > maxModelLen || !printable(model):
		return modelOther
	}
	if _, ok := p.models[model]; ok {
		return model
	}
	if len(p.models) >= p.m.maxModels {
		return modelOther
	}
	p.models[model] = struct{}{}
	return model
}

// printable rejects control characters and invalid UTF-8, which a label
// value may hold but a dashboard should not show.
func printable(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == '\uFFFD' {
			return false
		}
	}
	return true
}
