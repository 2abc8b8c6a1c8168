package components_test

import (
	"context"
	"io"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/a-h/templ"

	"github.com/keypool/keypool/views/components"
)

// modelRowRE matches one rendered row of the top models table.
var modelRowRE = regexp.MustCompile(`<tr><td><code>(.*?)</code></td><td class="num">(.*?)</td><td class="num">(.*?)</td><td class="num">(.*?)</td><td>(.*?)</td></tr>`)

func render(t *testing.T, c templ.Component) string {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// The top models table has one row per model, in the order given, with
// model names escaped (clients choose them); the share card holds the
// chart it is given.
func TestModels(t *testing.T) {
	t.Parallel()
	chart := templ.ComponentFunc(func(_ context.Context, w io.Writer) error {
		_, err := io.WriteString(w, `<div id="pie">gpt-oss:120b 96.8 %, evil 3.2 %</div>`)
		return err
	})
	two := []components.ModelRow{
		{Model: "gpt-oss:120b", Requests: "1,200", SuccessRate: "95.8 %", Tokens: "1.2M", LastUsed: "2 min ago"},
		{Model: "evil<model>", Requests: "40", SuccessRate: "100.0 %", Tokens: "4.0k", LastUsed: "1 h ago"},
	}
	tests := []struct {
		name     string
		v        components.ModelsView
		rows     [][]string
		want     []string // in the HTML
		wantNot  []string
		empties  int // "No requests yet." placeholders
		chartSet bool
	}{
		{"two models and their share", components.ModelsView{Rows: two, Share: chart},
			[][]string{
				{"gpt-oss:120b", "1,200", "95.8 %", "1.2M", "2 min ago"},
				{"evil&lt;model&gt;", "40", "100.0 %", "4.0k", "1 h ago"},
			},
			[]string{`<h2>Top models</h2>`, `<h2>Model share</h2>`, `<th scope="col">Model</th>`,
				`<div class="chart" role="img" aria-label="Share of requests by model"><div id="pie">gpt-oss:120b 96.8 %, evil 3.2 %</div></div>`},
			[]string{`<section class="card" id=`, "evil<model>", `chart-empty`}, 0, true},
		{"the cards' ids, for a page that names them",
			components.ModelsView{Rows: two, Share: chart, TableID: "public-models", ShareID: "public-share"},
			[][]string{
				{"gpt-oss:120b", "1,200", "95.8 %", "1.2M", "2 min ago"},
				{"evil&lt;model&gt;", "40", "100.0 %", "4.0k", "1 h ago"},
			},
			[]string{`<section class="card" id="public-models"><h2>Top models</h2>`, `<section class="card" id="public-share"><h2>Model share</h2>`},
			nil, 0, true},
		{"no requests yet", components.ModelsView{}, nil,
			[]string{`<p class="muted">No requests yet.</p>`, `<div class="chart-empty">No requests yet.</div>`},
			[]string{`<table>`, `class="chart"`}, 2, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			html := render(t, components.Models(tt.v))
			var rows [][]string
			for _, m := range modelRowRE.FindAllStringSubmatch(html, -1) {
				rows = append(rows, m[1:])
			}
			if !slices.EqualFunc(rows, tt.rows, slices.Equal) {
				t.Errorf("rows %q, want %q", rows, tt.rows)
			}
			for _, s := range tt.want {
				if !strings.Contains(html, s) {
					t.Errorf("lacks %s in %s", s, html)
				}
			}
			for _, s := range tt.wantNot {
				if strings.Contains(html, s) {
					t.Errorf("has %s in %s", s, html)
				}
			}
			if n := strings.Count(html, "No requests yet."); n != tt.empties {
				t.Errorf("%d empty placeholders, want %d", n, tt.empties)
			}
			if got := strings.Contains(html, `<div id="pie">`); got != tt.chartSet {
				t.Errorf("share chart rendered: %v, want %v", got, tt.chartSet)
			}
		})
	}
}
