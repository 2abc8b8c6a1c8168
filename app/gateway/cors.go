package gateway

import (
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/cors"
)

// corsHeaders are the request headers browsers may send: OpenAI's and
// Anthropic's SDKs, and * for the rest (browsers that know it; it never
// covers Authorization, hence the list).
const corsHeaders = "Authorization,Content-Type,x-api-key,anthropic-version,*"

// corsExposed are the answer headers a browser client may read.
const corsExposed = "Retry-After,X-RateLimit-Limit,X-RateLimit-Remaining,X-RateLimit-Reset"

// cors opens the client routes, the public JSON and the admin API to the
// browser origins of CORS_ORIGINS, answering their preflights, never with
// credentials: every one of these routes takes a bearer token, none a
// cookie. The dashboard and /login, which do take a cookie, are left out.
func (g *Gateway) cors() fiber.Handler {
	return cors.New(cors.Config{
		Next:          func(c *fiber.Ctx) bool { return !corsPath(c.Path()) },
		AllowOrigins:  strings.Join(g.cfg.CORSOrigins, ","),
		AllowMethods:  "GET,POST,PUT,PATCH,DELETE,HEAD,OPTIONS",
		AllowHeaders:  corsHeaders,
		ExposeHeaders: corsExposed,
		MaxAge:        86400, // browsers cap it lower (Chrome: 2 h); fewer preflights
	})
}

// corsPath reports whether a path is one that browsers of other origins
// may call: the client routes, /health, the admin API.
func corsPath(p string) bool {
	return isClientPath(p) || p == "/health" || isAdminPath(p)
}
