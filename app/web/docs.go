package web

import (
	"sort"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/views"
)

// showAPIDocs is the API documentation: how to call the gateway, with the
// routes of the router's own table, each explained from docCatalogue and
// its examples pointed at the URL the reader used to reach this page.
func (h *Handler) showAPIDocs(c *fiber.Ctx) error {
	base := c.BaseURL()
	v := views.APIDocsView{Base: base, Sections: h.docSections(base)}
	for _, p := range h.providers {
		path, token := "/v1", "an Ollama client token"
		if p.Info.ID == provider.OpenRouter {
			path, token = "/openrouter/v1", "an OpenRouter client token"
		}
		v.SDKs = append(v.SDKs, views.SDKBase{Provider: p.Info.Label, URL: base + path, Token: token})
	}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "API documentation", "", nil), views.APIDocs(v))
}

// DocumentedRoutes lists the routes docCatalogue documents, as "METHOD
// path", for tests that hold them against a router's table.
func DocumentedRoutes() []string {
	out := make([]string, len(docCatalogue))
	for i, d := range docCatalogue {
		out[i] = d.key()
	}
	return out
}

// onDocsPage reports whether a route of the table is for API callers:
// the dashboard, its sign-in, the landing page and the assets are not,
// nor is the HEAD that Fiber adds beside each GET.
func onDocsPage(r fiber.Route, gets map[string]bool) bool {
	p := r.Path
	switch {
	case r.Method == fiber.MethodHead && gets[p], r.Method == "USE":
		return false
	case p == "/" || p == "/login" || p == "/logout" || p == "/dashboard" || strings.HasPrefix(p, "/dashboard/"),
		strings.HasPrefix(p, "/static/"):
		return false
	}
	return true
}

// docSections lays the routes of the router's table out by section, in
// the catalogue's order; a route the catalogue lacks comes last in its
// section, marked undocumented.
func (h *Handler) docSections(base string) []views.DocSection {
	var table []fiber.Route
	if h.deps.Routes != nil {
		table = h.deps.Routes()
	}
	gets, registered := map[string]bool{}, map[string]bool{}
	for _, r := range table {
		if r.Method == fiber.MethodGet {
			gets[r.Path] = true
		}
	}
	for _, r := range table {
		if onDocsPage(r, gets) {
			registered[r.Method+" "+r.Path] = true
		}
	}

	known, aliases := map[string]bool{}, map[string][]string{} // aliases by the route they repeat
	for _, d := range docCatalogue {
		known[d.key()] = true
		if d.Alias != "" && registered[d.key()] && registered[d.Alias] {
			aliases[d.Alias] = append(aliases[d.Alias], d.Path)
		}
	}
	entries := map[string][]views.DocRoute{} // by section
	for _, d := range docCatalogue {
		switch {
		case !registered[d.key()]:
		case d.Alias == "":
			entries[d.Section] = append(entries[d.Section], views.DocRoute{Method: d.Method, Path: d.Path, Auth: d.Auth, Text: d.Text,
				Example: strings.ReplaceAll(d.Example, "{base}", base), Aliases: aliases[d.key()]})
		case !registered[d.Alias]: // listed on its own when the route it repeats is not served
			entries[d.Section] = append(entries[d.Section], views.DocRoute{Method: d.Method, Path: d.Path, Auth: d.Auth,
				Text: "The same as " + d.Alias + "."})
		}
	}
	var missing []string
	for k := range registered {
		if !known[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		method, path, _ := strings.Cut(k, " ")
		section := "public"
		if strings.HasPrefix(path, "/admin/") {
			section = "admin"
		}
		entries[section] = append(entries[section], views.DocRoute{Method: method, Path: path, Undocumented: true,
			Text: "Not documented yet."})
	}

	var out []views.DocSection
	for _, s := range docSections {
		sec := views.DocSection{ID: s.ID, Title: s.Title, Intro: s.Intro, Routes: entries[s.ID], Note: h.providerNote(s.Provider)}
		if len(sec.Routes) > 0 || sec.Note != "" {
			out = append(out, sec)
		}
	}
	return out
}

// providerNote says when a section's provider does not serve its routes.
func (h *Handler) providerNote(id string) string {
	if id == "" {
		return ""
	}
	p, ok := h.deps.Providers[id]
	switch {
	case !ok:
		return "This provider is not served by this gateway (DISABLE_" + strings.ToUpper(id) + " is set): its routes answer 503 (disabled by administrator)."
	case !p.Info.Enabled():
		return p.Info.Label + " is switched off on this gateway: its routes answer 503 (disabled by administrator) until an admin switches it on."
	}
	return ""
}
