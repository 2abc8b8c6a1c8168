package admin

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/keypool/keypool/app/backend"
	"github.com/keypool/keypool/app/operator"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/provider"
	"github.com/keypool/keypool/app/stats"
	"github.com/keypool/keypool/app/store"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/models"
)

const testAdminToken = "admin-token-for-admin-tests"

// adminEnv is the admin API of both providers on a fresh database, in
// front of the fake upstream, built as the gateway builds it.
type adminEnv struct {
	fake  *fakeupstream.Server
	ops   *operator.Service
	store *store.Store // Ollama's
	pool  *pool.Pool   // Ollama's
	app   *fiber.App
}

// newAdminEnv builds the env on dialect with cfg, Ollama holding keys.
func newAdminEnv(t *testing.T, dialect string, cfg operator.Config, keys ...string) *adminEnv {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{})
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	db := storetest.Open(t, dialect)
	rows := make([]models.Key, len(keys))
	for i, k := range keys {
		rows[i] = models.Key{APIKey: k, Username: "user@example.com"}
	}
	if _, err := store.New(db, "ollama_api").InsertKeys(t.Context(), rows); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	providers := map[string]*backend.Provider{}
	for id, base := range map[string]string{provider.Ollama: srv.URL, provider.OpenRouter: srv.URL + "/api"} {
		p, err := backend.New(t.Context(), backend.Config{Log: log}, provider.New(id, base), db)
		if err != nil {
			t.Fatal(err)
		}
		providers[id] = p
	}
	if cfg.ProbeTimeout == 0 {
		cfg.ProbeTimeout = 5 * time.Second
	}
	ops := operator.New(cfg, providers, log)
	if err := ops.Start(t.Context()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ops.Stop(context.Background()) })
	app := testApp()
	New(testAdminToken, ops, log).Routes(app)
	return &adminEnv{fake: fake, ops: ops, store: providers[provider.Ollama].Store, pool: providers[provider.Ollama].Pool, app: app}
}

// do sends a request with the admin token through app.Test.
func (e *adminEnv) do(t *testing.T, method, path, contentType, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+testAdminToken)
	req.Header.Set("Content-Type", contentType)
	resp, err := e.app.Test(req, 20_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}

// get sends GET path with token, decodes a 200 answer into out (if not
// nil), and returns status and body.
func (e *adminEnv) get(t *testing.T, path, token string, out any) (int, string) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Header.Set("Authorization", "Bearer "+token) // "Bearer " alone: no token
	resp, err := e.app.Test(req, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if out != nil && resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, out); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, body)
		}
	}
	return resp.StatusCode, string(body)
}

// record writes n successful requests of model now.
func (e *adminEnv) record(t *testing.T, model string, n int64) {
	t.Helper()
	now := time.Now().UTC()
	b := &stats.Batch{Provider: provider.Ollama, Global: stats.Counter{Requests: n, Success: n},
		Models: map[string]*stats.ModelDelta{model: {Counter: stats.Counter{Requests: n, Success: n}, LastUsed: now}},
		Hourly: map[stats.HourKey]*stats.Counter{{Model: model, Hour: now.Truncate(time.Hour)}: {Requests: n, Success: n}}}
	if err := e.store.WriteStats(t.Context(), b); err != nil {
		t.Fatal(err)
	}
}

func forEachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects(t) {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			fn(t, d)
		})
	}
}

// testApp is a Fiber app with the gateway's error mapping for the admin
// API: Answer's status and message, a Fiber error's code, else 500.
func testApp() *fiber.App {
	return fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		status, msg, ok := Answer(err)
		var fe *fiber.Error
		switch {
		case ok:
		case asFiber(err, &fe):
			status, msg = fe.Code, fe.Message
		default:
			status, msg = fiber.StatusInternalServerError, err.Error()
		}
		return c.Status(status).JSON(fiber.Map{"error": msg})
	}})
}
