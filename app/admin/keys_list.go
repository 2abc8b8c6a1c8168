package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// statusCoolingDown filters active keys resting after a 429: a state the
// pool keeps in memory only.
const statusCoolingDown = "cooling_down"

// keyPage is GET /admin/api-keys.
type keyPage struct {
	Provider string    `json:"provider"`
	Page     int       `json:"page"`
	PerPage  int       `json:"per_page"`
	Total    int64     `json:"total"`
	Keys     []keyView `json:"keys"`
}

// listKeys answers one page of keys: ?status=, ?q= (substring of the key,
// or of the username in any case), ?page=, ?per_page= (1–500, default 50;
// outside → 400, as GET /admin/keys/stats), ?sort=created_at|status|
// last_used|requests, ?order=asc|desc (desc, but asc for status).
//
// The pool's state is the truth about a key's status; the store's follows
// within a second of a change (within ~5 s of a cooldown's end). So:
//   - the rows are selected by the stored status in SQL, where the indexes
//     of migration 0004 keep a page of 100,000 keys fast;
//   - each row shows the pool's current status, which for those few seconds
//     may differ from the filter;
//   - without ?q=, total is the pool's count of keys in that status (an
//     exact SQL count of 90,000 rows alone costs ~17 ms); with ?q= it is
//     counted in SQL;
//   - cooling_down lives in memory only: that filter walks the active keys
//     and asks the pool (at once empty when the pool has none cooling).
func (k *keyRoutes) listKeys(c *fiber.Ctx) error {
	p, err := k.h.provider(c.Query("provider"))
	if err != nil {
		return err
	}
	page, err := intParam(c, "page", 1, 1, 1_000_000_000)
	if err != nil {
		return err
	}
	perPage, err := intParam(c, "per_page", 50, 1, 500)
	if err != nil {
		return err
	}
	q, err := keyQuery(c, perPage, (page-1)*perPage)
	if err != nil {
		return err
	}
	rows, total, err := k.page(c, p, q)
	if err != nil {
		return err
	}
	out := keyPage{Provider: p.Info.ID, Page: page, PerPage: perPage, Total: total, Keys: make([]keyView, len(rows))}
	for i, r := range rows {
		out.Keys[i] = k.view(p, r)
	}
	return c.JSON(out)
}

// keyQuery reads and checks the listing's filters and order.
func keyQuery(c *fiber.Ctx, limit, offset int) (store.KeyQuery, error) {
	q := store.KeyQuery{Status: c.Query("status"), Search: c.Query("q"), Sort: c.Query("sort", "created_at"),
		Limit: limit, Offset: offset}
	switch q.Status {
	case "", models.StatusActive, models.StatusFailed, models.StatusDisabled, models.StatusExpired, statusCoolingDown:
	default:
		return q, errorf(fiber.StatusBadRequest, "status must be active, failed, disabled, expired or cooling_down")
	}
	if !store.ValidKeyListSort(q.Sort) {
		return q, errorf(fiber.StatusBadRequest, "sort must be created_at, status, last_used or requests")
	}
	order := c.Query("order", map[bool]string{true: "asc", false: "desc"}[q.Sort == "status"])
	if order != "asc" && order != "desc" {
		return q, errorf(fiber.StatusBadRequest, "order must be asc or desc")
	}
	q.Desc = order == "desc"
	return q, nil
}

// page reads one page and the number of keys matching q.
func (k *keyRoutes) page(c *fiber.Ctx, p *Provider, q store.KeyQuery) ([]store.KeyRow, int64, error) {
	counts := p.Pool.Counts()
	if q.Status == statusCoolingDown {
		if counts.CoolingDown == 0 {
			return []store.KeyRow{}, 0, nil
		}
		return k.coolingPage(c, p, q)
	}
	rows, err := p.Store.KeyPage(c.UserContext(), q)
	if err != nil || q.Search == "" {
		return rows, poolTotal(counts, q.Status), err
	}
	total, err := p.Store.CountKeys(c.UserContext(), q)
	return rows, total, err
}

// poolTotal is the pool's count of keys in a status ("" for all).
func poolTotal(c pool.Counts, status string) int64 {
	n := map[string]int{"": c.Total, models.StatusActive: c.Active, models.StatusFailed: c.Failed,
		models.StatusDisabled: c.Disabled, models.StatusExpired: c.Expired}[status]
	return int64(n)
}

// coolingPage pages the active keys the pool holds in a 429 cooldown.
func (k *keyRoutes) coolingPage(c *fiber.Ctx, p *Provider, q store.KeyQuery) ([]store.KeyRow, int64, error) {
	q.Status = models.StatusActive
	all, err := p.Store.KeyOrder(c.UserContext(), q)
	if err != nil {
		return nil, 0, err
	}
	now := k.now()
	cooling := all[:0]
	for _, a := range all {
		if pk, ok := p.Pool.Get(a); ok && pk.CoolingDownUntil().After(now) {
			cooling = append(cooling, a)
		}
	}
	page := cooling[min(q.Offset, len(cooling)):min(q.Offset+q.Limit, len(cooling))]
	found, err := p.Store.KeyRows(c.UserContext(), page)
	if err != nil {
		return nil, 0, err
	}
	byKey := make(map[string]store.KeyRow, len(found))
	for _, r := range found {
		byKey[r.APIKey] = r
	}
	rows := make([]store.KeyRow, 0, len(page))
	for _, a := range page {
		if r, ok := byKey[a]; ok {
			rows = append(rows, r)
		}
	}
	return rows, int64(len(cooling)), nil
}
