package jobs

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"sync"
	"time"
)

// Defaults of a Registry.
const (
	DefaultTTL         = time.Hour
	DefaultMaxFinished = 100
)

// Config tunes a Registry.
type Config struct {
	TTL         time.Duration    // how long a finished job is kept (default 1 h)
	MaxFinished int              // most finished jobs kept; the oldest go first (default 100)
	Now         func() time.Time // clock, for tests
}

// Registry holds the jobs of one process. Running jobs are always kept;
// finished ones for Config.TTL, at most Config.MaxFinished of them.
type Registry struct {
	cfg  Config
	mu   sync.Mutex
	jobs map[string]*Job
}

// NewRegistry returns an empty registry.
func NewRegistry(cfg Config) *Registry {
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	if cfg.MaxFinished <= 0 {
		cfg.MaxFinished = DefaultMaxFinished
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Registry{cfg: cfg, jobs: map[string]*Job{}}
}

// Start registers a running job of total lines and returns it.
func (r *Registry) Start(kind Kind, provider string, total int) *Job {
	j := newJob(newID(), kind, provider, total, r.cfg.Now)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evict()
	r.jobs[j.ID()] = j
	return j
}

// Get returns a job that is running or finished recently.
func (r *Registry) Get(id string) (*Job, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evict()
	j, ok := r.jobs[id]
	return j, ok
}

// Len is the number of jobs kept.
func (r *Registry) Len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.evict()
	return len(r.jobs)
}

// evict drops finished jobs past their TTL, then the oldest finished ones
// over MaxFinished. Call with r.mu held.
func (r *Registry) evict() {
	cutoff := r.cfg.Now().Add(-r.cfg.TTL)
	type finished struct {
		id string
		at time.Time
	}
	var kept []finished
	for id, j := range r.jobs {
		at := j.finishedAt()
		switch {
		case at.IsZero():
		case at.Before(cutoff):
			delete(r.jobs, id)
		default:
			kept = append(kept, finished{id, at})
		}
	}
	if len(kept) <= r.cfg.MaxFinished {
		return
	}
	slices.SortFunc(kept, func(a, b finished) int { return a.at.Compare(b.at) })
	for _, f := range kept[:len(kept)-r.cfg.MaxFinished] {
		delete(r.jobs, f.id)
	}
}

// newID returns a random job id: unguessable, since job results name
// (masked) keys.
func newID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
