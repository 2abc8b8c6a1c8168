package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"strings"
	"time"

	"github.com/keypool/keypool/app/config"
	"github.com/keypool/keypool/app/gateway"
)

// The keypool binary has no pprof endpoint. With -cpuprofile-gateway the
// bench starts itself as the gateway child instead (flag childFlag): it
// builds the gateway with gateway.New, exactly as main's serve does, and
// also serves net/http/pprof on the address in pprofEnv. The parent then
// fetches a CPU profile covering each measured gateway window.
const (
	childFlag = "gateway-child"
	pprofEnv  = "KEYPOOL_BENCH_PPROF_ADDR"
)

// serveGatewayChild runs the gateway from the environment until ctx ends.
func serveGatewayChild(ctx context.Context, stderr io.Writer) error {
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(strings.ToUpper(cfg.LogLevel))); err != nil {
		lvl = slog.LevelInfo
	}
	log := slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	g, err := gateway.New(ctx, cfg, log, gateway.Options{})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		g.Shutdown(context.Background())
		return err
	}
	pln, err := net.Listen("tcp", os.Getenv(pprofEnv))
	if err != nil {
		ln.Close()
		g.Shutdown(context.Background())
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	dbg := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go dbg.Serve(pln)
	defer dbg.Close()

	errc := make(chan error, 1)
	go func() { errc <- g.Serve(ln) }()
	select {
	case err := <-errc:
		g.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return g.Shutdown(shutdownCtx)
}

// cpuProfile fetches a CPU profile of the next d (whole seconds, rounded
// up) from the child and writes it to file.
func (g *gatewayProc) cpuProfile(ctx context.Context, d time.Duration, file string) error {
	secs := int(math.Ceil(d.Seconds()))
	return g.fetchProfile(ctx, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), file)
}

// saveHeapProfile writes the child's heap profile to file.
func (g *gatewayProc) saveHeapProfile(ctx context.Context, file string) error {
	return g.fetchProfile(ctx, "/debug/pprof/heap?gc=1", file)
}

func (g *gatewayProc) fetchProfile(ctx context.Context, path, file string) error {
	if g.pprofURL == "" {
		return errors.New("the gateway child serves no pprof")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.pprofURL+path, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("%s: %d %s", path, resp.StatusCode, msg)
	}
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
