package web

import (
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/views/components"
)

// flashCookie carries a message across a redirect: "kind:text", escaped.
const flashCookie = "kp_flash"

// setFlash keeps a message for the next page the browser loads.
func (h *Handler) setFlash(c *fiber.Ctx, kind, text string) {
	setCookie(c, flashCookie, url.QueryEscape(kind+":"+text), time.Minute)
}

// takeFlash returns the pending message, if any, and clears it.
func (h *Handler) takeFlash(c *fiber.Ctx) *components.Flash {
	raw := c.Cookies(flashCookie)
	if raw == "" {
		return nil
	}
	setCookie(c, flashCookie, "", 0)
	v, err := url.QueryUnescape(raw)
	kind, text, ok := strings.Cut(v, ":")
	if err != nil || !ok || text == "" {
		return nil
	}
	if kind != "error" {
		kind = "ok"
	}
	return &components.Flash{Kind: kind, Text: text}
}
