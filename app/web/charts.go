package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"

	"github.com/a-h/templ"
	"github.com/go-echarts/go-echarts/v2/charts"
	"github.com/go-echarts/go-echarts/v2/opts"

	"github.com/keypool/keypool/app/store"
)

// chartsHost is where go-echarts points its script tags: our own
// /static/, never its CDN.
const chartsHost = "/static/"

// Colours that read on light and dark backgrounds alike.
const (
	chartText    = "#8b95a3"
	chartGrid    = "rgba(139,149,163,0.25)"
	colorTotal   = "#5c8ff0"
	colorSuccess = "#3fb56a"
	colorFailure = "#e5534b"
)

// chartScripts are the script URLs go-echarts asks for (ECharts itself),
// under chartsHost.
func chartScripts() []string {
	c := charts.NewLine()
	c.SetGlobalOptions(charts.WithInitializationOpts(opts.Initialization{AssetsHost: chartsHost}))
	c.Validate()
	return append([]string(nil), c.JSAssets.Values...)
}

// initOpts returns a chart's initialization: a fresh element id (the
// chart HTMX swaps in must not share the one it replaces), full width.
func initOpts(prefix, height string) opts.Initialization {
	id := make([]byte, 6)
	rand.Read(id)
	return opts.Initialization{ChartID: prefix + hex.EncodeToString(id), Width: "100%", Height: height,
		AssetsHost: chartsHost, BackgroundColor: "transparent"}
}

// trendChart is the requests / successes / failures per hour line chart.
func trendChart(points []store.HourPoint, hours int) *charts.Line {
	labelFmt := "15:04"
	if hours > 24 {
		labelFmt = "01-02 15h"
	}
	labels := make([]string, len(points))
	req, ok, bad := make([]opts.LineData, len(points)), make([]opts.LineData, len(points)), make([]opts.LineData, len(points))
	for i, p := range points {
		labels[i] = p.Hour.UTC().Format(labelFmt)
		req[i], ok[i], bad[i] = opts.LineData{Value: p.Requests}, opts.LineData{Value: p.Success}, opts.LineData{Value: p.Failure}
	}
	line := charts.NewLine()
	line.SetGlobalOptions(
		charts.WithInitializationOpts(initOpts("trend", "320px")),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "axis"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Top: "0", TextStyle: &opts.TextStyle{Color: chartText}}),
		charts.WithGridOpts(opts.Grid{Left: "8", Right: "16", Top: "36", Bottom: "8", ContainLabel: opts.Bool(true)}),
		charts.WithColorsOpts(opts.Colors{colorTotal, colorSuccess, colorFailure}),
		charts.WithXAxisOpts(opts.XAxis{AxisLabel: &opts.AxisLabel{Color: chartText, HideOverlap: opts.Bool(true)},
			AxisLine: &opts.AxisLine{LineStyle: &opts.LineStyle{Color: chartGrid}}}),
		charts.WithYAxisOpts(opts.YAxis{MinInterval: 1, AxisLabel: &opts.AxisLabel{Color: chartText},
			SplitLine: &opts.SplitLine{Show: opts.Bool(true), LineStyle: &opts.LineStyle{Color: chartGrid}}}),
	)
	series := charts.WithLineChartOpts(opts.LineChart{Smooth: opts.Bool(false), ShowSymbol: opts.Bool(hours <= 24)})
	line.SetXAxis(labels).
		AddSeries("Requests", req, series).
		AddSeries("Success", ok, series).
		AddSeries("Failure", bad, series)
	return line
}

// shareChart is the pie of the top models' requests; nil without any.
func shareChart(models []store.ModelRow) *charts.Pie {
	data := make([]opts.PieData, 0, len(models))
	for _, m := range models {
		if m.TotalRequests > 0 {
			data = append(data, opts.PieData{Name: m.Model, Value: m.TotalRequests})
		}
	}
	if len(data) == 0 {
		return nil
	}
	pie := charts.NewPie()
	pie.SetGlobalOptions(
		charts.WithInitializationOpts(initOpts("share", "320px")),
		charts.WithAnimation(false),
		charts.WithTooltipOpts(opts.Tooltip{Show: opts.Bool(true), Trigger: "item"}),
		charts.WithLegendOpts(opts.Legend{Show: opts.Bool(true), Type: "scroll", Bottom: "0", TextStyle: &opts.TextStyle{Color: chartText}}),
	)
	pie.AddSeries("Requests", data, charts.WithPieChartOpts(opts.PieChart{Radius: []string{"40%", "68%"}, Center: []string{"50%", "44%"}}),
		charts.WithLabelOpts(opts.Label{Show: opts.Bool(false)}))
	return pie
}

// echartsChart is what chartComponent needs of a go-echarts chart.
type echartsChart interface {
	Validate()
	JSON() map[string]any
}

// chartComponent renders a chart built with go-echarts' options as a templ
// component: a box and a script that draws the options into it. The
// options are encoded with HTML escaping (model names come from clients:
// none can close the script), and the script keeps its variables to
// itself, so HTMX can swap a chart for another (app.js disposes of the
// chart swapped out, and its resize observer lets go of it).
func chartComponent(c echartsChart, init opts.Initialization) templ.Component {
	return templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		c.Validate()
		options, err := json.Marshal(c.JSON())
		if err != nil {
			return fmt.Errorf("web: chart options: %w", err)
		}
		id := init.ChartID
		_, err = io.WriteString(w, `<div class="chart-box" id="`+id+`" style="width:`+init.Width+`;height:`+init.Height+`"></div>`+
			`<script>(function () { "use strict"; var el = document.getElementById("`+id+`");`+
			` var chart = echarts.init(el, null, { renderer: "canvas" }); chart.setOption(`+string(options)+`);`+
			` var ro = new ResizeObserver(function () { if (chart.isDisposed()) { ro.disconnect(); } else { chart.resize(); } });`+
			` ro.observe(el); })();</script>`)
		return err
	})
}
