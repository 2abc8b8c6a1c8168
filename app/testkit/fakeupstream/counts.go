package fakeupstream

import (
	"sync"
	"sync/atomic"
)

// Counts are the counters of one upstream key (or of all keys, from Total).
type Counts struct {
	Requests         int64 // requests that reached the handler with this key
	OK               int64 // answered 2xx and (for streams) completed to the end
	Failed           int64 // answered non-2xx, or reset, cut or corrupted by a fault
	Canceled         int64 // the client went away before the answer was complete
	InFlight         int64 // currently being served
	PromptTokens     int64 // prompt tokens reported in successful answers
	CompletionTokens int64 // completion tokens reported in successful answers
}

// add returns the field-wise sum of c and o.
func (c Counts) add(o Counts) Counts {
	c.Requests += o.Requests
	c.OK += o.OK
	c.Failed += o.Failed
	c.Canceled += o.Canceled
	c.InFlight += o.InFlight
	c.PromptTokens += o.PromptTokens
	c.CompletionTokens += o.CompletionTokens
	return c
}

// keyState is everything the fake knows about one key.
type keyState struct {
	requests, ok, failed, canceled, inFlight atomic.Int64
	prompt, completion                       atomic.Int64

	fault atomic.Pointer[faultSlot]
	last  atomic.Pointer[Recorded]
}

// begin counts a request that reached the handler.
func (k *keyState) begin() {
	k.requests.Add(1)
	k.inFlight.Add(1)
}

// finish counts how x ended.
func (k *keyState) finish(x *exchange) {
	switch x.out {
	case outOK:
		k.ok.Add(1)
		k.prompt.Add(x.prompt)
		k.completion.Add(x.completion)
	case outCanceled:
		k.canceled.Add(1)
	default:
		k.failed.Add(1)
	}
	k.inFlight.Add(-1)
}

// counts returns a snapshot of the counters.
func (k *keyState) counts() Counts {
	return Counts{
		Requests:         k.requests.Load(),
		OK:               k.ok.Load(),
		Failed:           k.failed.Load(),
		Canceled:         k.canceled.Load(),
		InFlight:         k.inFlight.Load(),
		PromptTokens:     k.prompt.Load(),
		CompletionTokens: k.completion.Load(),
	}
}

// reset zeroes the counters except InFlight, which stays true to the
// requests still running, and forgets the fault and the last request.
func (k *keyState) reset() {
	for _, c := range []*atomic.Int64{&k.requests, &k.ok, &k.failed, &k.canceled, &k.prompt, &k.completion} {
		c.Store(0)
	}
	k.fault.Store(nil)
	k.last.Store(nil)
}

// registry maps keys to their state; entries are created on first sight
// and never removed, so a *keyState can be used without the lock.
type registry struct {
	mu   sync.RWMutex
	keys map[string]*keyState
}

// init prepares an empty registry.
func (g *registry) init() { g.keys = make(map[string]*keyState) }

// get returns the state of key, creating it when needed.
func (g *registry) get(key string) *keyState {
	g.mu.RLock()
	k, ok := g.keys[key]
	g.mu.RUnlock()
	if ok {
		return k
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if k, ok = g.keys[key]; !ok {
		k = new(keyState)
		g.keys[key] = k
	}
	return k
}

// lookup returns the state of key or nil, without creating it.
func (g *registry) lookup(key string) *keyState {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return g.keys[key]
}

// each calls fn for every known key.
func (g *registry) each(fn func(*keyState)) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	for _, k := range g.keys {
		fn(k)
	}
}

// Counts returns the counters of key (zero for a key never seen).
func (s *Server) Counts(key string) Counts {
	if k := s.keys.lookup(key); k != nil {
		return k.counts()
	}
	return Counts{}
}

// Total returns the counters summed over all keys, including requests
// without a key.
func (s *Server) Total() Counts {
	var t Counts
	s.keys.each(func(k *keyState) { t = t.add(k.counts()) })
	return t
}

// Reset zeroes all counters (except InFlight, and PathRequests too),
// faults, recorded requests, programmed balances and the balance rate
// limit. Requests still running when it is called count afterwards.
func (s *Server) Reset() {
	s.keys.each((*keyState).reset)
	s.paths.reset()
	s.balances.reset()
}
