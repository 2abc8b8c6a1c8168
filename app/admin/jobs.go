package admin

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/probe"
)

// sseKeepAlive is how often an idle event stream sends a comment, which is
// also how soon a gone client is noticed while a job is quiet.
const sseKeepAlive = 15 * time.Second

// jobRoutes serves the routes that probe keys in background jobs (imports
// with validation, health checks) and the job progress routes.
type jobRoutes struct {
	h           *Handler
	jobs        *jobs.Registry
	prober      *probe.Prober
	concurrency int // probes in flight per job
}

func newJobRoutes(h *Handler) *jobRoutes {
	n := h.cfg.ValidateConcurrency
	if n <= 0 {
		n = probe.DefaultConcurrency
	}
	pr := probe.New(probe.Config{Timeout: h.cfg.ProbeTimeout, OllamaProbeModel: h.cfg.OllamaProbeModel, Log: h.log})
	h.closeProber = pr.Close
	return &jobRoutes{h: h, jobs: jobs.NewRegistry(jobs.Config{}), concurrency: n, prober: pr}
}

// jobStarted is the 202 answer of a route that started a job.
type jobStarted struct {
	JobID string `json:"job_id"`
	Total int    `json:"total"`
}

// run runs a job's work after the request has ended: not cancelled with
// the request, but with the admin handler's Close, and with a panic turned
// into a failed job instead of a dead process.
func (jr *jobRoutes) run(c *fiber.Ctx, job *jobs.Job, work func(ctx context.Context) (report any, err error)) {
	ctx := jr.h.base
	jr.h.jobsWG.Add(1)
	go func() {
		defer jr.h.jobsWG.Done()
		defer func() {
			if r := recover(); r != nil {
				jr.h.log.Error("admin: job panicked", "job", job.ID(), "panic", r)
				job.Finish(nil, fmt.Errorf("internal error"))
			}
		}()
		report, err := work(ctx)
		if err != nil {
			jr.h.log.Error("admin: job failed", "job", job.ID(), "err", err)
			report = nil // a half-made report would mislead
		}
		job.Finish(report, err)
		s := job.Summary()
		jr.h.log.Info("admin: job finished", "job", s.ID, "kind", s.Kind, "provider", s.Provider, "state", s.State,
			"total", s.Total, "valid", s.Valid, "invalid", s.Invalid, "unknown", s.Unknown,
			"duration_ms", s.FinishedAt.Sub(s.StartedAt).Milliseconds())
	}()
}

// job resolves :id.
func (jr *jobRoutes) job(c *fiber.Ctx) (*jobs.Job, error) {
	job, ok := jr.jobs.Get(c.Params("id"))
	if !ok {
		return nil, errorf(fiber.StatusNotFound, "no job %q (finished jobs are kept for %v)", c.Params("id"), jobs.DefaultTTL)
	}
	return job, nil
}

// getJob is GET /admin/jobs/:id: the job with its per-line results
// (?since=N: only the results from index N on, for polling).
func (jr *jobRoutes) getJob(c *fiber.Ctx) error {
	job, err := jr.job(c)
	if err != nil {
		return err
	}
	since := c.QueryInt("since", 0)
	return c.JSON(job.Snapshot(since))
}

// jobEvents is GET /admin/jobs/:id/events: Server-Sent Events, first the
// job as it stands, then "progress" per change (counters and the new
// lines), and "done" at the end.
func (jr *jobRoutes) jobEvents(c *fiber.Ctx) error {
	job, err := jr.job(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	sub := job.Subscribe()
	log := jr.h.log // c must not be touched once the handler has returned
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Close()
		defer func() {
			if r := recover(); r != nil { // Fiber's recover cannot see this goroutine
				log.Error("admin: job event stream panicked", "job", job.ID(), "panic", r)
			}
		}()
		streamEvents(w, sub)
	})
	return nil
}

// streamEvents writes sub's events until done or until a write fails,
// which is how a gone client shows.
func streamEvents(w *bufio.Writer, sub *jobs.Subscription) {
	tick := time.NewTicker(sseKeepAlive)
	defer tick.Stop()
	for {
		for ev, ok := sub.Next(); ok; ev, ok = sub.Next() {
			if writeEvent(w, ev) != nil || ev.Type == jobs.EventDone {
				return
			}
		}
		select {
		case <-sub.C:
		case <-tick.C:
			if _, err := w.WriteString(": keep-alive\n\n"); err != nil || w.Flush() != nil {
				return
			}
		}
	}
}

// writeEvent writes one SSE event and flushes it.
func writeEvent(w *bufio.Writer, ev jobs.Event) error {
	data, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", ev.Type, data); err != nil {
		return err
	}
	return w.Flush()
}
