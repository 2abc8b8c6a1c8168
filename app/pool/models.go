package pool

import (
	"maps"
	"time"

	"github.com/keypool/keypool/app/redact"
)

// modelBlocks are the models one key may not serve, each until a time
// (unix nanoseconds). It is never changed once published: a change copies.
type modelBlocks map[string]int64

// blocks reports whether model is blocked at now.
func (b *modelBlocks) blocks(model string, now int64) bool {
	until, ok := (*b)[model]
	return ok && until > now
}

// BlockModel takes the key out for one model only (Ollama's 402 "this
// model uses extra usage only"): until the key's usage period ends, as its
// last balance probe reported it, else for Cooldown. The key keeps serving
// other models. Blocks live in memory: after a restart the first request
// for the model finds out again.
func (p *Pool) BlockModel(k *Key, model string) time.Time {
	now := p.now().UTC()
	until := now.Add(p.cfg.Cooldown)
	k.mu.Lock()
	if b := k.balance; b != nil && b.PeriodEnd.After(now) {
		until = b.PeriodEnd
	}
	next := modelBlocks{}
	if old := k.blocked.Load(); old != nil {
		for m, t := range *old {
			if t > now.UnixNano() { // drop the blocks that ended
				next[m] = t
			}
		}
	}
	next[model] = until.UnixNano()
	k.blocked.Store(&next)
	k.mu.Unlock()
	p.log.Warn("pool: key out for one model", "key", redact.Key(k.apiKey), "model", model, "until", until)
	return until
}

// BlockedModels returns the models the key may not serve now, with the end
// of each block.
func (k *Key) BlockedModels(now time.Time) map[string]time.Time {
	b := k.blocked.Load()
	if b == nil {
		return nil
	}
	out := map[string]time.Time{}
	for m, t := range maps.All(*b) {
		if t > now.UnixNano() {
			out[m] = time.Unix(0, t).UTC()
		}
	}
	return out
}
