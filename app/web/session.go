package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// sessionCookie holds a signed session: "v1.<expiry unix>.<id>.<mac>".
const sessionCookie = "kp_session"

// sessions issues and checks signed session cookies. Nothing is stored
// per session except the ids of sessions logged out before they expired,
// in the pages' storage (shared by instances when it is Redis).
type sessions struct {
	key     []byte // HMAC key: derived from the admin token and the secret
	ttl     time.Duration
	revoked fiber.Storage // "session-revoked:<id>" → 1, until the cookie expires
}

// newSessions signs with a key derived from the admin token and secret;
// a nil secret draws one, so sessions end with the process. Instances that
// share the secret (and the admin token) accept each other's sessions.
func newSessions(adminToken string, secret []byte, revoked fiber.Storage, ttl time.Duration) *sessions {
	if secret == nil {
		secret = make([]byte, 32)
		rand.Read(secret)
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("keypool dashboard session\x00" + adminToken))
	return &sessions{key: mac.Sum(nil), ttl: ttl, revoked: revoked}
}

const revokedPrefix = "session-revoked:"

// issue returns a new cookie value valid until now+ttl.
func (s *sessions) issue(now time.Time) string {
	id := make([]byte, 12)
	rand.Read(id)
	body := "v1." + strconv.FormatInt(now.Add(s.ttl).Unix(), 10) + "." + hex.EncodeToString(id)
	return body + "." + s.sign(body)
}

// check reports whether value is a session this process signed that has
// neither expired nor been logged out, and returns its id.
func (s *sessions) check(value string, now time.Time) (id string, ok bool) {
	i := strings.LastIndexByte(value, '.')
	if i < 0 || !hmac.Equal([]byte(value[i+1:]), []byte(s.sign(value[:i]))) {
		return "", false
	}
	parts := strings.Split(value[:i], ".")
	if len(parts) != 3 || parts[0] != "v1" {
		return "", false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || now.Unix() >= exp {
		return "", false
	}
	if gone, err := s.revoked.Get(revokedPrefix + parts[2]); gone != nil || err != nil {
		return "", false // logged out, or the storage cannot tell: refused
	}
	return parts[2], true
}

// revoke ends the session of value before it expires.
func (s *sessions) revoke(value string, now time.Time) {
	id, ok := s.check(value, now)
	if !ok {
		return
	}
	_ = s.revoked.Set(revokedPrefix+id, []byte{1}, s.ttl) // kept as long as the cookie could live
}

func (s *sessions) sign(body string) string {
	mac := hmac.New(sha256.New, s.key)
	mac.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// setSession sets the session cookie (value "" deletes it): HttpOnly,
// SameSite=Strict, and Secure when the request came over TLS.
func (h *Handler) setSession(c *fiber.Ctx, value string) {
	setCookie(c, sessionCookie, value, h.sessions.ttl)
}

// setCookie sets one of the pages' cookies for maxAge; value "" deletes it.
func setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	ck := &fiber.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: c.Protocol() == "https"}
	if value == "" {
		ck.MaxAge, ck.Expires = 0, time.Unix(0, 0) // fasthttp drops a negative Max-Age
	}
	c.Cookie(ck)
}

// loggedIn reports whether the request carries a valid session.
func (h *Handler) loggedIn(c *fiber.Ctx) bool {
	_, ok := h.sessions.check(c.Cookies(sessionCookie), h.now())
	return ok
}

// requireLogin lets logged-in requests through and sends the others to
// the login page (HTMX requests with HX-Redirect, which htmx follows with
// a full page load).
func (h *Handler) requireLogin(c *fiber.Ctx) error {
	if h.loggedIn(c) {
		return c.Next()
	}
	target := "/login?next=" + url.QueryEscape(string(c.Request().URI().RequestURI()))
	if isHTMX(c) {
		c.Set("HX-Redirect", target)
		return c.SendStatus(fiber.StatusNoContent)
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}
