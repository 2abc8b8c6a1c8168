package admin

import (
	"context"
	"encoding/json"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/probe"
	"github.com/keypool/keypool/models"
)

// Health check actions, per line.
const (
	actionMarkedFailed = "marked_failed"
	actionEnabled      = "enabled"
	actionNone         = "none"
	actionNotInPool    = "not_in_pool"
)

type healthCheckRequest struct {
	APIKeys  []string `json:"api_keys"`
	Provider string   `json:"provider"`
}

// healthCheckReport is the outcome of a health check job.
type healthCheckReport struct {
	MarkedFailed int64 `json:"marked_failed"`
	Enabled      int64 `json:"enabled"`
}

// healthCheck is POST /admin/keys/health-check {"api_keys"?:[…]} (default:
// every key of the provider). It answers 202 {"job_id","total"}; the job
// probes the keys, fails the invalid ones for the cooldown and brings
// failed keys that answer again back. Inconclusive probes touch nothing,
// nor do rate limits: a key in a quota window stays out until it ends.
func (jr *jobRoutes) healthCheck(c *fiber.Ctx) error {
	var in healthCheckRequest
	if body := c.Body(); len(body) > 0 {
		if err := json.Unmarshal(body, &in); err != nil {
			return jsonError(body, err)
		}
	}
	p, err := jr.h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	keys := dedupe(in.APIKeys)
	if len(keys) == 0 {
		rows, err := p.Store.ListKeys(c.UserContext())
		if err != nil {
			return err
		}
		for _, r := range rows {
			keys = append(keys, r.APIKey)
		}
	}
	job := jr.jobs.Start(jobs.KindHealthCheck, p.Info.ID, len(keys))
	jr.run(c, job, func(ctx context.Context) (any, error) { return jr.check(ctx, job, p, keys), nil })
	return c.Status(fiber.StatusAccepted).JSON(jobStarted{JobID: job.ID(), Total: len(keys)})
}

// check probes the keys the pool knows and applies each verdict.
func (jr *jobRoutes) check(ctx context.Context, job *jobs.Job, p *Provider, keys []string) *healthCheckReport {
	report := &healthCheckReport{}
	var known []string
	var entries []*pool.Key
	var lines []int
	for i, key := range keys {
		k, ok := p.Pool.Get(key)
		if !ok {
			job.Add(jobs.Line{Line: i + 1, Key: key, Result: jobs.ResultUnknown, Reason: "not a key of this provider", Action: actionNotInPool})
			continue
		}
		known, entries, lines = append(known, key), append(entries, k), append(lines, i+1)
	}
	var failed, enabled atomic.Int64
	jr.prober.Each(ctx, p.Info, known, jr.concurrency, func(i int, r probe.Result) {
		action := jr.apply(p, entries[i], r)
		switch action {
		case actionMarkedFailed:
			failed.Add(1)
		case actionEnabled:
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
func (jr *jobRoutes) apply(p *Provider, k *pool.Key, r probe.Result) string {
	keepBalance(k, r, time.Now())
	switch {
	case r.Verdict == probe.Invalid:
		p.Pool.Mark(k, pool.Invalid, time.Time{})
		if k.State().Status == models.StatusFailed {
			return actionMarkedFailed
		}
	case r.Valid() && !r.RateLimited:
		if k.State().Status == models.StatusFailed {
			if p.Pool.Enable(k.APIKey()) == nil {
				return actionEnabled
			}
			return actionNone
		}
		p.Pool.Mark(k, pool.Success, time.Time{}) // clears a run of transient failures
	}
	return actionNone
}

// dedupe drops blank and repeated keys, keeping the first of each.
func dedupe(keys []string) []string {
	seen := make(map[string]bool, len(keys))
	out := make([]string, 0, len(keys))
	for _, k := range keys {
		k = strings.TrimSpace(k)
		if k != "" && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}
