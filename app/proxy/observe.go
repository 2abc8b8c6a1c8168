package proxy

import "time"

// Observer is told what the proxy measures for one provider; app/metrics
// implements it with series resolved ahead of time, so each call is a
// map read and an atomic add.
type Observer interface {
	// Request counts a finished proxied request (one that the statistics
	// count too), by the model the client asked for and its final status.
	Request(model string, status int)
	// Upstream records one upstream attempt's time to its response headers.
	Upstream(d time.Duration)
	// Retry counts a failover: an attempt with another key after one failed.
	Retry()
	// RateLimited counts a request refused by a limit (scope: "ip",
	// "token_rpm", "token_tpm").
	RateLimited(scope string)
	// CacheLookup counts a response-cache lookup, hit or miss. A hit is not
	// counted by Request: it reached no key and is not in the statistics.
	CacheLookup(hit bool)
}

// nopObserver is the Observer of a target without metrics.
type nopObserver struct{}

func (nopObserver) Request(string, int)    {}
func (nopObserver) Upstream(time.Duration) {}
func (nopObserver) Retry()                 {}
func (nopObserver) RateLimited(string)     {}
func (nopObserver) CacheLookup(bool)       {}

// observer returns the target's observer, or one that drops everything.
func (t *Target) observer() Observer {
	if t.Observer == nil {
		return nopObserver{}
	}
	return t.Observer
}
