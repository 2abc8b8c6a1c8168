package admin

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// keyListAnswer is a page of keys: Keypool's fields and the original's
// (api_keys, pageSize, totalPages).
type keyListAnswer struct {
	operator.KeyList
	APIKeys    []originalKey `json:"api_keys"`
	PageSize   int           `json:"pageSize"`
	TotalPages int           `json:"totalPages"`
}

// originalKey is a key as the original listed it.
type originalKey struct {
	APIKey    string     `json:"api_key"`
	Username  string     `json:"username"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at"`
}

func listAnswer(l operator.KeyList, reveal bool) keyListAnswer {
	out := keyListAnswer{KeyList: l, APIKeys: make([]originalKey, len(l.Keys)), PageSize: l.PerPage, TotalPages: 1}
	if l.PerPage > 0 && l.Total > int64(l.PerPage) {
		out.TotalPages = int((l.Total + int64(l.PerPage) - 1) / int64(l.PerPage))
	}
	for i, k := range l.Keys {
		key := k.APIKey
		if reveal {
			key = k.Secret
		}
		out.APIKeys[i] = originalKey{APIKey: key, Username: k.Username, Status: k.Status, CreatedAt: k.CreatedAt, ExpiresAt: k.ExpiresAt}
	}
	return out
}

// revealOf reads ?reveal=: true shows whole keys where the original did.
func revealOf(c *fiber.Ctx) (bool, error) {
	v := c.Query("reveal")
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, errorf(fiber.StatusBadRequest, "reveal must be true or false")
	}
	return b, nil
}

// firstOf is the first non-empty value: Keypool's name, then the original's.
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
