package pool

import (
	"time"
)

// countBits is how many low bits of Key.minute hold the request count; the
// rest hold the minute's number since the epoch.
const countBits = 32

// takeMinute spends one of the key's requests of the current minute, if
// any is left. The minute and its count share one word, so a new minute
// and a pick race safely with a single compare-and-swap. The window is the
// clock's minute: across a minute boundary a key may see up to 2·rpm
// requests in 60 s, never more than rpm in one calendar minute.
func (k *Key) takeMinute(now, rpm int64) bool {
	m := uint64(now / int64(time.Minute))
	for {
		v := k.minute.Load()
		next := m<<countBits | 1
		if v>>countBits == m {
			if int64(v&(1<<countBits-1)) >= rpm {
				return false
			}
			next = v + 1
		}
		if k.minute.CompareAndSwap(v, next) {
			return true
		}
	}
}

// RPM is the key's requests-per-minute limit; 0 means none.
func (k *Key) RPM() int { return int(k.rpm.Load()) }

// rpmOf reads a stored rpm_limit: NULL or ≤ 0 is no limit.
func rpmOf(limit *int) int64 {
	if limit == nil || *limit <= 0 {
		return 0
	}
	return int64(*limit)
}

// SetRPM changes a key's requests-per-minute limit in memory (0: none),
// as after an admin edit already stored.
func (p *Pool) SetRPM(apiKey string, rpm int) error {
	k, ok := p.Get(apiKey)
	if !ok {
		return ErrUnknownKey
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.state.RPMLimit = nil
	if rpm > 0 {
		k.state.RPMLimit = &rpm
	}
	k.rpm.Store(rpmOf(k.state.RPMLimit))
	return nil
}
