package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// chartRange is one choice of the trend chart's range switch.
type chartRange struct {
	id, label, words string
	hours            int
}

// chartRanges are the ranges of the trend chart, the default first.
var chartRanges = []chartRange{
	{"24h", "24 h", "the last 24 hours", 24},
	{"7d", "7 d", "the last 7 days", 168},
	{"30d", "30 d", "the last 30 days", 720},
}

// showOverview is the dashboard's first page. An HTMX request (the range
// switch) gets the trend card alone, without the other figures' queries.
func (h *Handler) showOverview(c *fiber.Ctx) error {
	p, err := h.provider(c)
	if err != nil {
		return err
	}
	rng, ok := findRange(c.Query("range", "24h"))
	if !ok {
		return fiber.NewError(fiber.StatusBadRequest, "The chart range must be 24h, 7d or 30d.")
	}
	trend, err := h.trendView(c, p, rng)
	if err != nil {
		return err
	}
	if isHTMX(c) {
		return render(c, fiber.StatusOK, views.TrendUpdate(trend, h.providerLinks(c, p.Info.ID)))
	}
	ov, err := h.deps.Stats.Overview(c.UserContext(), p.Info.ID)
	if err != nil {
		return err
	}
	v := h.overviewView(ov, p)
	v.Trend = trend
	pg := h.page(c, p.Info.Label+" overview", "overview", p)
	pg.Assets.Charts = h.chartJS
	return h.renderPage(c, fiber.StatusOK, pg, views.Overview(v))
}

func findRange(id string) (chartRange, bool) {
	for _, r := range chartRanges {
		if r.id == id {
			return r, true
		}
	}
	return chartRange{}, false
}

// trendView builds the hourly chart card for a range.
func (h *Handler) trendView(c *fiber.Ctx, p *backend.Provider, rng chartRange) (views.TrendView, error) {
	points, err := h.trend.last(c.UserContext(), p.Info.ID, rng.hours, h.now())
	if err != nil {
		return views.TrendView{}, err
	}
	var req, ok, bad int64
	for _, pt := range points {
		req, ok, bad = req+pt.Requests, ok+pt.Success, bad+pt.Failure
	}
	line := trendChart(points, rng.hours)
	v := views.TrendView{Chart: chartComponent(line, line.Initialization),
		Summary: formatInt(req) + " requests in " + rng.words + ": " + formatInt(ok) + " successful, " + formatInt(bad) + " failed."}
	for _, r := range chartRanges {
		v.Ranges = append(v.Ranges, components.Link{Label: r.label, URL: "/dashboard?provider=" + p.Info.ID + "&range=" + r.id,
			Current: r.id == rng.id, Title: "Requests per hour over " + r.words})
	}
	return v, nil
}

// overviewView shapes the provider's figures for the page.
func (h *Handler) overviewView(ov operator.Overview, p *backend.Provider) views.OverviewView {
	now := h.now()
	k := ov.Keys
	v := views.OverviewView{
		Provider: p.Info.Label,
		Totals: []components.Figure{
			{Label: "Requests", Value: formatInt(ov.TotalRequests), Note: "updated " + formatAgo(ov.UpdatedAt, now)},
			{Label: "Success rate", Value: formatPercent(ov.SuccessRate, ov.TotalRequests),
				Note: formatInt(ov.SuccessCount) + " ok · " + formatInt(ov.FailureCount) + " failed"},
			{Label: "Tokens", Value: formatCompact(ov.PromptTokens + ov.CompletionTokens),
				Note: formatCompact(ov.PromptTokens) + " in · " + formatCompact(ov.CompletionTokens) + " out"},
			{Label: "Avg latency", Value: formatLatency(ov.AvgLatencyMs, ov.TotalRequests), Note: "per request"},
			{Label: "Client tokens", Value: formatInt(int64(ov.Tokens)), Note: "may call this provider"},
		},
		Keys: []components.Figure{
			{Label: "Keys", Value: formatInt(int64(k.Total)), Note: formatInt(int64(k.Available)) + " available now"},
			{Label: "Active", Value: formatInt(int64(k.Active)), Note: formatInt(int64(k.CoolingDown)) + " cooling down"},
			{Label: "Failed", Value: formatInt(int64(k.Failed)), Note: "resting until their cooldown ends"},
			{Label: "Disabled", Value: formatInt(int64(k.Disabled)), Note: "by an admin"},
			{Label: "Expired", Value: formatInt(int64(k.Expired)), Note: "past their expiry"},
		},
	}
	if pie := shareChart(ov.Models); pie != nil {
		v.Share = chartComponent(pie, pie.Initialization)
	}
	for _, m := range ov.Models {
		v.Models = append(v.Models, views.ModelRow{Model: m.Model, Requests: formatInt(m.TotalRequests),
			SuccessRate: formatPercent(m.SuccessRate, m.TotalRequests), Tokens: formatCompact(m.PromptTokens + m.CompletionTokens),
			LastUsed: formatAgo(m.LastUsed, now)})
	}
	return v
}

// formatLatency writes an average latency; "–" without requests.
func formatLatency(ms float64, total int64) string {
	switch {
	case total == 0:
		return "–"
	case ms >= 1000:
		return formatSeconds(time.Duration(ms * float64(time.Millisecond)))
	}
	return formatInt(int64(ms+0.5)) + " ms"
}

func formatSeconds(d time.Duration) string {
	return d.Round(100 * time.Millisecond).String()
}
