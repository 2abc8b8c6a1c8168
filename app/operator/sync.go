package operator

import (
	"context"
	"time"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/probe"
	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/models"
)

// syncProbeRounds bounds a synchronous validation or health check: it
// waits at most this many PROBE_TIMEOUTs (or until its request ends), then
// answers what finished; the job goes on in the background.
const syncProbeRounds = 3

// Outcome is one key's result in a synchronous validation or health check.
type Outcome struct {
	Line   int
	Key    string // whole: the face masks it unless the admin asks to reveal it
	Result string // jobs.ResultValid, ResultInvalid or ResultUnknown
	Status int    // the probe's upstream HTTP status; 0 when none arrived
	Reason string
	Action string // what the health check did with the key
	At     time.Time
}

// SyncResult is a job waited for: every input line's outcome, in input
// order, those not probed in time marked unknown.
type SyncResult struct {
	Job      jobs.Summary // Complete is false when the wait ended first
	Complete bool
	Outcomes []Outcome
}

// ValidateImport is StartValidatedImport waited for: it answers when every
// key was probed and the valid ones stored, or when the wait ends.
func (s *Service) ValidateImport(ctx context.Context, providerID string, in Import) (SyncResult, error) {
	p, parsed, err := s.readImport(providerID, in)
	if err != nil {
		return SyncResult{}, err
	}
	started := s.startValidation(p, parsed)
	keys := make(map[int]string, len(parsed.Items))
	for _, it := range parsed.Items {
		keys[it.Line] = it.APIKey
	}
	lines := make([]int, 0, len(parsed.Items)+len(parsed.Invalid))
	for _, bad := range parsed.Invalid {
		lines = append(lines, bad.Line)
	}
	for _, it := range parsed.Items {
		lines = append(lines, it.Line)
	}
	return s.wait(ctx, started, lines, keys), nil
}

// HealthCheck is StartHealthCheck waited for.
func (s *Service) HealthCheck(ctx context.Context, providerID string, given []string) (SyncResult, error) {
	p, keys, err := s.healthKeys(ctx, providerID, given)
	if err != nil {
		return SyncResult{}, err
	}
	job := s.startCheck(p, keys)
	byLine := make(map[int]string, len(keys))
	lines := make([]int, len(keys))
	for i, k := range keys {
		byLine[i+1], lines[i] = k, i+1
	}
	return s.wait(ctx, job, lines, byLine), nil
}

// wait waits for job, then reads its lines; a line with no result yet is
// unknown.
func (s *Service) wait(ctx context.Context, job *jobs.Job, lines []int, keys map[int]string) SyncResult {
	limit := s.cfg.ProbeTimeout
	if limit <= 0 {
		limit = 15 * time.Second
	}
	timer := time.NewTimer(syncProbeRounds * limit)
	defer timer.Stop()
	complete := false
	select {
	case <-job.Finished():
		complete = true
	case <-timer.C:
	case <-ctx.Done():
	}
	snap := job.Snapshot(0)
	now := s.now().UTC()
	got := make(map[int]jobs.Line, len(snap.Results))
	for _, l := range snap.Results {
		got[l.Line] = l
	}
	out := SyncResult{Job: snap.Summary, Complete: complete, Outcomes: make([]Outcome, 0, len(lines))}
	for _, n := range lines {
		o := Outcome{Line: n, Key: keys[n], Result: jobs.ResultUnknown, Reason: "not probed in time: follow the job", At: now}
		if l, ok := got[n]; ok {
			o.Result, o.Reason, o.Action = l.Result, l.Reason, l.Action
			o.Status = statusOf(l)
		}
		out.Outcomes = append(out.Outcomes, o)
	}
	return out
}

// statusOf is the HTTP status a line stands for, as the original reported
// it: 200 for a valid key, 401 for an invalid one, 0 when unknown.
func statusOf(l jobs.Line) int {
	switch l.Result {
	case jobs.ResultValid:
		return 200
	case jobs.ResultInvalid:
		return 401
	}
	return 0
}

// Verdict is one key probed on request.
type Verdict struct {
	Valid  bool
	Status int // the upstream's HTTP status; 0 when none arrived
	Reason string
	Key    string // masked
	At     time.Time
}

// VerifyKey probes one stored key (or id) now and applies the verdict: a
// working key is enabled, an invalid one failed for the cooldown; an
// inconclusive probe touches nothing.
func (s *Service) VerifyKey(ctx context.Context, providerID, given string) (Verdict, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return Verdict{}, err
	}
	if s.prober == nil {
		return Verdict{}, refuse(KindUnavailable, "the operator service is not started")
	}
	key, err := s.resolve(ctx, p, given)
	if err != nil {
		return Verdict{}, err
	}
	k, ok := p.Pool.Get(key)
	if key == "" || !ok {
		return Verdict{}, refuse(KindNotFound, "unknown key %s", redact.Key(key))
	}
	r := s.prober.Probe(ctx, p.Info, key)
	keepBalance(k, r, s.now())
	switch {
	case r.Valid() && !r.RateLimited: // a key in a quota window stays out until it ends
		if k.State().Status != models.StatusActive {
			_ = p.Pool.Enable(key)
		}
	case r.Verdict == probe.Invalid:
		p.Pool.Mark(k, pool.Invalid, time.Time{})
	}
	s.log.Info("operator: key verified", "provider", p.Info.ID, "key", redact.Key(key), "result", r.Verdict)
	return Verdict{Valid: r.Valid(), Status: r.Status, Reason: r.Reason, Key: redact.Key(key), At: s.now().UTC()}, nil
}
