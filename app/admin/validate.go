package admin

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/app/probe"
)

// importWithValidation is POST /admin/api-keys/import-with-validation:
// the inputs of the other imports, each key probed upstream before it is
// stored. It answers 202 {"job_id","total"} at once; the job reports per
// line and ends with the import report of the valid keys.
func (jr *jobRoutes) importWithValidation(c *fiber.Ctx) error {
	in, p, err := jr.h.readImport(c)
	if err != nil {
		return err
	}
	parsed := in.parse()
	job := jr.jobs.Start(jobs.KindImportValidation, p.Info.ID, len(parsed.Items)+len(parsed.Invalid))
	for _, bad := range parsed.Invalid {
		job.Add(jobs.Line{Line: bad.Line, Result: jobs.ResultInvalid, Reason: bad.Reason})
	}
	jr.run(c, job, func(ctx context.Context) (any, error) { return jr.validate(ctx, job, p, parsed) })
	return c.Status(fiber.StatusAccepted).JSON(jobStarted{JobID: job.ID(), Total: job.Summary().Total})
}

// validate probes every parsed key and stores the valid ones (rate
// limited keys are valid; keys whose probe was inconclusive are not
// stored, so they can be tried again). The pool keeps the balance each
// stored key's probe reported.
func (jr *jobRoutes) validate(ctx context.Context, job *jobs.Job, p *Provider, parsed keyimport.Result) (ImportReport, error) {
	keys := make([]string, len(parsed.Items))
	for i, it := range parsed.Items {
		keys[i] = it.APIKey
	}
	// Each index is written by one probe and read after Each returns.
	results := make([]probe.Result, len(keys))
	answered := make([]time.Time, len(keys))
	jr.prober.Each(ctx, p.Info, keys, jr.concurrency, func(i int, r probe.Result) {
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
	report, err := jr.h.storeKeys(ctx, p, keep)
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
