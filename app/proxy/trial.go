package proxy

import (
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/redact"
)

// The headers a trial answer carries: which key served it (masked) and
// how many keys were tried. Client routes never send them.
const (
	HeaderTrialKey      = "X-Keypool-Key"
	HeaderTrialAttempts = "X-Keypool-Attempts"
)

// Trial returns the handlers of the dashboard's playground for target t:
// chat forwards an OpenAI chat request and models lists the provider's
// models. They go through the same pool, failover, health and statistics
// as a client's request, without a client token: the dashboard's session
// stands for it, so its requests count for keys and models but for no
// client token. The caller must put them behind the dashboard's session
// and CSRF checks. Errors are answered here, in the OpenAI shape, so the
// dashboard's error pages do not take them.
//
// The dashboard's middleware gives a request a context that ends when its
// handler returns, while a stream is written after that; the proxy watches
// the client itself, as on client routes, so trials run on a context
// without that end.
func (p *Proxy) Trial(t *Target) (chat, models fiber.Handler) {
	serve := func(rt route) fiber.Handler {
		return func(c *fiber.Ctx) error {
			c.SetUserContext(context.WithoutCancel(c.UserContext()))
			err := p.forward(c, t, rt)
			if e := (*Error)(nil); errors.As(err, &e) {
				return WriteError(c, e) // JSON for the page's script, not the dashboard's error page
			}
			return err
		}
	}
	// Not cached: the page is there to see a key answer.
	return serve(route{url: t.Provider.BaseURL + "/v1/chat/completions", trial: true}),
		serve(route{url: t.Provider.BaseURL + "/v1/models", trial: true})
}

// tellTrial names, on a trial's answer, the key that served it (masked)
// and the number of keys tried.
func (x *exchange) tellTrial(c *fiber.Ctx, tried int) {
	if x.key != nil {
		c.Set(HeaderTrialKey, trialKey(x.key.APIKey()))
	}
	c.Set(HeaderTrialAttempts, strconv.Itoa(tried))
}

// trialKey is a key as HeaderTrialKey names it: masked, in ASCII ("..."
// for the ellipsis), since browsers read header values as Latin-1.
func trialKey(key string) string {
	return strings.ReplaceAll(redact.Key(key), "…", "...")
}
