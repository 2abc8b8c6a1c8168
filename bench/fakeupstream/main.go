// Command fakeupstream serves the fake Ollama and OpenRouter upstream of
// package app/fakeupstream on a real port, for benchmarks and manual tests:
//
//	go run ./bench/fakeupstream -addr 127.0.0.1:9000 -chunks 20 -chunk-delay 0 -latency 0
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "fakeupstream:", err)
		os.Exit(1)
	}
}

// run parses args, serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("fakeupstream", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:9000", "listen address")
	var opts fakeupstream.Options
	fs.IntVar(&opts.Chunks, "chunks", 5, "SSE content chunks per streamed answer")
	fs.DurationVar(&opts.ChunkDelay, "chunk-delay", 0, "pause between SSE chunks")
	fs.DurationVar(&opts.Latency, "latency", 0, "delay before the response headers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fakeupstream.New(opts), ReadHeaderTimeout: 10 * time.Second}
	base := "http://" + ln.Addr().String()
	fmt.Fprintf(stdout, "ollama:     %s\nopenrouter: %s/api\n", base, base)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-errc; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
