package admin

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/keyimport"
)

// ImportInput is what the bulk upload form sent: pasted text, or an
// uploaded file.
type ImportInput struct {
	Text string // keys one a line, or ollama.txt lines
	// JSON: Text is a .json file, {"keys":[…]} (or a bare array) or
	// {"text":"…"}, read as POST /admin/api-keys/import-from-txt reads it.
	JSON bool
}

// parse checks the size as the JSON routes do and reads the keys.
func (pg *Pages) parse(in ImportInput) (keyimport.Result, error) {
	if limit := pg.h.cfg.MaxImportBytes; limit > 0 && len(in.Text) > limit {
		return keyimport.Result{}, errorf(fiber.StatusRequestEntityTooLarge,
			"the upload is %d bytes; the limit is %d (MAX_IMPORT_BYTES)", len(in.Text), limit)
	}
	if !in.JSON {
		return keyimport.Text(in.Text), nil
	}
	body := []byte(in.Text)
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		var elems []json.RawMessage
		if err := json.Unmarshal(trimmed, &elems); err != nil {
			return keyimport.Result{}, jsonError(body, err)
		}
		return keyimport.JSON(elems), nil
	}
	b, err := readJSONImport(body)
	if err != nil {
		return keyimport.Result{}, err
	}
	return b.parse(), nil
}

// ImportKeys stores the keys of in as the import routes do and reports
// what it did with each line.
func (pg *Pages) ImportKeys(c *fiber.Ctx, providerID string, in ImportInput) (ImportReport, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return ImportReport{}, err
	}
	parsed, err := pg.parse(in)
	if err != nil {
		return ImportReport{}, err
	}
	return pg.h.store(c, p, parsed)
}

// StartValidatedImport starts the job of POST
// /admin/api-keys/import-with-validation: each key probed upstream, the
// valid ones stored. It returns the job's id; the job's report is an
// ImportReport.
func (pg *Pages) StartValidatedImport(c *fiber.Ctx, providerID string, in ImportInput) (string, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return "", err
	}
	parsed, err := pg.parse(in)
	if err != nil {
		return "", err
	}
	jr := pg.jobs
	job := jr.jobs.Start(jobs.KindImportValidation, p.Info.ID, len(parsed.Items)+len(parsed.Invalid))
	for _, bad := range parsed.Invalid {
		job.Add(jobs.Line{Line: bad.Line, Result: jobs.ResultInvalid, Reason: bad.Reason})
	}
	jr.run(c, job, func(ctx context.Context) (any, error) { return jr.validate(ctx, job, p, parsed) })
	return job.ID(), nil
}
