package admin

import (
	"encoding/json"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/models"
)

// importRequest is the original project's import call:
// {"keys":["sk-a","sk-b"],"provider":"ollama"}. A key may also be an
// object {"api_key","username","expires_at"}.
type importRequest struct {
	Keys     []json.RawMessage `json:"keys"`
	Provider string            `json:"provider"`
}

type keyObject struct {
	APIKey    string     `json:"api_key"`
	Username  string     `json:"username"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// ImportReport says what an import did with each input.
type ImportReport struct {
	Imported   int64         `json:"imported"`
	Duplicates int64         `json:"duplicates"`
	Invalid    []InvalidLine `json:"invalid"`
	Skipped    int           `json:"skipped"`
}

// InvalidLine is one rejected input, numbered from 1.
type InvalidLine struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// maxKeyLen bounds one key; real keys are far shorter.
const maxKeyLen = 512

func (h *Handler) importKeys(c *fiber.Ctx) error {
	var in importRequest
	if err := json.Unmarshal(c.Body(), &in); err != nil {
		return errorf(fiber.StatusBadRequest, "malformed JSON: %v", err)
	}
	p, err := h.provider(firstNonEmpty(c.Query("provider"), in.Provider))
	if err != nil {
		return err
	}
	report := ImportReport{Invalid: []InvalidLine{}}
	seen := make(map[string]bool, len(in.Keys))
	rows := make([]models.Key, 0, len(in.Keys))
	for i, raw := range in.Keys {
		k, reason := parseKeyItem(raw)
		if reason != "" {
			report.Invalid = append(report.Invalid, InvalidLine{Line: i + 1, Reason: reason})
			continue
		}
		if seen[k.APIKey] {
			report.Duplicates++
			continue
		}
		seen[k.APIKey] = true
		rows = append(rows, k)
	}
	inserted, err := p.Store.InsertKeys(c.UserContext(), rows)
	if err != nil {
		return err
	}
	report.Imported = inserted
	report.Duplicates += int64(len(rows)) - inserted
	if err := p.reloadKeys(c.UserContext()); err != nil {
		return err
	}
	h.log.Info("admin: keys imported", "provider", p.Info.ID, "imported", report.Imported,
		"duplicates", report.Duplicates, "invalid", len(report.Invalid))
	return c.JSON(report)
}

// parseKeyItem reads one element of "keys": a string or an object.
func parseKeyItem(raw json.RawMessage) (models.Key, string) {
	var k keyObject
	if err := json.Unmarshal(raw, &k.APIKey); err != nil {
		if err := json.Unmarshal(raw, &k); err != nil {
			return models.Key{}, "not a key string or {\"api_key\":…} object"
		}
	}
	k.APIKey = strings.TrimSpace(k.APIKey)
	if reason := checkKey(k.APIKey); reason != "" {
		return models.Key{}, reason
	}
	row := models.Key{APIKey: k.APIKey, Username: k.Username, Status: models.StatusActive,
		CreatedAt: time.Now().UTC(), ExpiresAt: k.ExpiresAt}
	return row, ""
}

// checkKey returns why a key is unusable, or "".
func checkKey(key string) string {
	switch {
	case key == "":
		return "empty key"
	case len(key) > maxKeyLen:
		return "key longer than 512 bytes"
	}
	for _, r := range key {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return "key contains spaces or control characters"
		}
	}
	return ""
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
