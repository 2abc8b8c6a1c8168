package admin

import (
	"bufio"
	"encoding/json"
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
)

// sseKeepAlive is how often an idle event stream sends a comment, which is
// also how soon a gone client is noticed while a job is quiet.
const sseKeepAlive = 15 * time.Second

// getJob is GET /admin/jobs/:id: the job with its per-line results
// (?since=N: only the results from index N on, for polling).
func (h *Handler) getJob(c *fiber.Ctx) error {
	job, err := h.ops.Job(c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(job.Snapshot(c.QueryInt("since", 0)))
}

// jobEvents is GET /admin/jobs/:id/events: Server-Sent Events, first the
// job as it stands, then "progress" per change (counters and the new
// lines), and "done" at the end.
func (h *Handler) jobEvents(c *fiber.Ctx) error {
	job, err := h.ops.Job(c.Params("id"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/event-stream")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no") // nginx: do not buffer the stream
	sub := job.Subscribe()
	log := h.log // c must not be touched once the handler has returned
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
