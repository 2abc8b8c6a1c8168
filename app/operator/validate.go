package operator

import (
	"context"
	"time"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/app/probe"
)

// StartValidatedImport starts a job that probes each key of an import
// upstream and stores the valid ones; the job reports per line and ends
// with the ImportReport of the valid keys.
func (s *Service) StartValidatedImport(ctx context.Context, providerID string, in Import) (JobStarted, error) {
	p, parsed, err := s.readImport(providerID, in)
	if err != nil {
		return JobStarted{}, err
	}
	job := s.startValidation(p, parsed)
	return JobStarted{JobID: job.ID(), Total: job.Summary().Total}, nil
}

// startValidation starts the job of a validated import.
func (s *Service) startValidation(p *backend.Provider, parsed keyimport.Result) *jobs.Job {
	job := s.jobs.Start(jobs.KindImportValidation, p.Info.ID, len(parsed.Items)+len(parsed.Invalid))
	for _, bad := range parsed.Invalid {
		job.Add(jobs.Line{Line: bad.Line, Result: jobs.ResultInvalid, Reason: bad.Reason})
	}
	s.run(job, func(ctx context.Context) (any, error) { return s.validate(ctx, job, p, parsed) })
	return job
}

// validate probes every parsed key and stores the valid ones (rate
// limited keys are valid; keys whose probe was inconclusive are not
// stored, so they can be tried again). The pool keeps the balance each
// stored key's probe reported.
func (s *Service) validate(ctx context.Context, job *jobs.Job, p *backend.Provider, parsed keyimport.Result) (ImportReport, error) {
	keys := make([]string, len(parsed.Items))
	for i, it := range parsed.Items {
		keys[i] = it.APIKey
	}
	// Each index is written by one probe and read after Each returns.
	results := make([]probe.Result, len(keys))
	answered := make([]time.Time, len(keys))
	s.prober.Each(ctx, p.Info, keys, s.concurrency, func(i int, r probe.Result) {
		results[i], answered[i] = r, time.Now()
		job.Add(jobs.Line{Line: parsed.Items[i].Line, Key: keys[i], Result: string(r.Verdict), Reason: r.Reason})
	})
	keep := parsed
	keep.Items = nil
	for i, it := range parsed.Items {
		if results[i].Valid() {
			keep.Items = append(keep.Items, it)
		}
	}
	report, err := s.storeKeys(ctx, p, keep)
	if err != nil {
		return report, err
	}
	for i, key := range keys {
		if k, ok := p.Pool.Get(key); ok && results[i].Valid() {
			keepBalance(k, results[i], answered[i])
		}
	}
	return report, nil
}
