package admin

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// readImport is an import request's body as the operator reads it, after
// refusing a compressed one.
func readImport(c *fiber.Ctx, contentType string) (operator.Import, error) {
	if enc := c.Get(fiber.HeaderContentEncoding); enc != "" && !strings.EqualFold(enc, "identity") {
		return operator.Import{}, errorf(fiber.StatusUnsupportedMediaType, "compressed import bodies (%s) are not accepted", enc)
	}
	return operator.Import{ContentType: contentType, Body: c.Request().Body()}, nil
}

// importKeys is the original project's import call:
// {"keys":["sk-a","sk-b"],"provider":"ollama"}; a key may also be an
// object {"api_key","username","expires_at"}. The body is JSON whatever
// its Content-Type says.
func (h *Handler) importKeys(c *fiber.Ctx) error {
	in, err := readImport(c, fiber.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	report, err := h.ops.ImportKeys(c.UserContext(), c.Query("provider"), in)
	if err != nil {
		return err
	}
	return c.JSON(report)
}

// importFromText is POST /admin/api-keys/import-from-txt: keys one a line
// (or ollama.txt lines), sent as text/plain, JSON ({"text"}, the
// original's {"content"}, {"keys"} or a bare array) or a multipart file
// field "file". It answers the import report.
func (h *Handler) importFromText(c *fiber.Ctx) error {
	in, err := readImport(c, c.Get(fiber.HeaderContentType))
	if err != nil {
		return err
	}
	report, err := h.ops.ImportKeys(c.UserContext(), c.Query("provider"), in)
	if err != nil {
		return err
	}
	return c.JSON(report)
}

// importWithValidation is POST /admin/api-keys/import-with-validation:
// the inputs of import-from-txt (the original's {"content"} too), each key
// probed upstream before it is stored. It answers, as the original did,
// when the probes are done (at most a few PROBE_TIMEOUTs; those not done
// by then are listed invalid with the reason, and stored later if valid);
// with ?async=true it answers 202 {"job_id","total"} at once: follow the
// job with /admin/jobs/:id.
func (h *Handler) importWithValidation(c *fiber.Ctx) error {
	in, err := readImport(c, c.Get(fiber.HeaderContentType))
	if err != nil {
		return err
	}
	async, reveal, err := syncFlags(c)
	if err != nil {
		return err
	}
	if async {
		started, err := h.ops.StartValidatedImport(c.UserContext(), c.Query("provider"), in)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(started)
	}
	res, err := h.ops.ValidateImport(c.UserContext(), c.Query("provider"), in)
	if err != nil {
		return err
	}
	h.logReveal(reveal, res)
	return c.JSON(validationOf(res, reveal))
}

type healthCheckRequest struct {
	APIKeys    []string `json:"api_keys"`
	APIKeysAlt []string `json:"apiKeys"` // the original's name
	Provider   string   `json:"provider"`
}

// healthCheck is POST /admin/keys/health-check {"api_keys"?:[…]} (keys or
// ids; default: every key of the provider). It answers the original's
// {"results":[…]} when the probes are done (bounded as import-with-
// validation; keys not probed by then are unknown), or with ?async=true
// 202 {"job_id","total"} at once.
func (h *Handler) healthCheck(c *fiber.Ctx) error {
	var in healthCheckRequest
	if body := c.Body(); len(body) > 0 {
		if err := operator.DecodeJSON(body, &in); err != nil {
			return err
		}
	}
	keys := in.APIKeys
	if len(keys) == 0 {
		keys = in.APIKeysAlt
	}
	async, reveal, err := syncFlags(c)
	if err != nil {
		return err
	}
	if async {
		started, err := h.ops.StartHealthCheck(c.UserContext(), providerOf(c, in.Provider), keys)
		if err != nil {
			return err
		}
		return c.Status(fiber.StatusAccepted).JSON(started)
	}
	res, err := h.ops.HealthCheck(c.UserContext(), providerOf(c, in.Provider), keys)
	if err != nil {
		return err
	}
	h.logReveal(reveal, res)
	return c.JSON(healthOf(res, reveal))
}

// logReveal records that whole keys were shown, as every reveal is.
func (h *Handler) logReveal(reveal bool, res operator.SyncResult) {
	if reveal {
		h.log.Info("admin: whole keys shown", "provider", res.Job.Provider, "job", res.Job.ID, "keys", len(res.Outcomes))
	}
}

// syncFlags reads ?async= and ?reveal=.
func syncFlags(c *fiber.Ctx) (async, reveal bool, err error) {
	if v := c.Query("async"); v != "" {
		if async, err = strconv.ParseBool(v); err != nil {
			return false, false, errorf(fiber.StatusBadRequest, "async must be true or false")
		}
	}
	reveal, err = revealOf(c)
	return async, reveal, err
}
