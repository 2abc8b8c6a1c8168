package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// logFunc prints a progress line on stderr.
type logFunc func(format string, a ...any)

// gatewayProc is the gateway running as a child process.
type gatewayProc struct {
	cmd          *exec.Cmd
	dir          string // temp dir: data, binary
	url          string
	adminToken   string
	metricsToken string   // the child's METRICS_TOKEN, for scraping /metrics
	environ      []string // the child's whole environment
	pprofURL     string   // "" unless the child serves pprof
	what         string   // how the child was started, for the report
	exited       chan struct{}
	waitErr      error
	clkTck       int64
}

// startGateway builds (or reuses) the gateway binary, starts it on a free
// loopback port in front of upstreamURL and waits for /health.
func startGateway(ctx context.Context, o options, upstreamURL string, logf logFunc) (*gatewayProc, error) {
	dir, err := os.MkdirTemp("", "keypool-bench-")
	if err != nil {
		return nil, err
	}
	g := &gatewayProc{dir: dir, adminToken: randomToken("bench-admin-"), metricsToken: randomToken("bench-metrics-"),
		exited: make(chan struct{}), clkTck: clockTicks()}
	ok := false
	defer func() {
		if !ok {
			g.stop()
		}
	}()

	bin, args := o.gatewayBin, []string(nil)
	switch {
	case o.cpuProfile != "":
		if bin, err = os.Executable(); err != nil {
			return nil, err
		}
		args = []string{"-" + childFlag}
		g.what = "in-tree gateway.New in a child of this binary, serving pprof"
	case bin == "":
		bin = filepath.Join(dir, "keypool")
		logf("building the gateway: go build -o %s .", bin)
		if err := goBuild(ctx, bin); err != nil {
			return nil, err
		}
		g.what = "keypool binary built from the module root"
	default:
		g.what = "keypool binary " + bin
	}

	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	g.url = "http://" + addr
	env := g.env(o, addr, upstreamURL)
	if o.cpuProfile != "" {
		pprofAddr, err := freeAddr()
		if err != nil {
			return nil, err
		}
		g.pprofURL = "http://" + pprofAddr
		env = append(env, pprofEnv+"="+pprofAddr)
	}

	g.environ = env
	g.metricsToken = g.setting("METRICS_TOKEN", "")
	g.cmd = exec.Command(bin, args...)
	g.cmd.Dir = dir // no stray .env from the caller's directory
	g.cmd.Env = env
	g.cmd.Stdout = io.Discard // the startup banner
	g.cmd.Stderr = os.Stderr  // warnings and errors stay visible
	setParentDeathSignal(g.cmd)
	if err := g.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start gateway: %w", err)
	}
	go func() { g.waitErr = g.cmd.Wait(); close(g.exited) }()
	if err := g.waitHealthy(ctx, 60*time.Second); err != nil {
		return nil, err
	}
	logf("gateway pid %d listening on %s (%s)", g.cmd.Process.Pid, g.url, g.what)
	ok = true
	return g, nil
}

// env is the child's whole environment: the gateway's settings, a few
// variables of the Go runtime passed through (GOGC…) and -gateway-env.
func (g *gatewayProc) env(o options, addr, upstreamURL string) []string {
	env := []string{
		"DATA_DIR=" + filepath.Join(g.dir, "data"),
		"DATABASE_URL=" + o.databaseURL,
		"ADMIN_TOKEN=" + g.adminToken,
		"METRICS_TOKEN=" + g.metricsToken,
		"LISTEN_ADDR=" + addr,
		"LOG_LEVEL=warn",
		"OLLAMA_BASE_URL=" + upstreamURL,
		"OPENROUTER_BASE_URL=" + upstreamURL + "/api",
		"STATS_ENABLED=" + fmt.Sprint(o.stats),
	}
	for _, name := range []string{"PATH", "HOME", "TMPDIR", "GOGC", "GOMEMLIMIT", "GOMAXPROCS", "GODEBUG"} {
		if v, ok := os.LookupEnv(name); ok {
			env = append(env, name+"="+v)
		}
	}
	return append(env, o.gatewayEnv...) // later entries win
}

// goBuild builds the module root's main package to bin.
func goBuild(ctx context.Context, bin string) error {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("not inside the keypool module: run from the repository")
	}
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = filepath.Dir(gomod)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build: %w", err)
	}
	return nil
}

// waitHealthy polls /health until it answers 200.
func (g *gatewayProc) waitHealthy(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/health", nil)
		if err != nil {
			return err
		}
		req.Close = true // no idle connection left in the gateway
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-g.exited:
			return fmt.Errorf("gateway exited before it was healthy: %v", g.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gateway not healthy after %s", limit)
		}
	}
}

// stop ends the child (SIGTERM, then SIGKILL after 10 s) and removes its
// temp dir.
func (g *gatewayProc) stop() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = g.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-g.exited:
		case <-time.After(10 * time.Second):
			_ = g.cmd.Process.Kill()
			<-g.exited
		}
	}
	_ = os.RemoveAll(g.dir)
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// setting is the value of a variable in the child's environment (the last
// one wins, as -gateway-env may override the bench's), or def.
func (g *gatewayProc) setting(name, def string) string {
	v := def
	for _, kv := range g.environ {
		if val, ok := strings.CutPrefix(kv, name+"="); ok {
			v = val
		}
	}
	return v
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}
