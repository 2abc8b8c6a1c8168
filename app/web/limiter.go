package web

import (
	"strings"
	"sync"
	"time"
)

// loginLimiter blocks an IP address for a while after too many failed
// logins within a window: max failures in window → blocked for block.
// A successful login clears the address's failures. It lives in memory,
// per process: several instances each count their own.
type loginLimiter struct {
	max    int
	window time.Duration
	block  time.Duration

	mu      sync.Mutex
	clients map[string]*loginFailures
}

// loginFailures is one address's recent failures, oldest first.
type loginFailures struct {
	at           []time.Time
	blockedUntil time.Time
}

// maxTracked bounds the memory a flood of addresses can take.
const maxTracked = 100_000

func newLoginLimiter(max int, window, block time.Duration) *loginLimiter {
	return &loginLimiter{max: max, window: window, block: block, clients: map[string]*loginFailures{}}
}

// blocked reports whether ip may not try now, and for how long.
func (l *loginLimiter) blocked(ip string, now time.Time) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[ip]
	if f == nil || !now.Before(f.blockedUntil) {
		return false, 0
	}
	return true, f.blockedUntil.Sub(now)
}

// fail records a failed login from ip; it reports whether ip is now blocked.
func (l *loginLimiter) fail(ip string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	f := l.clients[ip]
	if f == nil {
		if len(l.clients) >= maxTracked {
			l.prune(now)
		}
		f = &loginFailures{}
		l.clients[strings.Clone(ip)] = f // the key outlives the request
	}
	f.at = append(recent(f.at, now.Add(-l.window)), now)
	if len(f.at) >= l.max {
		f.blockedUntil, f.at = now.Add(l.block), nil
		return true
	}
	return false
}

// succeed forgets ip's failures.
func (l *loginLimiter) succeed(ip string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.clients, ip)
}

// prune drops addresses that are neither blocked nor failed recently;
// if the flood is all recent, it drops unblocked ones to stay bounded.
func (l *loginLimiter) prune(now time.Time) {
	for ip, f := range l.clients {
		if !now.Before(f.blockedUntil) && len(recent(f.at, now.Add(-l.window))) == 0 {
			delete(l.clients, ip)
		}
	}
	for ip, f := range l.clients {
		if len(l.clients) < maxTracked/2 {
			break
		}
		if !now.Before(f.blockedUntil) {
			delete(l.clients, ip)
		}
	}
}

// recent returns the times after since (times are in order).
func recent(times []time.Time, since time.Time) []time.Time {
	i := 0
	for i < len(times) && !times[i].After(since) {
		i++
	}
	return times[i:]
}
