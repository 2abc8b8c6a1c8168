package web

import (
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/csrf"
)

const (
	csrfCookie    = "kp_csrf"
	csrfFormField = "_csrf"
	csrfLocal     = "csrf" // c.Locals key of the request's token
)

// newCSRF returns Fiber's CSRF middleware (double-submit cookie checked
// against a server-side token store). Forms send the token in the _csrf
// field, HTMX in the X-Csrf-Token header set on <body>. Two instances share
// one store, so that the cookie is Secure exactly when the request came
// over TLS.
func newCSRF(failed fiber.ErrorHandler, storage fiber.Storage) fiber.Handler {
	cfg := csrf.Config{
		CookieName:     csrfCookie,
		CookiePath:     "/",
		CookieHTTPOnly: true,
		CookieSameSite: fiber.CookieSameSiteStrictMode,
		Expiration:     12 * time.Hour,
		ContextKey:     csrfLocal,
		Storage:        storage,
		ErrorHandler:   failed,
		Extractor: func(c *fiber.Ctx) (string, error) {
			if t := c.Get(csrf.HeaderName); t != "" {
				return t, nil
			}
			return csrf.CsrfFromForm(csrfFormField)(c)
		},
	}
	plain := csrf.New(cfg)
	cfg.CookieSecure = true
	tls := csrf.New(cfg)
	return func(c *fiber.Ctx) error {
		if c.Protocol() == "https" {
			return tls(c)
		}
		return plain(c)
	}
}

// csrfToken is the request's CSRF token ("" on pages without the middleware).
func csrfToken(c *fiber.Ctx) string {
	t, _ := c.Locals(csrfLocal).(string)
	return t
}

// tokenStore is the fiber.Storage of CSRF tokens: in memory, entries
// expire, and at most maxTokens are kept (the oldest-expiring go first).
type tokenStore struct {
	mu      sync.Mutex
	entries map[string]tokenEntry
}

type tokenEntry struct {
	val     []byte
	expires time.Time
}

const maxTokens = 100_000

func newTokenStore() *tokenStore { return &tokenStore{entries: map[string]tokenEntry{}} }

// Get returns the value of key, nil if absent or expired.
func (s *tokenStore) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.entries[key]
	if !ok || time.Now().After(e.expires) {
		return nil, nil
	}
	return e.val, nil
}

// Set stores val under key for exp.
func (s *tokenStore) Set(key string, val []byte, exp time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if _, ok := s.entries[key]; !ok && len(s.entries) >= maxTokens {
		s.evict(now)
	}
	// Copies: Fiber hands over the request's own bytes, reused after it.
	s.entries[strings.Clone(key)] = tokenEntry{val: append([]byte(nil), val...), expires: now.Add(exp)}
	return nil
}

// evict drops expired tokens, then the soonest-expiring tenth if none had.
func (s *tokenStore) evict(now time.Time) {
	for k, e := range s.entries {
		if now.After(e.expires) {
			delete(s.entries, k)
		}
	}
	if len(s.entries) < maxTokens {
		return
	}
	cutoff := now
	for _, e := range s.entries {
		if e.expires.After(cutoff) {
			cutoff = e.expires
		}
	}
	cutoff = now.Add(cutoff.Sub(now) / 10)
	for k, e := range s.entries {
		if !e.expires.After(cutoff) {
			delete(s.entries, k)
		}
	}
}

// Delete removes key.
func (s *tokenStore) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, key)
	return nil
}

// Reset removes every token.
func (s *tokenStore) Reset() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.entries = map[string]tokenEntry{}
	return nil
}

// Close does nothing: the store holds no resources.
func (s *tokenStore) Close() error { return nil }
