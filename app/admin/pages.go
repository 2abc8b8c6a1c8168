package admin

import (
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/jobs"
	"github.com/keypool/keypool/app/store"
)

// Pages are the admin API's services for the dashboard's pages: the same
// reads, checks and actions as the JSON routes, answering view data instead
// of JSON. Key ids (never keys) go in and out, as on the JSON routes.
type Pages struct {
	h    *Handler
	keys *keyRoutes
	jobs *jobRoutes
}

// NewPages returns the pages' services of h. They share h's job registry
// and key ids with the JSON routes; h.Close stops their jobs.
func NewPages(h *Handler) *Pages {
	jr, kr := h.shared()
	return &Pages{h: h, keys: kr, jobs: jr}
}

// KeyView is one key as GET /admin/api-keys shows it: masked, with its id.
type KeyView = keyView

// KeyList is one page of keys, as GET /admin/api-keys answers it.
type KeyList = keyPage

// HealthReport is the outcome of a finished health check job.
type HealthReport = healthCheckReport

// ListKeys reads the page of keys that GET /admin/api-keys answers for the
// same query parameters (?status, ?q, ?page, ?per_page, ?sort, ?order),
// with the same checks: a bad parameter is a 400 *Error.
func (pg *Pages) ListKeys(c *fiber.Ctx, providerID string) (KeyList, error) {
	p, err := pg.h.provider(providerID)
	if err != nil {
		return KeyList{}, err
	}
	page, err := intParam(c, "page", 1, 1, 1_000_000_000)
	if err != nil {
		return KeyList{}, err
	}
	perPage, err := intParam(c, "per_page", 50, 1, 500)
	if err != nil {
		return KeyList{}, err
	}
	q, err := keyQuery(c, perPage, (page-1)*perPage)
	if err != nil {
		return KeyList{}, err
	}
	rows, total, err := pg.page(c, p, q)
	if err != nil {
		return KeyList{}, err
	}
	out := KeyList{Provider: p.Info.ID, Page: page, PerPage: perPage, Total: total, Keys: make([]keyView, len(rows))}
	for i, r := range rows {
		out.Keys[i] = pg.keys.view(p, r)
	}
	return out, nil
}

// page reads what GET /admin/api-keys reads, but counts a search before
// reading its page, so that the store plans the page for the number of
// matches (a page of a rare match is read from the trigram indexes).
func (pg *Pages) page(c *fiber.Ctx, p *Provider, q store.KeyQuery) ([]store.KeyRow, int64, error) {
	if q.Search == "" || q.Status == statusCoolingDown {
		return pg.keys.page(c, p, q)
	}
	total, err := p.Store.CountKeys(c.UserContext(), q)
	if err != nil || total == 0 {
		return []store.KeyRow{}, total, err
	}
	q.Matching = total
	rows, err := p.Store.KeyPage(c.UserContext(), q)
	return rows, total, err
}

// JobView is a job as a page shows it: its counters and report, and the
// first of its lines that were not plainly valid.
type JobView struct {
	jobs.Summary
	Lines []jobs.Line // results other than valid, or keys a health check enabled, in input order
	More  int         // such lines left out
}

// Job returns a job the pages started, running or finished within
// jobs.DefaultTTL, with at most maxLines of its lines.
func (pg *Pages) Job(id string, maxLines int) (JobView, bool) {
	job, ok := pg.jobs.jobs.Get(id)
	if !ok {
		return JobView{}, false
	}
	notable := func(l jobs.Line) bool { return l.Result != jobs.ResultValid || l.Action == actionEnabled }
	sum, lines, more := job.Select(notable, maxLines)
	return JobView{Summary: sum, Lines: lines, More: more}, true
}
