package gateway_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/gateway"
	"github.com/keypool/keypool/app/testkit/fakeupstream"
	"github.com/keypool/keypool/app/testkit/logtest"
	"github.com/keypool/keypool/app/testkit/storetest"
	"github.com/keypool/keypool/app/tokens"
)

const adminToken = "test-admin-token-0123456789"

// testEnv is a gateway on a real listener in front of a fake upstream.
type testEnv struct {
	t        testing.TB
	fake     *fakeupstream.Server
	upstream *httptest.Server
	gw       *gateway.Gateway
	cfg      config.Config
	url      string
	logs     *logtest.Buffer
	stopped  bool
}

// newTestEnv starts a gateway on a fresh database of the dialect. env
// entries override the test defaults (empty value: unset).
func newTestEnv(t testing.TB, dialect string, env map[string]string) *testEnv {
	t.Helper()
	fake := fakeupstream.New(fakeupstream.Options{Chunks: 5})
	up := httptest.NewServer(fake)
	t.Cleanup(up.Close)
	dbURL, dataDir := storetest.URL(t, dialect)
	vars := map[string]string{
		"DATABASE_URL":        dbURL,
		"DATA_DIR":            dataDir,
		"ADMIN_TOKEN":         adminToken,
		"OLLAMA_BASE_URL":     up.URL,
		"OPENROUTER_BASE_URL": up.URL + "/api",
		"UPSTREAM_TIMEOUT":    "5s",
	}
	for k, v := range env {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] })
	if err != nil {
		t.Fatal(err)
	}
	e := &testEnv{t: t, fake: fake, upstream: up, cfg: cfg, logs: &logtest.Buffer{}}
	e.start()
	t.Cleanup(e.stop)
	return e
}

// start (re)starts the gateway on the env's configuration and database.
func (e *testEnv) start() {
	e.t.Helper()
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	gw, err := gateway.New(context.Background(), e.cfg, log, gateway.Options{})
	if err != nil {
		e.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go gw.Serve(ln)
	e.gw, e.url, e.stopped = gw, "http://"+ln.Addr().String(), false
}

func (e *testEnv) stop() {
	if e.stopped {
		return
	}
	e.stopped = true
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.gw.Shutdown(ctx); err != nil {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		os.WriteFile("/tmp/stacks.txt", buf[:n], 0o644)
		e.t.Errorf("shutdown: %v", err)
	}
}

// do sends a request with a bearer token and returns status and body.
func (e *testEnv) do(method, path, token string, body any) (int, []byte, http.Header) {
	e.t.Helper()
	resp := e.send(method, path, token, body)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return resp.StatusCode, data, resp.Header
}

// send sends a request and returns the open response.
func (e *testEnv) send(method, path, token string, body any) *http.Response {
	e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, e.url+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// importKeys adds upstream keys through the admin API.
func (e *testEnv) importKeys(provider string, keys ...string) {
	e.t.Helper()
	status, body, _ := e.do("POST", "/admin/api-keys/import", adminToken, map[string]any{"keys": keys, "provider": provider})
	if status != http.StatusOK {
		e.t.Fatalf("import: %d %s", status, body)
	}
}

// createToken makes a client token through the admin API.
func (e *testEnv) createToken(provider string) string {
	e.t.Helper()
	status, body, _ := e.do("POST", "/admin/tokens?provider="+provider, adminToken, map[string]string{"name": "test"})
	if status != http.StatusCreated {
		e.t.Fatalf("create token: %d %s", status, body)
	}
	var out struct{ Token string }
	if err := json.Unmarshal(body, &out); err != nil || out.Token == "" {
		e.t.Fatalf("create token: %s", body)
	}
	return out.Token
}

// health returns the /health report.
func (e *testEnv) health() healthReport { return healthAt(e.t, e.url) }

// healthAt returns the /health report of the instance at base.
func healthAt(t testing.TB, base string) healthReport {
	t.Helper()
	resp, err := http.Get(base + "/health")
	if err != nil {
		t.Fatalf("health: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var h healthReport
	if err := json.Unmarshal(body, &h); err != nil {
		t.Fatalf("health: %v: %s", err, body)
	}
	return h
}

type healthReport struct {
	Status    string
	Service   string
	Version   string
	Database  string
	Timestamp string
	Uptime    float64
	Providers map[string]struct {
		Enabled, Configured                      bool
		Total, Active, Failed, Disabled, Expired int
		CoolingDown                              int `json:"cooling_down"`
		Available                                int
		Status                                   string // "ok" | "degraded"
		Upstream                                 struct{ Up bool }
	}
	Cluster struct {
		Bus       string
		Listening bool
		Resync    string
	}
}

// chatPath is the chat route of a provider.
func chatPath(provider string) string {
	if provider == "openrouter" {
		return "/openrouter/v1/chat/completions"
	}
	return "/v1/chat/completions"
}

func chatBody(stream bool) map[string]any {
	return map[string]any{"model": "gpt-oss:120b", "stream": stream,
		"messages": []map[string]string{{"role": "user", "content": "hello"}}}
}

// eventually polls cond until it holds or d passes.
func eventually(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %v: %s", d, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// fakeupstream401Quoting is a 401 whose message quotes the refused key, as
// some upstreams' do.
func fakeupstream401Quoting(key string) fakeupstream.Fault {
	return fakeupstream.Fault{Status: 401, Message: "Incorrect API key provided: " + key}
}

// digestOf is the stored form of a client token.
func digestOf(token string) string { return tokens.Digest(token) }
