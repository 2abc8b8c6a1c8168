package web

import (
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestWebLoginRefusesWrongTokenThenAcceptsRight(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	resp, _ := a.get("/dashboard", false)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login?next=%2Fdashboard" {
		t.Fatalf("dashboard without session: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := a.get("/login?next=%2Fdashboard%2Fsettings", false)
	if resp.StatusCode != 200 || !strings.Contains(body, `<label for="token">Admin token</label>`) ||
		!strings.Contains(body, `name="_csrf" value="`+a.cookies[csrfCookie]+`"`) {
		t.Fatalf("login page: %d %s", resp.StatusCode, body)
	}
	resp, body = a.post("/login", url.Values{"token": {"wrong"}, "next": {"/dashboard/settings"}}, nil)
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "That is not the admin token.") || a.cookies[sessionCookie] != "" {
		t.Fatalf("wrong token: %d, session %q: %s", resp.StatusCode, a.cookies[sessionCookie], body)
	}
	resp, _ = a.post("/login", url.Values{"token": {" " + testAdminToken + "\n"}, "next": {"/dashboard/settings"}}, nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard/settings" {
		t.Fatalf("right token: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			cookie = c
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Secure {
		t.Fatalf("session cookie over plain HTTP: %+v", cookie)
	}
	if resp, _ = a.get("/dashboard", false); resp.StatusCode != 200 {
		t.Fatalf("dashboard with session: %d", resp.StatusCode)
	}
	if resp, _ = a.get("/", false); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("/ when logged in: %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Logout needs the CSRF token, ends the session, and the old cookie stays dead.
	old := a.cookies[sessionCookie]
	if resp, _ = a.post("/logout", url.Values{"_csrf": {"forged"}}, nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("logout with a forged CSRF token: %d", resp.StatusCode)
	}
	if resp, _ = a.post("/logout", url.Values{}, nil); resp.StatusCode != http.StatusSeeOther || a.cookies[sessionCookie] != "" {
		t.Fatalf("logout: %d, session %q", resp.StatusCode, a.cookies[sessionCookie])
	}
	a.cookies[sessionCookie] = old
	if resp, _ = a.get("/dashboard", false); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("dashboard with a logged-out cookie: %d", resp.StatusCode)
	}
}

func TestWebLoginNeedsCSRFAndSecureCookieOverTLS(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	resp, body := a.post("/login", url.Values{"token": {testAdminToken}}, nil) // no GET first: no CSRF cookie
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "<!doctype html>") || a.cookies[sessionCookie] != "" {
		t.Fatalf("login without CSRF token: %d %s", resp.StatusCode, body)
	}
	tls := map[string]string{"X-Forwarded-Proto": "https", "Referer": "https://example.com/login"}
	req := newGet("/login")
	req.Header.Set("X-Forwarded-Proto", "https")
	a.do(req)
	resp, _ = a.post("/login", url.Values{"token": {testAdminToken}}, tls)
	secure := false
	for _, c := range resp.Cookies() {
		secure = secure || (c.Name == sessionCookie && c.Secure)
	}
	if resp.StatusCode != http.StatusSeeOther || !secure {
		t.Fatalf("login over TLS: %d, Secure session cookie %v", resp.StatusCode, secure)
	}
}

func TestWebLoginLimiter(t *testing.T) {
	t.Parallel()
	a := newTestApp(t, "sqlite", testConfig())
	a.get("/login", false)
	for i := range 4 {
		if resp, _ := a.post("/login", url.Values{"token": {"wrong"}}, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := a.post("/login", url.Values{"token": {"wrong"}}, nil)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "300" || !strings.Contains(body, "Try again in 5 minutes") {
		t.Fatalf("fifth failure: %d Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if resp, _ = a.post("/login", url.Values{"token": {testAdminToken}}, nil); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("right token while blocked: %d", resp.StatusCode)
	}
}

// Behind a trusted reverse proxy every admin arrives from the proxy's
// address: the limiter counts the forwarded client, so one client's
// failures do not lock out another. Without TRUSTED_PROXIES the header is
// not believed and everyone shares the connection's address.
func TestWebLoginLimiterBehindProxy(t *testing.T) {
	t.Parallel()
	fail := func(a *testApp, from string) int {
		resp, _ := a.post("/login", url.Values{"token": {"wrong"}}, map[string]string{"X-Forwarded-For": from})
		return resp.StatusCode
	}
	for _, tt := range []struct {
		name      string
		trusted   []netip.Prefix
		wantOther int
	}{
		{"trusted proxy", []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0"), netip.MustParsePrefix("::/0")}, http.StatusSeeOther},
		{"no trusted proxy", nil, http.StatusTooManyRequests},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := testConfig()
			cfg.TrustedProxies = tt.trusted
			a := newTestApp(t, "sqlite", cfg)
			a.get("/login", false)
			for range 5 {
				fail(a, "203.0.113.5")
			}
			if got := fail(a, "203.0.113.5"); got != http.StatusTooManyRequests {
				t.Fatalf("sixth failure of one client: %d, want 429", got)
			}
			resp, _ := a.post("/login", url.Values{"token": {testAdminToken}}, map[string]string{"X-Forwarded-For": "198.51.100.7"})
			if resp.StatusCode != tt.wantOther {
				t.Errorf("right token from another client: %d, want %d", resp.StatusCode, tt.wantOther)
			}
		})
	}
}

func TestWebLimiterWindowAndBlock(t *testing.T) {
	l := newLoginLimiter(5, time.Minute, 5*time.Minute)
	t0 := time.Unix(1_700_000_000, 0)
	for i := range 4 {
		l.fail("a", t0.Add(time.Duration(i)*20*time.Second)) // 0, 20, 40, 60 s
	}
	if l.fail("a", t0.Add(61*time.Second)) { // the first failure left the window
		t.Fatal("blocked after 4 failures within a minute")
	}
	if !l.fail("a", t0.Add(62*time.Second)) {
		t.Fatal("not blocked after 5 failures within a minute")
	}
	if b, wait := l.blocked("a", t0.Add(63*time.Second)); !b || wait != 299*time.Second {
		t.Fatalf("blocked %v for %v", b, wait)
	}
	if b, _ := l.blocked("b", t0); b {
		t.Fatal("another address is blocked")
	}
	if b, _ := l.blocked("a", t0.Add(62*time.Second+5*time.Minute)); b {
		t.Fatal("still blocked after the block ended")
	}
}

func TestWebSessionsRejectTamperedAndExpired(t *testing.T) {
	s := newSessions("token", nil, newTokenStore(), time.Hour)
	now := time.Now()
	v := s.issue(now)
	if _, ok := s.check(v, now); !ok {
		t.Fatal("fresh session refused")
	}
	parts := strings.Split(v, ".")
	tampered := strings.Join([]string{parts[0], "9999999999", parts[2], parts[3]}, ".")
	for name, value := range map[string]string{"tampered": tampered, "empty": "", "garbage": "a.b.c"} {
		if _, ok := s.check(value, now); ok {
			t.Errorf("%s session accepted", name)
		}
	}
	if _, ok := s.check(v, now.Add(time.Hour)); ok {
		t.Error("expired session accepted")
	}
	if _, ok := newSessions("token", nil, newTokenStore(), time.Hour).check(v, now); ok {
		t.Error("session of another process accepted")
	}
	if _, ok := newSessions("other", nil, newTokenStore(), time.Hour).check(v, now); ok {
		t.Error("session signed for another admin token accepted")
	}
}

func TestWebSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/dashboard/settings?provider=openrouter": "/dashboard/settings?provider=openrouter",
		"/dashboard":                   "/dashboard",
		"https://evil.example/":        "/dashboard",
		"//evil.example":               "/dashboard",
		"/dashboardx":                  "/dashboard",
		"/dashboard/\r\nSet-Cookie: x": "/dashboard",
		"":                             "/dashboard",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// Two processes with one secret and one storage accept each other's
// sessions, and a sign-out on one ends the session on both.
func TestWebSessionsSharedSecret(t *testing.T) {
	shared := newTokenStore()
	a := newSessions("token", []byte("secret"), shared, time.Hour)
	b := newSessions("token", []byte("secret"), shared, time.Hour)
	now := time.Now()
	v := a.issue(now)
	if _, ok := b.check(v, now); !ok {
		t.Fatal("b refused a's session")
	}
	if _, ok := newSessions("token", []byte("other"), shared, time.Hour).check(v, now); ok {
		t.Error("a session signed with another secret accepted")
	}
	b.revoke(v, now)
	if _, ok := a.check(v, now); ok {
		t.Error("a accepts a session signed out on b")
	}
}
