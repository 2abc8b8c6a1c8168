package proxy

import (
	"bytes"
	"context"

	"github.com/gofiber/fiber/v2"
	"github.com/tidwall/gjson"

	"github.com/keypool/keypool/app/respcache"
)

// Cache keeps whole answers to repeated chat requests (app/respcache). A
// cache that cannot answer is a miss: it never fails a request.
type Cache interface {
	Get(ctx context.Context, key respcache.Key) (respcache.Entry, bool)
	Set(ctx context.Context, key respcache.Key, e respcache.Entry)
}

// headerXCache tells a client whether a cacheable request was answered
// from the response cache (HIT) or went upstream (MISS).
const headerXCache = "X-Cache"

// cachedRoute says whether an upstream path is a chat route, whose
// non-stream answers the response cache keeps.
func cachedRoute(path string) bool { return path == "/v1/chat/completions" || path == "/api/chat" }

// cacheTicket is a cacheable request's place in the cache; its zero value
// stores nothing.
type cacheTicket struct {
	key   respcache.Key
	store bool // the answer may be kept (not Cache-Control: no-store)
}

// lookupCache serves a cacheable request from the cache when it can,
// reporting whether it did. Streams, and requests that sample
// (temperature > 0) unless CACHE_ALL, are not cacheable: they get no
// ticket and no X-Cache header. A client's Cache-Control: no-cache skips
// the lookup; no-store also keeps its answer out of the cache.
func (p *Proxy) lookupCache(c *fiber.Ctx, t *Target, url string, req request, body []byte) (cacheTicket, bool) {
	if req.Stream || (req.Sampled && !p.cfg.CacheAll) {
		return cacheTicket{}, false
	}
	noCache, noStore := cacheControl(c.Request().Header.Peek(fiber.HeaderCacheControl))
	tk := cacheTicket{key: respcache.NewKey(t.Provider.ID, url, req.Model, body), store: !noStore}
	if !noCache && !noStore {
		e, hit := p.cfg.Cache.Get(c.UserContext(), tk.key)
		t.observer().CacheLookup(hit)
		if hit {
			// No key, no upstream: not in the statistics nor in the
			// token's tpm budget.
			c.Status(fiber.StatusOK)
			c.Response().Header.Set(headerXCache, "HIT")
			if e.ContentType != "" {
				c.Response().Header.SetContentType(e.ContentType)
			}
			c.Response().SetBodyRaw(e.Body) // shared with other hits: fasthttp only reads it
			return tk, true
		}
	}
	c.Response().Header.Set(headerXCache, "MISS")
	return tk, false
}

// storeAnswer keeps a 200 answer read whole, unless it carries an error
// object (some upstreams report failures with a 200).
func (p *Proxy) storeAnswer(c *fiber.Ctx, tk cacheTicket, status int, contentType string, data []byte) {
	if !tk.store || status != fiber.StatusOK || gjson.GetBytes(data, "error").Exists() {
		return
	}
	p.cfg.Cache.Set(c.UserContext(), tk.key, respcache.Entry{ContentType: contentType, Body: bytes.Clone(data)}) // data goes back to a pool
}

// cacheControl reads the no-cache and no-store directives of a client's
// Cache-Control header.
func cacheControl(h []byte) (noCache, noStore bool) {
	for len(h) > 0 {
		var d []byte
		d, h, _ = bytes.Cut(h, []byte{','})
		d = bytes.TrimSpace(d)
		switch {
		case bytes.EqualFold(d, []byte("no-cache")):
			noCache = true
		case bytes.EqualFold(d, []byte("no-store")):
			noStore = true
		}
	}
	return noCache, noStore
}
