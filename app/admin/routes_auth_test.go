package admin

import (
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/operator"
)

// publicRoutes are the only /admin paths open without the admin token.
var publicRoutes = map[string]bool{"/admin/public-stats": true}

// TestEveryAdminRouteNeedsTheToken walks the router's route table, so that
// a route added later is checked too: every /admin route but the public
// statistics answers 401 without the admin token or with a wrong one, and
// something else with the right one (the route exists and the token was
// the only obstacle).
func TestEveryAdminRouteNeedsTheToken(t *testing.T) {
	t.Parallel()
	const token = "right-admin-token-0123456789"
	app := testApp()
	New(token, operator.New(operator.Config{}, nil, nil), slog.New(slog.NewTextHandler(io.Discard, nil))).Routes(app)

	seen := map[string]bool{}
	for _, r := range app.GetRoutes(true) {
		if !strings.HasPrefix(r.Path, "/admin") || r.Method == fiber.MethodHead {
			continue // HEAD mirrors GET; the body-less answer is checked through GET
		}
		path := concrete(r.Path)
		seen[r.Method+" "+r.Path] = true
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			auths := []struct {
				name   string
				header string
				denied bool
			}{
				{"no token", "", true},
				{"wrong token", "Bearer wrong-" + token, true},
				{"token without Bearer", token, true},
				{"right token", "Bearer " + token, false},
			}
			for _, a := range auths {
				status, body := send(t, app, r.Method, path, a.header)
				switch {
				case publicRoutes[r.Path] && status == fiber.StatusUnauthorized:
					t.Errorf("%s: public route answered 401: %s", a.name, body)
				case publicRoutes[r.Path]:
				case a.denied && (status != fiber.StatusUnauthorized || !strings.Contains(body, `"error"`)):
					t.Errorf("%s: %d %s, want 401 {\"error\"}", a.name, status, body)
				case !a.denied && status == fiber.StatusUnauthorized:
					t.Errorf("%s: 401 %s", a.name, body)
				}
			}
		})
	}
	// The walk must have found the routes this package is known to serve.
	for _, want := range []string{"GET /admin/api-keys", "POST /admin/api-keys", "DELETE /admin/api-keys/:key",
		"POST /admin/api-keys/import", "POST /admin/keys/enable", "POST /admin/keys/disable", "GET /admin/tokens",
		"POST /admin/tokens", "DELETE /admin/tokens/:id", "GET /admin/providers", "POST /admin/providers/:id/disable",
		"GET /admin/cache/stats", "POST /admin/cache/clear", "GET /admin/stats", "GET /admin/public-stats"} {
		if !seen[want] {
			t.Errorf("route %s not in the route table", want)
		}
	}
}

// concrete fills a route's parameters (":id", ":key", "*") with a value.
func concrete(route string) string {
	parts := strings.Split(route, "/")
	for i, p := range parts {
		if strings.HasPrefix(p, ":") || strings.HasPrefix(p, "*") || strings.HasPrefix(p, "+") {
			parts[i] = "x"
		}
	}
	return strings.Join(parts, "/")
}

// send calls the app with an empty JSON body; a handler that keeps the
// answer open (a stream) past the timeout got past the token check.
func send(t *testing.T, app *fiber.App, method, path, auth string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader("{}"))
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := app.Test(req, 2000)
	if err != nil {
		return 0, "no answer within 2s: " + err.Error()
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body)
}

func asFiber(err error, fe **fiber.Error) bool { return errors.As(err, fe) }
