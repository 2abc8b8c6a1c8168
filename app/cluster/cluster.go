// Package cluster keeps several gateway instances on one database in step.
//
// An instance announces what it changed: a key's verdict (failed, disabled,
// enabled, cooling down after a 429), keys imported or deleted, or that
// keys, client tokens, the provider switch or the response cache changed.
// The announcement travels on a bus (Redis pub/sub, or PostgreSQL
// LISTEN/NOTIFY), and every other instance applies it within milliseconds:
// a verdict straight into its pool, imported keys by reading those keys
// (keys.go), deleted ones by dropping them, anything else by reading the
// store again. A periodic resync from the
// store is the safety net for what a bus lost (Redis restarting, a dropped
// connection); after a bus reconnects, an instance resyncs at once.
//
// Nothing here is on the request path except Announcer's function, which
// only records the verdict and wakes the publisher.
package cluster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/tokens"
)

// Change names what an instance changed in the store.
type Change string

// The changes an instance announces besides key verdicts.
const (
	Keys   Change = "keys"   // keys changed in the store: read them all again
	Tokens Change = "tokens" // client tokens created, deleted or edited
	Switch Change = "switch" // the provider was switched on or off
	Cache  Change = "cache"  // the response cache was cleared
)

// Provider is one provider of this instance: what news from the other
// instances changes.
type Provider struct {
	Pool       *pool.Pool
	Tokens     *tokens.Set
	LoadSwitch func(context.Context) error // read the provider switch from the store again
	ClearCache func(context.Context) error // nil: no cache of this instance's own to clear
}

// Config sets up a Cluster.
type Config struct {
	Bus    Bus           // nil: no bus, the periodic resync only
	Resync time.Duration // how often to read keys, tokens and switches again; 0: never
	Log    *slog.Logger
}

// Cluster is this instance's link to the others.
type Cluster struct {
	id        string // tells this instance's messages from the others'
	cfg       Config
	providers map[string]Provider

	mu       sync.Mutex
	verdicts map[string]map[string]pool.Verdict // provider → fingerprint → latest, to send
	changes  map[string]map[Change]bool         // provider → changes, to send
	keys     map[string]*keyNews                // provider → keys imported and deleted, to send
	wake     chan struct{}                      // something is waiting to be sent
	resync   chan struct{}                      // the bus reconnected: resync now

	received  atomic.Int64 // messages from other instances applied
	sent      atomic.Int64 // messages published
	lost      atomic.Int64 // messages the bus refused (the resync brings what they said)
	listening atomic.Bool  // the bus has subscribed at least once
	failing   atomic.Bool  // publishing fails; logged once until it works again
}

// New returns a cluster link with no providers; Add them before Run.
func New(cfg Config) *Cluster {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	return &Cluster{
		id: newID(), cfg: cfg, providers: map[string]Provider{},
		verdicts: map[string]map[string]pool.Verdict{}, changes: map[string]map[Change]bool{},
		keys: map[string]*keyNews{},
		wake: make(chan struct{}, 1), resync: make(chan struct{}, 1),
	}
}

func newID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Add registers a provider's pool, tokens and switch; call before Run.
func (c *Cluster) Add(id string, p Provider) { c.providers[id] = p }

// Announcer returns the function for pool.Config.Announce of a provider's
// pool: it queues the verdict (the latest per key wins) and returns.
func (c *Cluster) Announcer(provider string) func(pool.Verdict) {
	return func(v pool.Verdict) {
		c.mu.Lock()
		m := c.verdicts[provider]
		if m == nil {
			m = map[string]pool.Verdict{}
			c.verdicts[provider] = m
		}
		m[v.Key] = v
		c.mu.Unlock()
		c.poke()
	}
}

// Changed announces that this instance changed a provider's keys, tokens,
// switch or cache in the store. A nil Cluster does nothing.
func (c *Cluster) Changed(provider string, what Change) {
	if c == nil {
		return
	}
	c.mu.Lock()
	m := c.changes[provider]
	if m == nil {
		m = map[Change]bool{}
		c.changes[provider] = m
	}
	m[what] = true
	c.mu.Unlock()
	c.poke()
}

func (c *Cluster) poke() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// Received counts the messages from other instances applied so far.
func (c *Cluster) Received() int64 { return c.received.Load() }

// Counts are the messages this instance sent, received and failed to send,
// for /metrics.
type Counts struct{ Sent, Received, Lost int64 }

// Counts reads the message counters; a nil Cluster has none.
func (c *Cluster) Counts() Counts {
	if c == nil {
		return Counts{}
	}
	return Counts{Sent: c.sent.Load(), Received: c.received.Load(), Lost: c.lost.Load()}
}

// Status is what /health reports of the link to the other instances.
type Status struct {
	Bus       string `json:"bus"`       // "redis", "postgres" or "none"
	Listening bool   `json:"listening"` // the bus has subscribed since the start
	Resync    string `json:"resync"`    // the periodic resync's interval, "off" when none
}

// Status reports the bus and resync; a nil Cluster is "none".
func (c *Cluster) Status() Status {
	if c == nil {
		return Status{Bus: "none", Resync: "off"}
	}
	st := Status{Bus: "none", Listening: c.listening.Load(), Resync: "off"}
	if c.cfg.Bus != nil {
		st.Bus = c.cfg.Bus.Name()
	}
	if c.cfg.Resync > 0 {
		st.Resync = c.cfg.Resync.String()
	}
	return st
}

// Run publishes what this instance announces, applies what the others do
// and resyncs periodically, until ctx ends.
func (c *Cluster) Run(ctx context.Context) {
	var wg sync.WaitGroup
	if c.cfg.Bus != nil {
		wg.Go(func() { c.publish(ctx) })
		wg.Go(func() {
			first := true
			c.cfg.Bus.Listen(ctx, func(payload []byte) { c.receive(ctx, payload) }, func() {
				c.listening.Store(true)
				if !first {
					c.cfg.Log.Info("cluster: bus reconnected; reading keys and tokens again", "bus", c.cfg.Bus.Name())
					select {
					case c.resync <- struct{}{}:
					default:
					}
				}
				first = false
			})
		})
	}
	wg.Go(func() { c.resyncLoop(ctx) })
	wg.Wait()
}

// resyncLoop reads every provider's keys, tokens and switch from the store
// every Config.Resync, and whenever the bus asks for it.
func (c *Cluster) resyncLoop(ctx context.Context) {
	var tick <-chan time.Time
	if c.cfg.Resync > 0 {
		t := time.NewTicker(c.cfg.Resync)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-c.resync:
		}
		for id := range c.providers {
			c.reload(ctx, id, Keys, Tokens, Switch)
		}
	}
}

// reload reads what changed of one provider from the store again.
func (c *Cluster) reload(ctx context.Context, id string, what ...Change) {
	p := c.providers[id]
	for _, w := range what {
		var err error
		switch w {
		case Keys:
			err = p.Pool.Load(ctx)
		case Tokens:
			err = p.Tokens.Load(ctx)
		case Switch:
			err = p.LoadSwitch(ctx)
		case Cache:
			if p.ClearCache != nil {
				err = p.ClearCache(ctx)
			}
		}
		if err != nil && ctx.Err() == nil {
			c.cfg.Log.Warn("cluster: applying a change failed; the next resync retries", "provider", id, "change", string(w), "err", err)
		}
	}
}
