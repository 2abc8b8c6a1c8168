package web

import (
	"context"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/models"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// KeyService is what the keys page asks of the operator's actions.
type KeyService interface {
	ListKeys(ctx context.Context, provider string, q operator.KeyListQuery) (operator.KeyList, error)
	EnableKeys(ctx context.Context, provider string, ids []string) ([]operator.KeyView, error)
	DisableKeys(ctx context.Context, provider string, ids []string, d time.Duration) ([]operator.KeyView, error)
	DeleteKeys(ctx context.Context, provider string, ids []string) (int64, error)
	StartHealthCheck(ctx context.Context, provider string, ids []string) (operator.JobStarted, error)
}

// keyStatuses are the choices of the status filter, "" (all) first.
var keyStatuses = []components.Option{
	{Value: "", Label: "All"}, {Value: models.StatusActive, Label: "Active"}, {Value: "cooling_down", Label: "Cooling down"},
	{Value: models.StatusFailed, Label: "Failed"}, {Value: models.StatusDisabled, Label: "Disabled"},
	{Value: models.StatusExpired, Label: "Expired"},
}

// disableDurations are the choices of how long a disable lasts.
var disableDurations = []struct {
	components.Option
	d time.Duration
}{
	{components.Option{Value: "1h", Label: "for 1 h"}, time.Hour},
	{components.Option{Value: "24h", Label: "for 24 h"}, 24 * time.Hour},
	{components.Option{Value: "forever", Label: "until enabled"}, 0},
}

// showKeys is the keys page: one page of the provider's keys, searched
// and filtered as GET /admin/api-keys is. An HTMX request (search, filter,
// pager, the reload after a health check) gets the list alone.
func (h *Handler) showKeys(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	list, err := h.deps.Keys.ListKeys(c.UserContext(), p.Info.ID, operator.KeyListQuery{Status: c.Query("status"),
		Search: c.Query("q"), Sort: c.Query("sort"), Order: c.Query("order"), Page: c.Query("page"), PerPage: c.Query("per_page")})
	if err != nil {
		return err
	}
	here := c.Path() + "?" + string(c.Request().URI().QueryString())
	lv := h.keyListView(c, list)
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.KeyListUpdate(lv, h.providerLinks(c, p.Info.ID)))
	}
	v := views.KeysView{Label: p.Info.Label, List: lv, Durations: lv.Durs, Forms: lv.Forms,
		Filter: views.KeyFilter{Action: "/dashboard/keys", Provider: p.Info.ID, Q: c.Query("q"), Statuses: options(keyStatuses, c.Query("status"))}}
	if id := c.Query("job"); id != "" {
		jv := h.jobView(id, here)
		v.Job = &jv
	}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Keys · "+p.Info.Label, "keys", p), views.Keys(v))
}

// keyListView shapes a page of keys for the table.
func (h *Handler) keyListView(c *fiber.Ctx, list operator.KeyList) views.KeyListView {
	query, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	query.Del("job")
	query.Set("provider", list.Provider)
	v := views.KeyListView{URL: "/dashboard/keys?" + query.Encode(), Total: formatInt(list.Total) + plural(list.Total, " key", " keys"),
		Forms: keyForms(list.Provider, "/dashboard/keys?"+query.Encode()), Durs: options(durationOptions(), "1h"),
		Empty: "No keys match."}
	if list.Total == 0 && query.Get("q") == "" && query.Get("status") == "" {
		v.Empty = "No keys yet: add some on the Bulk upload page."
	}
	now := h.now()
	for _, k := range list.Keys {
		v.Rows = append(v.Rows, keyRow(k, now))
	}
	v.Paging = paging(query, "/dashboard/keys", list.Page, list.PerPage, list.Total)
	return v
}

// keyForms are the actions' URLs of a provider; back is the list to come
// back to after a form posted without JavaScript.
func keyForms(provider, back string) views.KeyForms {
	return views.KeyForms{Action: "/dashboard/keys/action?provider=" + provider,
		Health: "/dashboard/keys/health-check?provider=" + provider, Back: back}
}

// keyRow shapes one key: its status as the pool sees it now, and how long
// it stays out of rotation.
func keyRow(k operator.KeyView, now time.Time) views.KeyRow {
	r := views.KeyRow{ID: k.ID, Key: k.APIKey, Username: k.Username, Status: k.Status, Cooldown: "–",
		Requests: formatInt(k.Stats.TotalRequests), Success: formatPercent(k.Stats.SuccessRate, k.Stats.TotalRequests),
		LastUsed: formatAgo(k.Stats.LastUsed, now)}
	switch k.Status {
	case models.StatusActive:
		r.Badge, r.Enabled = "ok", true
		if k.CoolingDownUntil != nil {
			r.Badge, r.Status, r.Cooldown = "warn", "cooling down", formatLeft(*k.CoolingDownUntil, now)+" (rate limited)"
		}
	case models.StatusFailed:
		r.Badge, r.Cooldown = "bad", "until enabled"
		if k.FailedUntil != nil {
			r.Cooldown = formatLeft(*k.FailedUntil, now)
		}
	case models.StatusDisabled:
		r.Badge, r.Cooldown = "neutral", "until enabled"
		if k.DisabledUntil != nil {
			r.Cooldown = formatLeft(*k.DisabledUntil, now)
		}
	default: // expired
		r.Badge = "neutral"
	}
	return r
}

// paging links the pages before and after page, keeping the query.
func paging(query url.Values, path string, page, perPage int, total int64) components.Paging {
	pages := max(1, int((total+int64(perPage)-1)/int64(perPage)))
	p := components.Paging{Text: "Page " + formatInt(int64(page)) + " of " + formatInt(int64(pages))}
	link := func(n int) string {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("page", strconv.Itoa(n))
		return path + "?" + q.Encode()
	}
	if page > 1 {
		p.Prev = link(min(page-1, pages))
	}
	if page < pages {
		p.Next = link(page + 1)
	}
	return p
}

func durationOptions() []components.Option {
	out := make([]components.Option, len(disableDurations))
	for i, d := range disableDurations {
		out[i] = d.Option
	}
	return out
}

// options marks the option of value selected.
func options(opts []components.Option, value string) []components.Option {
	out := make([]components.Option, len(opts))
	for i, o := range opts {
		o.Selected = o.Value == value
		out[i] = o
	}
	return out
}

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
