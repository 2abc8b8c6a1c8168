package admin

import (
	"bytes"
	"encoding/json"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/redact"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// keyRoutes serves the key management routes (list, add, delete, enable,
// disable) and remembers the opaque ids it handed out.
type keyRoutes struct {
	h   *Handler
	ids *keyIDs
	now func() time.Time
}

func newKeyRoutes(h *Handler) *keyRoutes {
	return &keyRoutes{h: h, ids: newKeyIDs(), now: time.Now}
}

// keyView is one key as the admin API shows it: masked, with an opaque
// id that the actions accept instead of the key.
type keyView struct {
	ID                  string     `json:"id"`
	APIKey              string     `json:"api_key"`
	Username            string     `json:"username"`
	Status              string     `json:"status"`
	FailedUntil         *time.Time `json:"failed_until"`
	DisabledUntil       *time.Time `json:"disabled_until"`
	ExpiresAt           *time.Time `json:"expires_at"`
	CreatedAt           time.Time  `json:"created_at"`
	ConsecutiveFailures int        `json:"consecutive_failures"`
	CoolingDownUntil    *time.Time `json:"cooling_down_until"`
	Stats               keyUsage   `json:"stats"`
}

type keyUsage struct {
	TotalRequests int64      `json:"total_requests"`
	SuccessCount  int64      `json:"success_count"`
	FailureCount  int64      `json:"failure_count"`
	SuccessRate   float64    `json:"success_rate"` // percent
	LastUsed      *time.Time `json:"last_used"`
}

// view masks a stored row and lays the pool's current state over it.
func (k *keyRoutes) view(p *Provider, r store.KeyRow) keyView {
	now := k.now().UTC()
	st := r.Key
	var cooling *time.Time
	if pk, ok := p.Pool.Get(r.APIKey); ok {
		st = pk.State()
		if t := pk.CoolingDownUntil(); t.After(now) {
			t = t.UTC()
			cooling = &t
		}
	}
	st = current(st, now)
	k.ids.remember(p.Info.ID, r.APIKey)
	return keyView{ID: keyID(r.APIKey), APIKey: redact.Key(r.APIKey), Username: r.Username, Status: st.Status,
		FailedUntil: st.FailedUntil, DisabledUntil: st.DisabledUntil, ExpiresAt: st.ExpiresAt, CreatedAt: r.CreatedAt,
		ConsecutiveFailures: st.ConsecutiveFailures, CoolingDownUntil: cooling,
		Stats: keyUsage{TotalRequests: r.TotalRequests, SuccessCount: r.SuccessCount, FailureCount: r.FailureCount,
			SuccessRate: r.SuccessRate, LastUsed: r.LastUsed}}
}

// current applies the passage of time to a key's state as the pool does
// (its sweep writes the same a few seconds later): an ended failure or
// disable is active again, a key past expires_at is expired.
func current(s models.Key, now time.Time) models.Key {
	switch {
	case s.ExpiresAt != nil && !s.ExpiresAt.After(now):
		s.Status = models.StatusExpired
	case s.Status == models.StatusFailed && s.FailedUntil != nil && !s.FailedUntil.After(now):
		s.Status, s.FailedUntil, s.ConsecutiveFailures = models.StatusActive, nil, 0
	case s.Status == models.StatusDisabled && s.DisabledUntil != nil && !s.DisabledUntil.After(now):
		s.Status, s.DisabledUntil = models.StatusActive, nil
	case s.Status == "":
		s.Status = models.StatusActive
	}
	return s
}

// keyRow answers one key's view; 404 if it is not stored.
func (k *keyRoutes) keyRow(c *fiber.Ctx, p *Provider, apiKey string) (keyView, error) {
	r, err := p.Store.KeyRow(c.UserContext(), apiKey)
	if errors.Is(err, store.ErrNotFound) {
		return keyView{}, errorf(fiber.StatusNotFound, "unknown key %s", redact.Key(apiKey))
	}
	if err != nil {
		return keyView{}, err
	}
	return k.view(p, r), nil
}

// decodeBody reads a JSON request body into v (an empty body leaves v
// alone); a malformed one is a 400 naming the byte where parsing stopped.
func decodeBody(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	err := json.Unmarshal(body, v)
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &syn):
		return errorf(fiber.StatusBadRequest, "malformed JSON at byte %d: %v", syn.Offset, err)
	case errors.As(err, &typ):
		return errorf(fiber.StatusBadRequest, "malformed JSON at byte %d: %v", typ.Offset, err)
	}
	return errorf(fiber.StatusBadRequest, "malformed JSON: %v", err)
}
