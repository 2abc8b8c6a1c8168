package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/keypool/keypool/app/logtest"
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
