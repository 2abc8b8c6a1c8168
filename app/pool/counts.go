package pool

import "github.com/keypool/keypool/models"

// Counts is how many keys are in each state.
type Counts struct {
	Total       int `json:"total"`
	Active      int `json:"active"`
	Failed      int `json:"failed"`
	Disabled    int `json:"disabled"`
	Expired     int `json:"expired"`
	CoolingDown int `json:"cooling_down"` // active but resting after a 429
	Available   int `json:"available"`    // would be chosen now
}

// Counts tallies the keys by state as of now, applying the passage of time
// without writing it.
func (p *Pool) Counts() Counts {
	now := p.now().UTC()
	nowNano := now.UnixNano()
	list := p.snap.Load().list
	c := Counts{Total: len(list)}
	for _, k := range list {
		k.mu.Lock()
		st := k.state
		cooling := k.coolTill.After(now)
		k.mu.Unlock()
		tmp := Key{state: st}
		tmp.settle(now)
		switch tmp.state.Status {
		case models.StatusActive:
			c.Active++
			if cooling {
				c.CoolingDown++
			}
		case models.StatusFailed:
			c.Failed++
		case models.StatusDisabled:
			c.Disabled++
		case models.StatusExpired:
			c.Expired++
		}
		exp := k.expiresAt.Load()
		if k.availableAt.Load() <= nowNano && (exp == 0 || exp > nowNano) {
			c.Available++
		}
	}
	return c
}
