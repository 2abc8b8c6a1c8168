package admin

import (
	"context"
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/models"
)

// importRequest is the original project's import call:
// {"keys":["sk-a","sk-b"],"provider":"ollama"}. A key may also be an
// object {"api_key","username","expires_at"}.
type importRequest struct {
	Keys     []json.RawMessage `json:"keys"`
	Provider string            `json:"provider"`
}

// ImportReport says what an import did with each input.
type ImportReport struct {
	Imported   int64               `json:"imported"`
	Duplicates int64               `json:"duplicates"`
	Invalid    []keyimport.Invalid `json:"invalid"`
	Skipped    int                 `json:"skipped"`
}

func (h *Handler) importKeys(c *fiber.Ctx) error {
	var in importRequest
	if err := json.Unmarshal(c.Body(), &in); err != nil {
		return errorf(fiber.StatusBadRequest, "malformed JSON: %v", err)
	}
	p, err := h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	report, err := h.store(c, p, keyimport.JSON(in.Keys))
	if err != nil {
		return err
	}
	return c.JSON(report)
}

// store inserts parsed keys (skipping those already stored), makes the
// pool see them, and reports.
func (h *Handler) store(c *fiber.Ctx, p *Provider, parsed keyimport.Result) (ImportReport, error) {
	return h.storeKeys(c.UserContext(), p, parsed)
}

// storeKeys is store for callers without a request, such as the jobs of
// an import with validation, which store after the request has ended.
func (h *Handler) storeKeys(ctx context.Context, p *Provider, parsed keyimport.Result) (ImportReport, error) {
	now := time.Now().UTC()
	rows := make([]models.Key, len(parsed.Items))
	for i, it := range parsed.Items {
		rows[i] = models.Key{APIKey: it.APIKey, Username: it.Username, Status: models.StatusActive,
			CreatedAt: now, ExpiresAt: it.ExpiresAt}
	}
	inserted, err := p.Store.InsertKeys(ctx, rows)
	if err != nil {
		return ImportReport{}, err
	}
	if err := p.reloadKeys(ctx); err != nil {
		return ImportReport{}, err
	}
	report := ImportReport{Imported: inserted, Duplicates: int64(parsed.Duplicates) + int64(len(rows)) - inserted,
		Invalid: parsed.Invalid, Skipped: parsed.Skipped}
	h.log.Info("admin: keys imported", "provider", p.Info.ID, "imported", report.Imported,
		"duplicates", report.Duplicates, "invalid", len(report.Invalid))
	return report, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
