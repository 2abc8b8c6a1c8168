// Package jobs keeps background jobs (imports with validation, health
// checks) in memory with their progress and per-line results, so an admin
// page can follow a job live, be left, and come back to it later. Jobs
// hold masked keys only.
package jobs

import (
	"sync"
	"time"

	"github.com/keypool/keypool/app/redact"
)

// Kind names what a job does.
type Kind string

// Kinds of job.
const (
	KindImportValidation Kind = "import_validation"
	KindHealthCheck      Kind = "health_check"
)

// State is where a job is in its life.
type State string

// States. A job is running until Finish makes it done or failed.
const (
	Running State = "running"
	Done    State = "done"
	Failed  State = "failed"
)

// Line results.
const (
	ResultValid   = "valid"
	ResultInvalid = "invalid"
	ResultUnknown = "unknown"
)

// Line is the result of one input line or key.
type Line struct {
	Line   int    `json:"line"`             // 1-based line of the input, or position in the key list
	Key    string `json:"key,omitempty"`    // masked
	Result string `json:"result"`           // valid | invalid | unknown
	Reason string `json:"reason,omitempty"` // why, when not plainly valid
	Action string `json:"action,omitempty"` // what was done with the key: stored, duplicate, marked_failed, enabled…
}

// Summary is a job without its lines.
type Summary struct {
	ID         string     `json:"id"`
	Kind       Kind       `json:"kind"`
	Provider   string     `json:"provider"`
	State      State      `json:"state"`
	Total      int        `json:"total"`
	Done       int        `json:"done"`
	Valid      int        `json:"valid"`
	Invalid    int        `json:"invalid"`
	Unknown    int        `json:"unknown"`
	StartedAt  time.Time  `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
	Error      string     `json:"error,omitempty"`  // why a failed job failed
	Report     any        `json:"report,omitempty"` // the job's own outcome (e.g. an import report)
}

// Snapshot is a job as GET /admin/jobs/:id shows it.
type Snapshot struct {
	Summary
	Results []Line `json:"results"`
}

// Job is one background job. Its methods are safe for concurrent use.
type Job struct {
	now  func() time.Time
	done chan struct{}

	mu    sync.Mutex
	sum   Summary
	lines []Line
	subs  map[*Subscription]struct{}
}

func newJob(id string, kind Kind, provider string, total int, now func() time.Time) *Job {
	return &Job{now: now, done: make(chan struct{}), subs: map[*Subscription]struct{}{},
		sum: Summary{ID: id, Kind: kind, Provider: provider, State: Running, Total: total, StartedAt: now().UTC()}}
}

// ID is the job's id.
func (j *Job) ID() string { return j.sum.ID } // set once, before the job is shared

// Add records one line's result. l.Key is the plaintext key; it is masked
// here, so a job never holds a secret.
func (j *Job) Add(l Line) {
	if l.Key != "" {
		l.Key = redact.Key(l.Key)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lines = append(j.lines, l)
	j.sum.Done++
	switch l.Result {
	case ResultValid:
		j.sum.Valid++
	case ResultInvalid:
		j.sum.Invalid++
	default:
		j.sum.Unknown++
	}
	j.notify()
}

// Finish ends the job: done with its report, or failed with err. Later
// calls do nothing. report must not change afterwards.
func (j *Job) Finish(report any, err error) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.sum.State != Running {
		return
	}
	now := j.now().UTC()
	j.sum.State, j.sum.FinishedAt, j.sum.Report = Done, &now, report
	if err != nil {
		j.sum.State, j.sum.Error = Failed, err.Error()
	}
	close(j.done)
	j.notify()
}

// Finished is closed when the job has finished.
func (j *Job) Finished() <-chan struct{} { return j.done }

// Summary returns the job's counters and state.
func (j *Job) Summary() Summary {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.sum
}

// Snapshot returns the job with its lines from index since on (0: all).
func (j *Job) Snapshot(since int) Snapshot {
	j.mu.Lock()
	defer j.mu.Unlock()
	since = min(max(since, 0), len(j.lines))
	return Snapshot{Summary: j.sum, Results: append([]Line{}, j.lines[since:]...)}
}

// finishedAt is when the job finished, or zero while it runs.
func (j *Job) finishedAt() time.Time {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.sum.FinishedAt == nil {
		return time.Time{}
	}
	return *j.sum.FinishedAt
}
