package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/joho/godotenv"

	"github.com/keypool/keypool/app/admin"
	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/gateway"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `usage: keypool [command]

commands:
  serve     run the gateway (default)
  migrate      apply database migrations and exit
  healthcheck  GET /health on LISTEN_ADDR; exit 0 if healthy (for Docker's HEALTHCHECK)
  version      print the version
`

// run is the whole program: it reads the configuration (environment, and a
// .env file in the working directory if present) and runs one command.
// stdout gets what a person starting Keypool must see (URL, first admin
// token); logs go to stderr.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd = args[0]
	}
	if cmd == "version" {
		fmt.Fprintln(stdout, "keypool", version)
		return nil
	}
	if cmd != "serve" && cmd != "migrate" && cmd != "healthcheck" {
		fmt.Fprint(stdout, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
	getenv = withDotEnv(getenv)
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg.LogLevel)
	for _, name := range cfg.Ignored {
		log.Info("ignoring "+name+": Keypool talks to PostgreSQL directly through DATABASE_URL", "variable", name)
	}
	switch cmd {
	case "migrate":
		return gateway.Migrate(ctx, cfg, log)
	case "healthcheck":
		return healthcheck(ctx, cfg.ListenAddr)
	}
	return serve(ctx, cfg, log, stdout)
}

func serve(ctx context.Context, cfg config.Config, log *slog.Logger, stdout io.Writer) error {
	if cfg.AdminToken == "" {
		token, created, err := admin.EnsureToken(cfg.DataDir)
		if err != nil {
			return err
		}
		cfg.AdminToken = token
		if created {
			fmt.Fprintf(stdout, "Generated admin token (kept in %s/%s; shown only this once):\n\n    %s\n\n",
				cfg.DataDir, admin.TokenFile, token)
		}
	}
	g, err := gateway.New(ctx, cfg, log, gateway.Options{Version: version})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		g.Shutdown(context.Background())
		return fmt.Errorf("listen on LISTEN_ADDR=%s: %w", cfg.ListenAddr, err)
	}
	fmt.Fprintf(stdout, "Keypool %s listening on %s\n", version, baseURL(ln.Addr()))
	fmt.Fprintf(stdout, "  OpenAI base URL (Ollama):     %s/v1\n", baseURL(ln.Addr()))
	fmt.Fprintf(stdout, "  OpenAI base URL (OpenRouter): %s/openrouter/v1\n", baseURL(ln.Addr()))
	fmt.Fprintf(stdout, "  Dashboard:                    %s/dashboard (log in with the admin token)\n", baseURL(ln.Addr()))
	fmt.Fprintf(stdout, "  Admin API:                    %s/admin (Authorization: Bearer <admin token>)\n", baseURL(ln.Addr()))

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(ln) }()
	select {
	case err := <-errc:
		g.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return g.Shutdown(shutdownCtx)
}

// healthcheck asks a running gateway on this host for /health; the
// distroless image has no curl, so the binary checks itself.
func healthcheck(ctx context.Context, listenAddr string) error {
	url, err := healthURL(listenAddr)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /health answered %s", resp.Status)
	}
	return nil
}

// healthURL is the /health of a gateway listening on listenAddr: on its
// host when LISTEN_ADDR names one, else (":8080", "0.0.0.0:8080") on
// 127.0.0.1, which a gateway listening on every address answers too.
func healthURL(listenAddr string) (string, error) {
	host, port, err := net.SplitHostPort(listenAddr)
	if err != nil {
		return "", fmt.Errorf("healthcheck: LISTEN_ADDR=%s: %w", listenAddr, err)
	}
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/health", nil
}

// baseURL turns a listen address into a URL a person can open.
func baseURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// withDotEnv layers a .env file under the real environment, if one exists.
func withDotEnv(getenv func(string) string) func(string) string {
	env, err := godotenv.Read()
	if err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(os.Stderr, "keypool: ignoring .env:", err)
		}
		return getenv
	}
	return func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return env[name]
	}
}

// newLogger logs text on a terminal and JSON otherwise, at LOG_LEVEL.
func newLogger(level string) *slog.Logger {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		lvl = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if fi, err := os.Stderr.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
		return slog.New(slog.NewTextHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewJSONHandler(os.Stderr, opts))
}
