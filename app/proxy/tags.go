package proxy

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/health"
	"github.com/keypool/keypool/app/pool"
)

// tagsKeys is how many keys are asked for their model list per refresh:
// enough to merge the lists of keys that see different models, without
// spending a request per key of a large pool.
const tagsKeys = 3

// tagsCache keeps the merged /api/tags answer, so model pickers that ask
// on every page view cost no upstream request.
type tagsCache struct {
	mu      sync.Mutex // held during a refresh: concurrent callers wait for it
	body    []byte
	expires time.Time
}

// tags answers GET /api/tags with the union of the models the pool's keys
// see, cached for ModelsCacheTTL.
func (p *Proxy) tags(t *Target) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !t.Provider.Enabled() {
			return nativeError(c, errProviderOff(t.Provider.Label))
		}
		if _, ok := t.Tokens.Check(bearer(c)); !ok && !p.openWithoutToken(c, route{models: true}) {
			return nativeError(c, errToken(t.Tokens, bearer(c)))
		}
		body, err := p.modelList(c.UserContext(), t)
		if err != nil {
			return nativeError(c, err)
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(body)
	}
}

func (p *Proxy) modelList(ctx context.Context, t *Target) ([]byte, error) {
	tc := &t.tags
	tc.mu.Lock()
	defer tc.mu.Unlock()
	if tc.body != nil && time.Now().Before(tc.expires) {
		return tc.body, nil
	}
	pass, refused := t.Health.Admit("")
	defer pass.Done()
	if refused != nil {
		if tc.body != nil {
			return tc.body, nil // stale beats nothing while the upstream is down
		}
		return nil, errDegraded(refused)
	}
	var (
		tried  []*pool.Key
		seen   = map[string]bool{}
		models = []json.RawMessage{}
		ok     bool
		last   *Error
	)
	for len(tried) < tagsKeys {
		k, err := t.Pool.Pick("", tried)
		if err != nil {
			if len(tried) == 0 {
				last = errShortage(t.Pool.Shortage(t.Provider.Label, ""))
			}
			break
		}
		tried = append(tried, k)
		list, ferr := p.fetchTags(ctx, t, k, &pass)
		if ferr != nil {
			last = ferr
			if ferr.Code == "upstream_degraded" {
				break
			}
			continue
		}
		ok = true
		for _, m := range list {
			var named struct{ Name, Model string }
			if json.Unmarshal(m, &named) != nil {
				continue
			}
			name := named.Name + "|" + named.Model
			if !seen[name] {
				seen[name] = true
				models = append(models, m)
			}
		}
	}
	if !ok {
		if tc.body != nil {
			return tc.body, nil // stale beats nothing while the upstream is down
		}
		return nil, last
	}
	body, err := json.Marshal(map[string]any{"models": models})
	if err != nil {
		return nil, err
	}
	tc.body, tc.expires = body, time.Now().Add(p.cfg.ModelsCacheTTL)
	return body, nil
}

// fetchTags asks the upstream for the models one key sees, marking the
// key as its answer says and telling the provider's health.
func (p *Proxy) fetchTags(ctx context.Context, t *Target, k *pool.Key, pass *health.Pass) ([]json.RawMessage, *Error) {
	ctx, cancel := context.WithTimeout(ctx, p.cfg.UpstreamTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.Provider.BaseURL+"/api/tags", nil)
	if err != nil {
		return nil, transportError(err, p.cfg.UpstreamTimeout)
	}
	req.Header.Set("Authorization", "Bearer "+k.APIKey())
	resp, err := p.upstream.RoundTrip(req)
	if err != nil {
		return nil, tagsFailed(t, k, pass, transportError(err, p.cfg.UpstreamTimeout))
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, p.cfg.MaxResponseBytes))
	if err != nil {
		return nil, tagsFailed(t, k, pass, transportError(err, p.cfg.UpstreamTimeout))
	}
	v := classify(t.Provider, resp.StatusCode, resp.Header, body, time.Now())
	switch {
	case v.upstream:
		return nil, tagsFailed(t, k, pass, upstreamError(resp.StatusCode, resp.Header, body, k.APIKey()))
	case v.mark:
		t.Pool.Mark(k, v.event, v.until)
		if v.event == pool.Success {
			for _, bad := range pass.Success() {
				t.Pool.Mark(bad, pool.Transient, time.Time{})
			}
		}
	}
	if resp.StatusCode != http.StatusOK {
		return nil, upstreamError(resp.StatusCode, resp.Header, body, k.APIKey())
	}
	var list struct {
		Models []json.RawMessage `json:"models"`
	}
	if err := json.Unmarshal(body, &list); err != nil {
		return nil, &Error{Status: http.StatusBadGateway, Type: "upstream_error", Code: "upstream_broken",
			Message: "the upstream's model list is not JSON"}
	}
	return list.Models, nil
}

// tagsFailed takes an upstream-wide failure of a model-list request: an
// open breaker ends the merge.
func tagsFailed(t *Target, k *pool.Key, pass *health.Pass, e *Error) *Error {
	if degraded := upstreamFailure(t, pass, k, e); degraded != nil {
		return degraded
	}
	return e
}
