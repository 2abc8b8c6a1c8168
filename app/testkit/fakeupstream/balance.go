package fakeupstream

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// DefaultBalanceLimit is how many GET /api/balance requests one key may
// make per rolling minute, as on Ollama (each key is its own account here).
const DefaultBalanceLimit = 10

// balanceWindow is the span of the balance route's rate limit.
const balanceWindow = time.Minute

// Balance is what GET /api/balance answers for a key, in US dollars.
type Balance struct {
	Included  float64   // included.balance_usd: what is left of the plan's allowance this period
	Allowance float64   // included.allowance_usd
	Purchased float64   // purchased.balance_usd: extra usage bought
	From      time.Time // included.period.from; zero = the start of the current UTC month
	Until     time.Time // included.period.until; zero = the start of the next UTC month
}

// DefaultBalance is the balance of every key SetBalance was not called
// for: 4.25 of a 5.00 allowance left, 1.50 purchased, over the UTC
// calendar month holding now.
func DefaultBalance(now time.Time) Balance {
	return Balance{Included: 4.25, Allowance: 5, Purchased: 1.5}.withPeriod(now)
}

// withPeriod fills a zero period with the UTC calendar month holding now.
func (b Balance) withPeriod(now time.Time) Balance {
	now = now.UTC()
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	if b.From.IsZero() {
		b.From = month
	}
	if b.Until.IsZero() {
		b.Until = month.AddDate(0, 1, 0)
	}
	return b
}

// SetBalance programs what GET /api/balance answers for key.
func (s *Server) SetBalance(key string, b Balance) {
	a := s.balances.get(key)
	a.mu.Lock()
	a.set = &b
	a.mu.Unlock()
}

// balances holds the balance route's state per key. The zero value is
// ready to use.
type balances struct {
	mu   sync.Mutex
	keys map[string]*account
}

// account is one key's balance and the times of its recent balance
// requests that were let through.
type account struct {
	mu    sync.Mutex
	set   *Balance // nil: DefaultBalance
	stamp []time.Time
}

// get returns the account of key, creating it when needed.
func (bs *balances) get(key string) *account {
	bs.mu.Lock()
	defer bs.mu.Unlock()
	if bs.keys == nil {
		bs.keys = make(map[string]*account)
	}
	a, ok := bs.keys[key]
	if !ok {
		a = new(account)
		bs.keys[key] = a
	}
	return a
}

// reset forgets every programmed balance and rate limit window.
func (bs *balances) reset() {
	bs.mu.Lock()
	bs.keys = nil
	bs.mu.Unlock()
}

// admit reports whether one more request fits in the rolling window of
// limit requests (limit < 0: no limit), recording it when it does, and
// otherwise how long until the oldest one leaves the window.
func (a *account) admit(now time.Time, limit int) (Balance, time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := DefaultBalance(now)
	if a.set != nil {
		b = a.set.withPeriod(now)
	}
	if limit < 0 {
		return b, 0, true
	}
	if limit == 0 {
		limit = DefaultBalanceLimit
	}
	live := a.stamp[:0]
	for _, t := range a.stamp {
		if now.Sub(t) < balanceWindow {
			live = append(live, t)
		}
	}
	a.stamp = live
	if len(live) >= limit {
		return b, live[0].Add(balanceWindow).Sub(now), false
	}
	a.stamp = append(a.stamp, now)
	return b, 0, true
}

// answerBalance answers GET /api/balance in Ollama's native shape, or 429
// with Retry-After (whole seconds, rounded up) past the key's rate limit.
func (s *Server) answerBalance(x *exchange) {
	b, wait, ok := s.balances.get(x.key).admit(x.start, x.opts.BalanceLimit)
	if !ok {
		x.w.Header().Set("Retry-After", strconv.FormatInt(int64((wait+time.Second-1)/time.Second), 10))
		x.writeError(http.StatusTooManyRequests, "too many requests, please slow down")
		return
	}
	out := make([]byte, 0, 192)
	out = append(out, `{"included":{"balance_usd":`...)
	out = strconv.AppendFloat(out, b.Included, 'f', -1, 64)
	out = append(out, `,"allowance_usd":`...)
	out = strconv.AppendFloat(out, b.Allowance, 'f', -1, 64)
	out = append(out, `,"period":{"from":"`...)
	out = b.From.UTC().AppendFormat(out, time.RFC3339)
	out = append(out, `","until":"`...)
	out = b.Until.UTC().AppendFormat(out, time.RFC3339)
	out = append(out, `"}},"purchased":{"balance_usd":`...)
	out = strconv.AppendFloat(out, b.Purchased, 'f', -1, 64)
	x.writeJSON(append(out, `}}`...))
}
