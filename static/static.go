// Package static holds the dashboard's browser assets — stylesheet, HTMX,
// ECharts, favicon — embedded in the binary, so pages load nothing from a
// CDN. app/web serves them under /static/.
//
// htmx.min.js and echarts.min.js are copied unchanged from the npm
// packages htmx.org and echarts (versions in VERSIONS).
package static

import "embed"

// FS is every asset, at its file name.
//
//go:embed *.css *.js *.svg VERSIONS
var FS embed.FS
