package operator

import (
	"context"
	"fmt"

	"github.com/keypool/keypool/app/jobs"
)

// JobStarted is a job an action started: follow it with Job.
type JobStarted struct {
	JobID string `json:"job_id"`
	Total int    `json:"total"`
}

// run runs a job's work in the background: not cancelled with the request
// that started it, but with Stop, and with a panic turned into a failed
// job instead of a dead process.
func (s *Service) run(job *jobs.Job, work func(ctx context.Context) (report any, err error)) {
	s.jobsWG.Add(1)
	go func() {
		defer s.jobsWG.Done()
		defer func() {
			if r := recover(); r != nil {
				s.log.Error("operator: job panicked", "job", job.ID(), "panic", r)
				job.Finish(nil, fmt.Errorf("internal error"))
			}
		}()
		if s.prober == nil {
			job.Finish(nil, fmt.Errorf("the operator service is not started"))
			return
		}
		report, err := work(s.base)
		if err != nil {
			s.log.Error("operator: job failed", "job", job.ID(), "err", err)
			report = nil // a half-made report would mislead
		}
		job.Finish(report, err)
		sum := job.Summary()
		s.log.Info("operator: job finished", "job", sum.ID, "kind", sum.Kind, "provider", sum.Provider, "state", sum.State,
			"total", sum.Total, "valid", sum.Valid, "invalid", sum.Invalid, "unknown", sum.Unknown,
			"duration_ms", sum.FinishedAt.Sub(sum.StartedAt).Milliseconds())
	}()
}

// Job returns a job running or finished within jobs.DefaultTTL; NotFound
// otherwise.
func (s *Service) Job(id string) (*jobs.Job, error) {
	job, ok := s.jobs.Get(id)
	if !ok {
		return nil, refuse(KindNotFound, "no job %q (finished jobs are kept for %v)", id, jobs.DefaultTTL)
	}
	return job, nil
}

// JobView is a job as a page shows it: its counters and report, and the
// first of its lines that were not plainly valid.
type JobView struct {
	jobs.Summary
	Lines []jobs.Line // results other than valid, or keys a health check enabled, in input order
	More  int         // such lines left out
}

// NotableLines returns a job with at most maxLines of its notable lines.
func (s *Service) NotableLines(id string, maxLines int) (JobView, error) {
	job, err := s.Job(id)
	if err != nil {
		return JobView{}, err
	}
	notable := func(l jobs.Line) bool { return l.Result != jobs.ResultValid || l.Action == ActionEnabled }
	sum, lines, more := job.Select(notable, maxLines)
	return JobView{Summary: sum, Lines: lines, More: more}, nil
}
