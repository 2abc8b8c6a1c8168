// Package views holds Keypool's templ components: the layout, one file per
// page, and (in components/) the pieces pages share. Views take view
// models shaped like the screen, built by app/web; they never read the
// database.
package views

import (
	"context"
	"encoding/json"

	"github.com/keypool/keypool/views/components"
)

// Page is what the layout needs around every page.
type Page struct {
	Title     string
	Nav       string // the current navigation entry: "overview", "keys", "import", "tokens", "playground", "settings"
	LoggedIn  bool
	Providers []components.Link // the provider switch; empty on pages without one
	Provider  string            // the current provider's id, kept in the navigation links
	Flash     *components.Flash
	Assets    Assets
}

// Assets are the URLs of the static files a page loads.
type Assets struct {
	CSS, HTMX, App, Favicon string
	Charts                  []string // ECharts, when the page has charts
}

// NavItem is one entry of the dashboard's navigation.
type NavItem struct {
	ID, Label, Path string
}

// Nav is the dashboard's navigation, in order.
var Nav = []NavItem{
	{"overview", "Overview", "/dashboard"},
	{"keys", "Keys", "/dashboard/keys"},
	{"import", "Bulk upload", "/dashboard/import"},
	{"tokens", "Tokens", "/dashboard/tokens"},
	{"playground", "Playground", "/dashboard/playground"},
	{"settings", "Settings", "/dashboard/settings"},
}

// Link returns path with the page's provider kept as ?provider=.
func (p Page) Link(path string) string {
	if p.Provider == "" {
		return path
	}
	return path + "?provider=" + p.Provider
}

// hxHeaders is the hx-headers value that makes every HTMX request carry
// the CSRF token.
func hxHeaders(ctx context.Context) string {
	b, _ := json.Marshal(map[string]string{"X-Csrf-Token": components.CSRF(ctx)})
	return string(b)
}

func current(b bool) string {
	if b {
		return "page"
	}
	return "false"
}
