package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/ratelimit"
	"github.com/keypool/keypool/views"
)

// showLogin is the sign-in form; a logged-in admin goes on at once.
func (h *Handler) showLogin(c *fiber.Ctx) error {
	next := safeNext(c.Query("next"))
	if h.loggedIn(c) {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	return h.renderPage(c, fiber.StatusOK, h.page(c, "Sign in", "", nil), views.Login(views.LoginView{Next: next}))
}

// login checks the admin token (in constant time) and starts a session.
// After 5 failures within a minute an address is refused for a while. The
// address is the client's as TRUSTED_PROXIES tells it: behind a reverse
// proxy, the connection's address is the proxy's, shared by every admin.
func (h *Handler) login(c *fiber.Ctx) error {
	ip, now := ratelimit.Proxies(h.deps.Config.TrustedProxies).RequestIP(c).String(), h.now()
	next := safeNext(c.FormValue("next"))
	if blocked, wait := h.limiter.blocked(ip, now); blocked {
		return h.tooManyLogins(c, next, wait)
	}
	if !h.validAdminToken(strings.TrimSpace(c.FormValue("token"))) {
		h.deps.Log.Warn("web: failed dashboard login", "ip", ip)
		if h.limiter.fail(ip, now) {
			_, wait := h.limiter.blocked(ip, now)
			return h.tooManyLogins(c, next, wait)
		}
		return h.renderPage(c, fiber.StatusUnauthorized, h.page(c, "Sign in", "", nil),
			views.Login(views.LoginView{Next: next, Error: "That is not the admin token."}))
	}
	h.limiter.succeed(ip)
	h.setSession(c, h.sessions.issue(now))
	h.deps.Log.Info("web: dashboard login", "ip", ip)
	return c.Redirect(next, fiber.StatusSeeOther)
}

// tooManyLogins is the 429 answer of a blocked address.
func (h *Handler) tooManyLogins(c *fiber.Ctx, next string, wait time.Duration) error {
	mins := int(math.Ceil(wait.Minutes()))
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
	msg := "Too many failed sign-ins from your address. Try again in " + strconv.Itoa(mins) + " minute"
	if mins != 1 {
		msg += "s"
	}
	return h.renderPage(c, fiber.StatusTooManyRequests, h.page(c, "Sign in", "", nil),
		views.Login(views.LoginView{Next: next, Error: msg + "."}))
}

// logout ends the session and goes back to the landing page.
func (h *Handler) logout(c *fiber.Ctx) error {
	h.sessions.revoke(c.Cookies(sessionCookie), h.now())
	h.setSession(c, "")
	h.setFlash(c, "ok", "You are signed out.")
	return c.Redirect("/login", fiber.StatusSeeOther)
}

// validAdminToken compares digests in constant time, so that neither the
// token nor its length leaks through timing.
func (h *Handler) validAdminToken(token string) bool {
	if h.deps.Config.AdminToken == "" || token == "" {
		return false
	}
	got, want := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(h.deps.Config.AdminToken))
	return subtle.ConstantTimeCompare(got[:], want[:]) == 1
}

// safeNext keeps redirects after login inside the dashboard.
func safeNext(next string) string {
	if next == "/dashboard" || (strings.HasPrefix(next, "/dashboard/") || strings.HasPrefix(next, "/dashboard?")) &&
		!strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/dashboard"
}

// csrfFailed answers a state-changing request without a valid CSRF token:
// an old form or a forged one.
func (h *Handler) csrfFailed(c *fiber.Ctx, err error) error {
	h.deps.Log.Info("web: CSRF check failed", "path", c.Path(), "ip", c.IP(), "err", err)
	return fiber.NewError(fiber.StatusForbidden, "This form has expired or did not come from this site. Reload the page and try again.")
}
