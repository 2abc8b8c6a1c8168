package cluster

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/keypool/keypool/app/pool"
)

// message is what travels on the bus: one provider's changes, key news
// and verdicts from one instance.
type message struct {
	From     string         `json:"from"`
	Provider string         `json:"provider"`
	Changes  []Change       `json:"changes,omitempty"`
	Removed  []string       `json:"removed,omitempty"` // fingerprints of keys deleted
	Added    *span          `json:"added,omitempty"`   // created_at of keys imported
	Verdicts []pool.Verdict `json:"verdicts,omitempty"`
}

// perMessage bounds the verdicts in one message: a PostgreSQL notification
// carries at most 8,000 bytes, and a verdict takes up to about 200.
const perMessage = 32

// publishTimeout bounds one publish, so a bus that hangs delays nothing
// for long; what it lost the next resync brings.
const publishTimeout = 2 * time.Second

// publish sends what was announced whenever something is, until ctx ends.
func (c *Cluster) publish(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		}
		for _, m := range c.take() {
			c.send(ctx, m)
		}
	}
}

// take empties the queues into messages: changes first, then key news
// (so that a verdict about a key just imported finds it), then verdicts in
// chunks of perMessage.
func (c *Cluster) take() []message {
	c.mu.Lock()
	verdicts, changes, keys := c.verdicts, c.changes, c.keys
	c.verdicts, c.changes, c.keys = map[string]map[string]pool.Verdict{}, map[string]map[Change]bool{}, map[string]*keyNews{}
	c.mu.Unlock()
	var out []message
	for prov, set := range changes {
		m := message{From: c.id, Provider: prov}
		for ch := range set {
			m.Changes = append(m.Changes, ch)
		}
		slices.Sort(m.Changes)
		out = append(out, m)
	}
	for _, q := range keys {
		out = append(out, q.messages(c.id)...)
	}
	for prov, set := range verdicts {
		list := make([]pool.Verdict, 0, len(set))
		for _, v := range set {
			list = append(list, v)
		}
		for chunk := range slices.Chunk(list, perMessage) {
			out = append(out, message{From: c.id, Provider: prov, Verdicts: chunk})
		}
	}
	return out
}

func (c *Cluster) send(ctx context.Context, m message) {
	payload, err := json.Marshal(m)
	if err != nil {
		c.cfg.Log.Error("cluster: encode message", "err", err)
		return
	}
	sendCtx, cancel := context.WithTimeout(ctx, publishTimeout)
	err = c.cfg.Bus.Publish(sendCtx, payload)
	cancel()
	switch {
	case err != nil && ctx.Err() == nil:
		c.lost.Add(1)
		if !c.failing.Swap(true) {
			c.cfg.Log.Warn("cluster: cannot tell the other instances; they catch up at their next resync", "bus", c.cfg.Bus.Name(), "err", err)
		}
	case err == nil:
		c.sent.Add(1)
		if c.failing.Swap(false) {
			c.cfg.Log.Info("cluster: the bus works again", "bus", c.cfg.Bus.Name())
		}
	}
}

// receive applies a message from another instance.
func (c *Cluster) receive(ctx context.Context, payload []byte) {
	var m message
	if err := json.Unmarshal(payload, &m); err != nil {
		c.cfg.Log.Warn("cluster: ignoring a message that is not Keypool's", "err", err)
		return
	}
	p, ok := c.providers[m.Provider]
	if m.From == c.id || !ok {
		return // our own, or a provider this instance does not serve
	}
	c.applyKeyNews(ctx, p, m)
	for _, v := range m.Verdicts {
		p.Pool.Apply(v)
	}
	c.reload(ctx, m.Provider, m.Changes...)
	c.received.Add(1)
}
