package operator

import (
	"context"
	"strconv"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/models"
)

// StatusCoolingDown filters active keys resting after a 429 or upstream
// errors of their own: a state the pool keeps in memory only.
const StatusCoolingDown = "cooling_down"

// KeyListQuery is what a listing of keys asks for, as the caller received
// it; ListKeys checks it.
type KeyListQuery struct {
	Status  string // "" or all, active, failed, disabled, expired, cooling_down
	Search  string // substring of the key, or of the username in any case
	Sort    string // created_at (default), status, last_used, requests
	Order   string // asc | desc; default desc, asc for status
	Page    string // from 1 (default 1)
	PerPage string // 1–500 (default 50)
	All     bool   // every matching key, in pages of MaxPerPage read one after another
}

// MaxPerPage is the largest page of keys one read returns.
const MaxPerPage = 500

// KeyList is one page of keys.
type KeyList struct {
	Provider string    `json:"provider"`
	Page     int       `json:"page"`
	PerPage  int       `json:"per_page"`
	Total    int64     `json:"total"`
	Keys     []KeyView `json:"keys"`
}

// ListKeys reads one page of keys.
//
// The pool's state is the truth about a key's status; the store's follows
// within a second of a change (within ~5 s of a cooldown's end). So:
//   - the rows are selected by the stored status in SQL, where the indexes
//     of migration 0004 keep a page of 100,000 keys fast;
//   - each row shows the pool's current status, which for those few seconds
//     may differ from the filter;
//   - without a search, total is the pool's count of keys in that status
//     (an exact SQL count of 90,000 rows alone costs ~17 ms); with one it
//     is counted in SQL first, so that the store plans the page for the
//     number of matches (a page of a rare match is read from the trigram
//     indexes);
//   - cooling_down lives in memory only: that filter walks the active keys
//     and asks the pool (at once empty when the pool has none cooling).
func (s *Service) ListKeys(ctx context.Context, providerID string, in KeyListQuery) (KeyList, error) {
	p, err := s.Provider(providerID)
	if err != nil {
		return KeyList{}, err
	}
	page, err := Int("page", in.Page, 1, 1, 1_000_000_000)
	if err != nil {
		return KeyList{}, err
	}
	perPage, err := Int("per_page", in.PerPage, 50, 1, MaxPerPage)
	if err != nil {
		return KeyList{}, err
	}
	if in.All {
		page, perPage = 1, MaxPerPage
	}
	q, err := keyQuery(in, perPage, (page-1)*perPage)
	if err != nil {
		return KeyList{}, err
	}
	rows, total, err := s.page(ctx, p, q)
	if err != nil {
		return KeyList{}, err
	}
	for in.All && len(rows) == q.Offset+q.Limit && int64(len(rows)) < total {
		q.Offset += q.Limit
		more, _, err := s.page(ctx, p, q)
		if err != nil {
			return KeyList{}, err
		}
		if len(more) == 0 {
			break
		}
		rows = append(rows, more...)
	}
	if in.All {
		perPage = len(rows)
	}
	out := KeyList{Provider: p.Info.ID, Page: page, PerPage: perPage, Total: total, Keys: make([]KeyView, len(rows))}
	for i, r := range rows {
		out.Keys[i] = s.view(p, r)
	}
	return out, nil
}

// Int reads a whole number given as text ("" → def) within [lo, hi]; out
// of range or not a number is Invalid, naming the field.
func Int(field, v string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalid(field, "%s must be a whole number from %d to %d", field, lo, hi)
	}
	return n, nil
}

// keyQuery checks the listing's filters and order.
func keyQuery(in KeyListQuery, limit, offset int) (store.KeyQuery, error) {
	q := store.KeyQuery{Status: in.Status, Search: in.Search, Sort: in.Sort, Limit: limit, Offset: offset}
	if q.Status == "all" { // the original's word for no filter
		q.Status = ""
	}
	if q.Sort == "" {
		q.Sort = "created_at"
	}
	switch q.Status {
	case "", models.StatusActive, models.StatusFailed, models.StatusDisabled, models.StatusExpired, StatusCoolingDown:
	default:
		return q, invalid("status", "status must be active, failed, disabled, expired or cooling_down")
	}
	if !store.ValidKeyListSort(q.Sort) {
		return q, invalid("sort", "sort must be created_at, status, last_used or requests")
	}
	order := in.Order
	if order == "" {
		order = map[bool]string{true: "asc", false: "desc"}[q.Sort == "status"]
	}
	if order != "asc" && order != "desc" {
		return q, invalid("order", "order must be asc or desc")
	}
	q.Desc = order == "desc"
	return q, nil
}

// page reads one page and the number of keys matching q.
func (s *Service) page(ctx context.Context, p *backend.Provider, q store.KeyQuery) ([]store.KeyRow, int64, error) {
	counts := p.Pool.Counts()
	if q.Status == StatusCoolingDown {
		if counts.CoolingDown == 0 {
			return []store.KeyRow{}, 0, nil
		}
		return s.coolingPage(ctx, p, q)
	}
	if q.Search == "" {
		rows, err := p.Store.KeyPage(ctx, q)
		return rows, poolTotal(counts, q.Status), err
	}
	total, err := p.Store.CountKeys(ctx, q)
	if err != nil || total == 0 {
		return []store.KeyRow{}, total, err
	}
	q.Matching = total
	rows, err := p.Store.KeyPage(ctx, q)
	return rows, total, err
}

// poolTotal is the pool's count of keys in a status ("" for all).
func poolTotal(c pool.Counts, status string) int64 {
	n := map[string]int{"": c.Total, models.StatusActive: c.Active, models.StatusFailed: c.Failed,
		models.StatusDisabled: c.Disabled, models.StatusExpired: c.Expired}[status]
	return int64(n)
}

// coolingPage pages the active keys the pool holds in a cooldown.
func (s *Service) coolingPage(ctx context.Context, p *backend.Provider, q store.KeyQuery) ([]store.KeyRow, int64, error) {
	q.Status = models.StatusActive
	all, err := p.Store.KeyOrder(ctx, q)
	if err != nil {
		return nil, 0, err
	}
	now := s.now()
	cooling := all[:0]
	for _, a := range all {
		if pk, ok := p.Pool.Get(a); ok && pk.CoolingDownUntil().After(now) {
			cooling = append(cooling, a)
		}
	}
	page := cooling[min(q.Offset, len(cooling)):min(q.Offset+q.Limit, len(cooling))]
	found, err := p.Store.KeyRows(ctx, page)
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
