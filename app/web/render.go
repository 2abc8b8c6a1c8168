package web

import (
	"context"
	"errors"
	"io"
	"net/url"
	"strconv"

	"github.com/a-h/templ"
	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/views"
	"github.com/keypool/keypool/views/components"
)

// render writes component as the HTML answer, rendered with the request's
// context (which carries the CSRF token for forms).
func render(c *fiber.Ctx, status int, component templ.Component) error {
	c.Status(status)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Vary("HX-Request")
	ctx := components.WithCSRF(c.UserContext(), csrfToken(c))
	return component.Render(ctx, c.Response().BodyWriter())
}

// isHTMX reports whether an HTMX request asks for a fragment. History
// restores (the page was not in htmx's cache) want the whole page.
func isHTMX(c *fiber.Ctx) bool {
	return c.Get("HX-Request") == "true" && c.Get("HX-History-Restore-Request") != "true"
}

// renderPage answers the whole page: the layout around content. Handlers
// answer HTMX requests (isHTMX) with their fragment through render.
func (h *Handler) renderPage(c *fiber.Ctx, status int, p views.Page, content templ.Component) error {
	p.Flash = h.takeFlash(c)
	return render(c, status, templ.ComponentFunc(func(ctx context.Context, w io.Writer) error {
		return views.Layout(p).Render(templ.WithChildren(ctx, content), w)
	}))
}

// page returns the layout's model for a page of the dashboard or of the
// public site, with the provider switch when provider is set.
func (h *Handler) page(c *fiber.Ctx, title, nav string, provider *backend.Provider) views.Page {
	p := views.Page{Title: title, Nav: nav, LoggedIn: nav != "" || h.loggedIn(c), Assets: views.Assets{
		CSS: h.assets.url("app.css"), HTMX: h.assets.url("htmx.min.js"), App: h.assets.url("app.js"),
		Favicon: h.assets.url("favicon.svg")}}
	if provider != nil {
		p.Provider = provider.Info.ID
		p.Providers = h.providerLinks(c, provider.Info.ID)
	}
	return p
}

// providerLinks is the provider switch: the current URL with each
// provider's ?provider=, the other query parameters kept.
func (h *Handler) providerLinks(c *fiber.Ctx, current string) []components.Link {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return h.providerLinksAt(c.Path(), q, current)
}

// providerLinksAt is the provider switch of the page at path?query.
func (h *Handler) providerLinksAt(path string, query url.Values, current string) []components.Link {
	var links []components.Link
	for _, p := range h.providers {
		q := url.Values{}
		for k, v := range query {
			q[k] = v
		}
		q.Set("provider", p.Info.ID)
		l := components.Link{Label: p.Info.Label, URL: path + "?" + q.Encode(), Current: p.Info.ID == current}
		if !p.Info.Enabled() {
			l.Label += " (off)"
			l.Title = p.Info.Label + " is switched off: its client routes answer 503 (disabled by administrator)"
		}
		links = append(links, l)
	}
	return links
}

// provider resolves ?provider= among the enabled providers; the default
// is the first one. Unknown and disabled ids are a 404 page.
func (h *Handler) provider(c *fiber.Ctx) (*backend.Provider, error) {
	id := c.Query("provider")
	if id == "" && len(h.providers) > 0 {
		return h.providers[0], nil
	}
	if p, ok := h.deps.Providers[id]; ok {
		return p, nil
	}
	return nil, fiber.NewError(fiber.StatusNotFound, "The provider "+strconv.Quote(id)+" is not enabled on this gateway.")
}

// pageErrors turns an error from a page handler into an error page, so
// browsers never see the API's JSON errors.
func (h *Handler) pageErrors(c *fiber.Ctx) error {
	err := c.Next()
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return err // the request's own deadline or a client gone: the gateway's request context answers
	}
	v := views.ErrorView{Status: fiber.StatusInternalServerError, Title: "Something went wrong",
		Message: "The page could not be prepared. The details are in the gateway's log.", Back: "/"}
	var fe *fiber.Error
	switch {
	case errors.As(err, &fe):
		v.Status, v.Message = fe.Code, fe.Message
	case isRefusal(err):
		v.Status, v.Message = refusal(err)
	default:
		h.deps.Log.Error("web: page failed", "method", c.Method(), "path", c.Path(), "err", err)
	}
	if v.Status < 500 {
		v.Title = statusTitle(v.Status)
	}
	c.Response().ResetBody()
	return h.renderPage(c, v.Status, h.page(c, v.Title, "", nil), views.Error(v))
}

// notFound answers unknown dashboard paths.
func (h *Handler) notFound(c *fiber.Ctx) error {
	return fiber.NewError(fiber.StatusNotFound, "There is no page at "+c.Path()+".")
}

func statusTitle(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "Not found"
	case fiber.StatusForbidden:
		return "Not allowed"
	case fiber.StatusTooManyRequests:
		return "Too many attempts"
	}
	return "Request refused"
}
