package admin

import (
	"fmt"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/keyimport"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/redact"
)

// maxDetails is how many details the original's /admin/import listed.
const maxDetails = 50

// accountsAnswer is POST /admin/import's answer: the original's fields,
// then Keypool's.
type accountsAnswer struct {
	Success    bool                `json:"success"`
	Imported   int64               `json:"imported"`
	Failed     int64               `json:"failed"` // unreadable entries and keys stored already
	Total      int                 `json:"total"`
	Duplicates int64               `json:"duplicates"`
	Skipped    int                 `json:"skipped"`
	Details    []accountDetail     `json:"details"`
	Invalid    []keyimport.Invalid `json:"invalid"`
	Added      int64               `json:"added"`
	Existing   int64               `json:"existing"`
}

// accountDetail is one entry the import could not take, or a note.
type accountDetail struct {
	Line  int    `json:"line,omitempty"`
	Error string `json:"error,omitempty"`
	Info  string `json:"info,omitempty"`
}

// importAccounts is the original's POST /admin/import (what its dashboard
// used): {"accounts":[line or {"api_key","username"|"email"}],"provider"};
// for "----" lines the key is the last field and the username the first.
func (h *Handler) importAccounts(c *fiber.Ctx) error {
	in, err := readImport(c, fiber.MIMEApplicationJSON)
	if err != nil {
		return err
	}
	r, err := h.ops.ImportKeys(c.UserContext(), c.Query("provider"), in)
	if err != nil {
		return err
	}
	out := accountsAnswer{Success: r.Total > len(r.Invalid), Imported: r.Imported, Failed: int64(len(r.Invalid)) + r.Existing,
		Total: r.Total + r.Skipped, Duplicates: r.Duplicates, Skipped: r.Skipped, Details: []accountDetail{},
		Invalid: r.Invalid, Added: r.Added, Existing: r.Existing}
	for _, bad := range r.Invalid[:min(len(r.Invalid), maxDetails)] {
		out.Details = append(out.Details, accountDetail{Line: bad.Line, Error: bad.Reason})
	}
	if r.Duplicates > 0 && len(out.Details) < maxDetails {
		out.Details = append(out.Details, accountDetail{Info: fmt.Sprintf("skipped %d duplicates", r.Duplicates)})
	}
	return c.JSON(out)
}

// validationAnswer is import-with-validation's synchronous answer: the
// original's fields, then Keypool's.
type validationAnswer struct {
	Total      int                   `json:"total"`
	Valid      []validKey            `json:"valid"`
	Invalid    []invalidKey          `json:"invalid"`
	Categories map[string][]validKey `json:"categories"`
	JobID      string                `json:"job_id"`
	Complete   bool                  `json:"complete"` // false: some probes had not answered; the job goes on
	Report     any                   `json:"report,omitempty"`
}

type validKey struct {
	Key      string    `json:"key"`     // masked
	FullKey  string    `json:"fullKey"` // masked unless ?reveal=true
	Category string    `json:"category"`
	Model    string    `json:"model"`
	AddedAt  time.Time `json:"addedAt"`
	Line     int       `json:"line"`
}

type invalidKey struct {
	Key   string `json:"key"` // masked; empty for a line that held no key
	Error string `json:"error"`
	Line  int    `json:"line"`
}

// category is the original's grouping of valid keys; Keypool's free
// probes name no model, so every key is "general" with model "unknown",
// as the original answered when it could not tell.
const category, unknownModel = "general", "unknown"

func validationOf(res operator.SyncResult, reveal bool) validationAnswer {
	out := validationAnswer{Total: len(res.Outcomes), Valid: []validKey{}, Invalid: []invalidKey{},
		Categories: map[string][]validKey{}, JobID: res.Job.ID, Complete: res.Complete, Report: res.Job.Report}
	for _, o := range res.Outcomes {
		masked := ""
		if o.Key != "" {
			masked = redact.Key(o.Key)
		}
		if o.Result != jobs.ResultValid {
			out.Invalid = append(out.Invalid, invalidKey{Key: masked, Error: o.Reason, Line: o.Line})
			continue
		}
		v := validKey{Key: masked, FullKey: masked, Category: category, Model: unknownModel, AddedAt: o.At, Line: o.Line}
		if reveal {
			v.FullKey = o.Key
		}
		out.Valid = append(out.Valid, v)
		out.Categories[category] = append(out.Categories[category], v)
	}
	return out
}

// healthAnswer is the health check's synchronous answer.
type healthAnswer struct {
	Results  []healthResult `json:"results"`
	JobID    string         `json:"job_id"`
	Complete bool           `json:"complete"`
	Report   any            `json:"report,omitempty"`
}

type healthResult struct {
	APIKey    string    `json:"apiKey"`  // masked
	FullKey   string    `json:"fullKey"` // masked unless ?reveal=true
	Healthy   bool      `json:"healthy"`
	Status    int       `json:"status"` // 200 valid, 401 invalid, 0 unknown
	Timestamp time.Time `json:"timestamp"`
	Error     string    `json:"error,omitempty"`
	Result    string    `json:"result"` // valid | invalid | unknown
	Action    string    `json:"action,omitempty"`
}

func healthOf(res operator.SyncResult, reveal bool) healthAnswer {
	out := healthAnswer{Results: make([]healthResult, len(res.Outcomes)), JobID: res.Job.ID, Complete: res.Complete, Report: res.Job.Report}
	for i, o := range res.Outcomes {
		r := healthResult{APIKey: redact.Key(o.Key), FullKey: redact.Key(o.Key), Healthy: o.Result == jobs.ResultValid,
			Status: o.Status, Timestamp: o.At, Result: o.Result, Action: o.Action}
		if reveal {
			r.FullKey = o.Key
		}
		if !r.Healthy {
			r.Error = o.Reason
		}
		out.Results[i] = r
	}
	return out
}

type verifyKeyRequest struct {
	APIKey    string `json:"apiKey"`
	APIKeyAlt string `json:"api_key"`
	Provider  string `json:"provider"`
}

// verifyAnswer is the original's answer of POST /admin/verify-key; its
// apiKey is masked as every key Keypool shows.
type verifyAnswer struct {
	Valid     bool      `json:"valid"`
	Status    int       `json:"status"`
	Error     string    `json:"error,omitempty"`
	APIKey    string    `json:"apiKey"`
	Timestamp time.Time `json:"timestamp"`
}

// verifyKey is POST /admin/verify-key {"apiKey"}: it probes a stored key
// now; a working key is enabled, an invalid one failed.
func (h *Handler) verifyKey(c *fiber.Ctx) error {
	var in verifyKeyRequest
	if err := decodeBody(c, &in); err != nil {
		return err
	}
	key := firstOf(in.APIKey, in.APIKeyAlt)
	if key == "" {
		return errorf(fiber.StatusBadRequest, `send {"apiKey":"…"} (the key or its id)`)
	}
	v, err := h.ops.VerifyKey(c.UserContext(), providerOf(c, in.Provider), key)
	if err != nil {
		return err
	}
	out := verifyAnswer{Valid: v.Valid, Status: v.Status, APIKey: v.Key, Timestamp: v.At}
	if !v.Valid {
		out.Error = v.Reason
	}
	if out.Status == 0 && v.Valid {
		out.Status = fiber.StatusOK
	}
	return c.JSON(out)
}
