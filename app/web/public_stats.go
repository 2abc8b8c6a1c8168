package web

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// showPublicStats is the public statistics page, open to everyone. Its
// figures are those of GET /admin/public-stats, from the same cache, so
// however many people watch, a provider costs one query set per
// PUBLIC_STATS_TTL. The page's HTMX refresh gets the figures alone.
func (h *Handler) showPublicStats(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	figs, err := h.deps.Public.PublicFigures(c.UserContext(), p.Info.ID)
	if err != nil {
		return err
	}
	v := h.publicStatsView(figs)
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.PublicStatsFigures(v))
	}
	pg := h.page(c, p.Info.Label+" statistics", "", p)
	pg.Assets.Charts = h.chartJS
	return h.renderPage(c, fiber.StatusOK, pg, views.PublicStats(views.PublicStatsPage{
		Provider: p.Info.Label, RefreshURL: "/stats?provider=" + p.Info.ID, Every: htmxInterval(h.deps.Config.StatsPageRefresh),
		Figures: v}))
}

// publicStatsView shapes the public figures for the page. It reads figs
// only: they are shared with every other viewer.
func (h *Handler) publicStatsView(figs *operator.PublicFigures) views.PublicStatsView {
	now := h.now()
	tokens := figs.PromptTokens + figs.CompletionTokens
	v := views.PublicStatsView{
		Requests: []components.Figure{
			{Label: "Requests", Value: formatInt(figs.TotalRequests), Note: "since the statistics began"},
			{Label: "Successful", Value: formatInt(figs.SuccessCount), Note: formatInt(figs.FailureCount) + " failed"},
			{Label: "Success rate", Value: formatPercent(figs.SuccessRate, figs.TotalRequests), Note: "of all requests"},
			{Label: "Tokens used", Value: formatCompact(tokens),
				Note: formatCompact(figs.PromptTokens) + " in · " + formatCompact(figs.CompletionTokens) + " out"},
		},
		Keys: []components.Figure{
			{Label: "Keys", Value: formatInt(int64(figs.Keys.Total)), Note: "in the pool"},
			{Label: "Active keys", Value: formatInt(int64(figs.Keys.Active)), Note: "ready to serve"},
			{Label: "Failed keys", Value: formatInt(int64(figs.Keys.Failed)), Note: "resting until their cooldown ends"},
		},
	}
	if t := figs.UpdatedAt; t != nil && !t.IsZero() {
		v.Updated, v.UpdatedAt, v.Ago = t.UTC().Format("2006-01-02 15:04:05 UTC"), t.UTC().Format(time.RFC3339), formatAgo(t, now)
	}

	var req, ok, bad int64
	for _, pt := range figs.Hourly {
		req, ok, bad = req+pt.Requests, ok+pt.Success, bad+pt.Failure
		v.Hours = append(v.Hours, views.HourRow{Hour: pt.Hour.UTC().Format("01-02 15:04"), Requests: formatInt(pt.Requests),
			Success: formatInt(pt.Success), Failure: formatInt(pt.Failure)})
	}
	v.Summary = formatInt(req) + " requests in the last 24 hours: " + formatInt(ok) + " successful, " + formatInt(bad) + " failed."
	line := trendChart(figs.Hourly, 24)
	v.Trend = chartComponent(line, line.Initialization)

	rows := make([]store.ModelRow, 0, len(figs.Models))
	for _, m := range figs.Models {
		rows = append(rows, store.ModelRow{Model: m.Model, Usage: store.Usage{TotalRequests: m.Requests}})
		v.Models = append(v.Models, views.ModelRow{Model: m.Model, Requests: formatInt(m.Requests),
			SuccessRate: formatPercent(m.SuccessRate, m.Requests), Tokens: formatCompact(m.Tokens), LastUsed: formatAgo(m.LastUsed, now)})
	}
	if pie := shareChart(rows); pie != nil {
		v.Share = chartComponent(pie, pie.Initialization)
	}
	return v
}

// htmxInterval writes d as an hx-trigger interval ("30s", "500ms"); ""
// for 0, which turns the refresh off.
func htmxInterval(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(max(1, d.Milliseconds()), 10) + "ms"
}
