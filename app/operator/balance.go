package operator

import (
	"time"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/probe"
)

// keyBalance is what a probe learned of a key's money, in the pool's
// terms, as of at; false when the probe reported no figures.
func keyBalance(r probe.Result, at time.Time) (pool.Balance, bool) {
	switch {
	case r.Balance != nil: // Ollama's GET /api/balance
		b := r.Balance
		out := pool.Balance{Remaining: sum(b.IncludedUSD, b.PurchasedUSD), Limit: clone(b.AllowanceUSD),
			PeriodEnd: b.PeriodUntil, CheckedAt: at}
		if b.AllowanceUSD != nil && b.IncludedUSD != nil {
			used := *b.AllowanceUSD - *b.IncludedUSD
			out.Usage = &used
		}
		return out, true
	case r.Credits != nil: // OpenRouter's GET /api/v1/key
		c := r.Credits
		used := c.Usage
		return pool.Balance{Remaining: clone(c.LimitRemaining), Limit: clone(c.Limit), Usage: &used,
			FreeTier: c.IsFreeTier, CheckedAt: at}, true
	}
	return pool.Balance{}, false
}

// keepBalance hands the figures of k's probe, if any, to the pool.
func keepBalance(k *pool.Key, r probe.Result, at time.Time) {
	if b, ok := keyBalance(r, at); ok {
		k.SetBalance(b)
	}
}

// sum is a + b, counting a missing one as nothing; nil when both are.
func sum(a, b *float64) *float64 {
	if a == nil {
		return clone(b)
	}
	s := *a
	if b != nil {
		s += *b
	}
	return &s
}

// clone copies *v, so the pool shares nothing with the probe's result.
func clone(v *float64) *float64 {
	if v == nil {
		return nil
	}
	c := *v
	return &c
}
