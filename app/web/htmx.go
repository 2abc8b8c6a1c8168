package web

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// toast raises a toast in the page (HX-Trigger, which app.js shows), and
// any further events named, such as jobDone.
func toast(c *fiber.Ctx, kind, msg string, events ...string) {
	trigger := map[string]any{"toast": map[string]string{"message": msg, "kind": kind}}
	for _, e := range events {
		trigger[e] = true
	}
	b, _ := json.Marshal(trigger)
	c.Set("HX-Trigger", asciiJSON(b))
}

// asciiJSON escapes the non-ASCII characters of JSON text (\u2026 for …):
// browsers read response headers as Latin-1, which would garble them.
func asciiJSON(b []byte) string {
	var out strings.Builder
	for _, r := range string(b) {
		switch {
		case r < utf8.RuneSelf:
			out.WriteRune(r)
		case r > 0xFFFF:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&out, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&out, `\u%04x`, r)
		}
	}
	return out.String()
}

// safeBack is where a form posted without JavaScript returns: the page it
// names when that is a dashboard page, else fallback.
func safeBack(back, fallback string) string {
	if back != "" && safeNext(back) == back {
		return back
	}
	return fallback
}

// currentPage is the dashboard page an HTMX request came from
// (HX-Current-URL), as a path and query; "" if none.
func currentPage(c *fiber.Ctx) string {
	u, err := url.Parse(c.Get("HX-Current-URL"))
	if err != nil || u.Path == "" {
		return ""
	}
	return safeBack(u.RequestURI(), "")
}

// withParam returns the path and query u with key set to value.
func withParam(u, key, value string) string {
	path, query, _ := strings.Cut(u, "?")
	q, _ := url.ParseQuery(query)
	q.Set(key, value)
	return path + "?" + q.Encode()
}

// formValues returns every value of a form field (a URL-encoded or
// multipart body).
func formValues(c *fiber.Ctx, name string) []string {
	var out []string
	if form, err := c.MultipartForm(); err == nil {
		return form.Value[name]
	}
	for _, v := range c.Request().PostArgs().PeekMulti(name) {
		out = append(out, string(v))
	}
	return out
}
