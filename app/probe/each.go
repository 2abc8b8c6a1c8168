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
func (pr *Prober) Each(ctx context.Context, p *provider.Provider, keys []string, concurrency int, fn func(i int, r Result)) {
	if concurrency <= 0 {
		concurrency = DefaultConcurrency
	}
	concurrency = min(concurrency, len(keys))
	next := make(chan int)
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for i := range next {
				if ctx.Err() != nil {
					fn(i, Result{Verdict: Unknown, Reason: "probe canceled"})
					continue
				}
				fn(i, pr.Probe(ctx, p, keys[i]))
			}
		})
	}
	for i := range keys {
		next <- i
	}
	close(next)
	wg.Wait()
}
