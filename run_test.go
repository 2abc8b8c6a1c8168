package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/logtest"
)

// The first command of the README: run starts the gateway on the embedded
// SQLite default, prints the URL and, on first start only, the generated
// admin token; the healthcheck subcommand sees it healthy.
func TestRunServesAndPrintsAdminTokenOnce(t *testing.T) {
	dir := t.TempDir()
	addr := freeAddr(t)
	env := map[string]string{"DATA_DIR": dir, "LISTEN_ADDR": addr, "LOG_LEVEL": "error"}
	getenv := func(k string) string { return env[k] }

	for start := 1; start <= 2; start++ {
		ctx, cancel := context.WithCancel(context.Background())
		var out logtest.Buffer
		done := make(chan error, 1)
		go func() { done <- run(ctx, nil, getenv, &out) }()
		deadline := time.Now().Add(10 * time.Second)
		for run(context.Background(), []string{"healthcheck"}, getenv, &bytes.Buffer{}) != nil {
			if time.Now().After(deadline) {
				t.Fatalf("start %d: not healthy in 10s; output:\n%s", start, out.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("start %d: run: %v", start, err)
		}
		token, err := os.ReadFile(filepath.Join(dir, "admin_token"))
		if err != nil {
			t.Fatal(err)
		}
		shown := strings.Contains(out.String(), strings.TrimSpace(string(token)))
		if shown != (start == 1) {
			t.Errorf("start %d: admin token printed = %v; output:\n%s", start, shown, out.String())
		}
		if !strings.Contains(out.String(), "http://"+addr+"/dashboard") {
			t.Errorf("start %d: no URL in output:\n%s", start, out.String())
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "keypool.db")); err != nil {
		t.Errorf("no SQLite file in DATA_DIR: %v", err)
	}
}

func TestRunRejectsBadConfigAndCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		env  map[string]string
		want string
	}{
		{[]string{"frobnicate"}, nil, "unknown command"},
		{nil, map[string]string{"MAX_RETRIES": "lots"}, "MAX_RETRIES"},
		{nil, map[string]string{"DATABASE_URL": "mysql://x"}, "DATABASE_URL"},
		{[]string{"migrate"}, map[string]string{"DISABLE_OLLAMA": "true", "DISABLE_OPENROUTER": "1"}, "DISABLE_OLLAMA"},
	}
	for _, tt := range tests {
		env := map[string]string{"DATA_DIR": t.TempDir()}
		for k, v := range tt.env {
			env[k] = v
		}
		err := run(context.Background(), tt.args, func(k string) string { return env[k] }, &bytes.Buffer{})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("run(%v, %v) = %v, want an error naming %s", tt.args, tt.env, err, tt.want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// healthcheck asks the host LISTEN_ADDR names, and 127.0.0.1 when it names
// none or every address.
func TestHealthURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ listen, want string }{
		{":8080", "http://127.0.0.1:8080/health"},
		{"0.0.0.0:8080", "http://127.0.0.1:8080/health"},
		{"[::]:8080", "http://127.0.0.1:8080/health"},
		{"127.0.0.1:9000", "http://127.0.0.1:9000/health"},
		{"10.1.2.3:8080", "http://10.1.2.3:8080/health"},
		{"[::1]:8080", "http://[::1]:8080/health"},
		{"keypool.internal:8080", "http://keypool.internal:8080/health"},
		{"localhost:8080", "http://localhost:8080/health"},
	}
	for _, tt := range tests {
		if got, err := healthURL(tt.listen); err != nil || got != tt.want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", tt.listen, got, err, tt.want)
		}
	}
	if _, err := healthURL("8080"); err == nil || !strings.Contains(err.Error(), "LISTEN_ADDR") {
		t.Errorf("healthURL(8080) = %v, want an error naming LISTEN_ADDR", err)
	}
}

// A gateway bound to one address of the host, not 127.0.0.1, is found
// there by the healthcheck subcommand.
func TestHealthcheckOnTheListenHost(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.2:0") // a loopback address other than 127.0.0.1 (Linux)
	if err != nil {
		t.Skipf("no 127.0.0.2 on this host: %v", err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
		}
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()
	env := map[string]string{"DATA_DIR": t.TempDir(), "LISTEN_ADDR": ln.Addr().String(), "LOG_LEVEL": "error"}
	if err := run(context.Background(), []string{"healthcheck"}, func(k string) string { return env[k] }, &bytes.Buffer{}); err != nil {
		t.Errorf("healthcheck with LISTEN_ADDR=%s: %v", env["LISTEN_ADDR"], err)
	}
}
