package probe

import (
	"context"
	"sync"

	"github.com/keypool/keypool/app/provider"
)

// DefaultConcurrency is how many probes run at once when none is set
// (VALIDATE_CONCURRENCY's default).
const DefaultConcurrency = 8

// Each probes every key with at most concurrency probes in flight and
// calls fn with each key's index and result as it arrives (from several
// goroutines at once). It returns when every key has been probed; keys
// not yet probed when ctx ends get an Unknown result without a request.
//
// A key listed twice is probed once and its result reported for each
// index. Ollama's balance endpoint allows 10 requests a minute per
// account and every key is its own account, so one Each asks each account
// once (twice when it waits out a 429's Retry-After), never two probes at
// once; the bound on probes in flight is what spreads the load on the
// upstream as a whole.
func (pr *Prober) Each(ctx context.Context, p *provider.Provider, keys []string, concurrency int, fn func(i int, r Result)) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	distinct, at := groupKeys(keys)
	concurrency = min(concurrency, len(distinct))
	next := make(chan string)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for key := range next {
				r := Result{Verdict: Unknown, Reason: "probe canceled"}
				if ctx.Err() == nil {
					r = pr.Probe(ctx, p, key)
				}
				for _, i := range at[key] {
					fn(i, r)
				}
			}
		})
	}
	for _, key := range distinct {
		next <- key
	}
	close(next)
	wg.Wait()
}

// groupKeys returns the distinct keys in their first order and the
// indexes of each in keys.
func groupKeys(keys []string) ([]string, map[string][]int) {
	at := make(map[string][]int, len(keys))
	distinct := make([]string, 0, len(keys))
	for i, key := range keys {
		if _, seen := at[key]; !seen {
			distinct = append(distinct, key)
		}
		at[key] = append(at[key], i)
	}
	return distinct, at
}
