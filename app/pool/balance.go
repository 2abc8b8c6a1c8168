package pool

import "time"

// Balance is what a key's free probe last reported it has left: Ollama's
// GET /api/balance or OpenRouter's GET /api/v1/key. It lives in memory
// only; a probe after a restart fills it again.
type Balance struct {
	Remaining *float64  // money or credits left; nil = unlimited or not reported
	Limit     *float64  // the period's allowance or the key's credit limit; nil = none
	Usage     *float64  // used so far; nil = not reported
	PeriodEnd time.Time // when the usage period resets (Ollama's included.period.until); zero = unknown
	FreeTier  bool      // OpenRouter's is_free_tier
	CheckedAt time.Time // when the probe answered
}

// SetBalance keeps the figures of the key's latest probe.
func (k *Key) SetBalance(b Balance) {
	k.mu.Lock()
	k.balance = &b
	k.mu.Unlock()
}

// Balance returns the figures of the key's latest probe, if any.
func (k *Key) Balance() (Balance, bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.balance == nil {
		return Balance{}, false
	}
	return *k.balance, true
}
