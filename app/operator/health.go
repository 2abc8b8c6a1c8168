package operator

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/probe"
	"github.com/keypool/keypool/models"
)

// Health check actions, per line.
const (
	ActionMarkedFailed = "marked_failed"
	ActionEnabled      = "enabled"
	ActionNone         = "none"
	ActionNotInPool    = "not_in_pool"
)

// HealthReport is the outcome of a health check job.
type HealthReport struct {
	MarkedFailed int64 `json:"marked_failed"`
	Enabled      int64 `json:"enabled"`
}

// StartHealthCheck starts a job that probes keys (or ids; none: every key
// of the provider), fails the invalid ones for the cooldown and brings
// failed keys that answer again back. Inconclusive probes touch nothing,
// nor do rate limits: a key in a quota window stays out until it ends.
func (s *Service) StartHealthCheck(ctx context.Context, providerID string, given []string) (JobStarted, error) {
	p, keys, err := s.healthKeys(ctx, providerID, given)
	if err != nil {
		return JobStarted{}, err
	}
	job := s.startCheck(p, keys)
	return JobStarted{JobID: job.ID(), Total: len(keys)}, nil
}

// healthKeys resolves the keys (or ids) a health check probes; none given:
// every key of the provider.
func (s *Service) healthKeys(ctx context.Context, providerID string, given []string) (*backend.Provider, []string, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return nil, nil, err
	}
	keys, err := s.resolveAll(ctx, p, given)
	if err != nil {
		return nil, nil, err
	}
	if len(keys) == 0 {
		if keys, err = p.Store.KeyNames(ctx); err != nil {
			return nil, nil, err
		}
	}
	return p, keys, nil
}

// startCheck starts the job of a health check.
func (s *Service) startCheck(p *backend.Provider, keys []string) *jobs.Job {
	job := s.jobs.Start(jobs.KindHealthCheck, p.Info.ID, len(keys))
	s.run(job, func(ctx context.Context) (any, error) { return s.check(ctx, job, p, keys), nil })
	return job
}

// check probes the keys the pool knows and applies each verdict.
func (s *Service) check(ctx context.Context, job *jobs.Job, p *backend.Provider, keys []string) *HealthReport {
	report := &HealthReport{}
	var known []string
	var entries []*pool.Key
	var lines []int
	for i, key := range keys {
		k, ok := p.Pool.Get(key)
		if !ok {
			job.Add(jobs.Line{Line: i + 1, Key: key, Result: jobs.ResultUnknown, Reason: "not a key of this provider", Action: ActionNotInPool})
			continue
		}
		known, entries, lines = append(known, key), append(entries, k), append(lines, i+1)
	}
	var failed, enabled atomic.Int64
	s.prober.Each(ctx, p.Info, known, s.concurrency, func(i int, r probe.Result) {
		action := apply(p, entries[i], r)
		switch action {
		case ActionMarkedFailed:
			failed.Add(1)
		case ActionEnabled:
			enabled.Add(1)
		}
		job.Add(jobs.Line{Line: lines[i], Key: known[i], Result: string(r.Verdict), Reason: r.Reason, Action: action})
	})
	report.MarkedFailed, report.Enabled = failed.Load(), enabled.Load()
	return report
}

// apply moves a key per its probe: invalid → failed for the cooldown; a
// working failed key → active. Disabled and expired keys stay so: those
// are an admin's or the calendar's verdict, which the pool keeps anyway.
// The balance the probe reported is kept on the key whatever its state.
func apply(p *backend.Provider, k *pool.Key, r probe.Result) string {
	keepBalance(k, r, time.Now())
	switch {
	case r.Verdict == probe.Invalid:
		p.Pool.Mark(k, pool.Invalid, time.Time{})
		if k.State().Status == models.StatusFailed {
			return ActionMarkedFailed
		}
	case r.Valid() && !r.RateLimited:
		if k.State().Status == models.StatusFailed {
			if p.Pool.Enable(k.APIKey()) == nil {
				return ActionEnabled
			}
			return ActionNone
		}
		p.Pool.Mark(k, pool.Success, time.Time{}) // clears a run of transient failures
	}
	return ActionNone
}
