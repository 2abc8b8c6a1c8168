// Command bench measures the gateway against its upstream on loopback:
// req/s, latency and the ratio gateway/direct for JSON and SSE chat
// completions, the gateway's CPU time per request, its memory, and the
// latency it adds at half of its peak rate.
//
//	go run ./bench -d 10s -c 64
//	go run ./bench -keys 100000 -d 5s
//
// Two other modes run instead of the table: -sustained (endurance: the
// gateway saturated for a long time, reported interval by interval, then
// its statistics checked against what the clients and the upstream
// counted) and -concurrency (thousands of slow clients at once, with the
// gateway's goroutines and memory before, at the peak and after).
//
//	go run ./bench -sustained 120s
//	go run ./bench -concurrency
//
// The fake upstream and the load generator run in this process; the
// gateway runs as a child process (the keypool binary built from the
// module root), so its CPU time and memory can be read from /proc alone.
// See bench/README.md for the columns and how to read them.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// run is the whole command: start the fake upstream and the gateway, load
// keys, then run the mode asked for. The default runs every scenario
// direct and through the gateway, then the half-peak latency pass,
// printing the table as rows complete.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.childMode {
		return serveGatewayChild(ctx, stderr)
	}
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "bench: "+format+"\n", a...) }

	up, err := startUpstream(o.chunks)
	if err != nil {
		return err
	}
	defer up.close()
	gw, err := startGateway(ctx, o, up.url, logf)
	if err != nil {
		return err
	}
	defer gw.stop()

	keys := upstreamKeys(o.keys)
	rep := newReport(stdout, o, gw.what)
	token, err := setUp(ctx, gw, keys, rep, logf)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		saveHeap(ctx, gw, o.cpuProfile+"-heap-keys.pprof", logf)
	}
	b := &bench{o: o, gw: gw, up: up, rep: rep, logf: logf,
		direct:  target{name: "direct", url: up.url + "/v1/chat/completions", auth: bearers(keys)},
		through: target{name: "gateway", url: gw.url + "/v1/chat/completions", auth: bearers([]string{token})},
	}
	switch {
	case o.sustained > 0:
		return b.runSustained(ctx)
	case o.concurrency:
		return b.runConcurrency(ctx)
	}
	rep.header()
	if err := b.runAll(ctx); err != nil {
		return err
	}
	rep.memory(gw.rssMB())
	if o.cpuProfile != "" {
		saveHeap(ctx, gw, o.cpuProfile+"-heap.pprof", logf)
	}
	rep.verdict()
	return nil
}

// bench is one run of the command, once the gateway is loaded.
type bench struct {
	o               options
	gw              *gatewayProc
	up              *upstream
	rep             *report
	logf            logFunc
	direct, through target
}

// runAll runs every scenario at full speed, then JSON at half the
// gateway's peak rate.
func (b *bench) runAll(ctx context.Context) error {
	jsonPeak := 0.0
	for _, sc := range b.o.scenarios {
		name := "json"
		if sc == "sse" {
			name = fmt.Sprintf("sse-%d", b.o.chunks)
		}
		spec := loadSpec{stream: sc == "sse", chunks: b.o.chunks, clients: b.o.clients, warmup: b.o.warmup, duration: b.o.duration}
		_, g, err := b.compare(ctx, name, spec, profileFile(b.o.cpuProfile, sc))
		if err != nil {
			return err
		}
		if sc == "json" {
			jsonPeak = g.rps()
		}
	}
	if jsonPeak == 0 {
		fmt.Fprintln(b.rep.w)
		return nil
	}
	// Open-loop pacing at the same rate direct and through the gateway:
	// the difference of the medians is the latency the gateway adds.
	spec := loadSpec{chunks: b.o.chunks, clients: b.o.clients, warmup: b.o.warmup, duration: b.o.duration, rate: jsonPeak / 2}
	d, g, err := b.compare(ctx, "json@50%", spec, "")
	if err != nil {
		return err
	}
	b.rep.addedLatency(spec.rate, d, g)
	return nil
}

// compare runs a scenario direct, then through the gateway, and prints
// both rows.
func (b *bench) compare(ctx context.Context, name string, spec loadSpec, profile string) (direct, gw result, err error) {
	if direct, err = b.pass(ctx, b.direct, spec, "", name); err != nil {
		return direct, gw, err
	}
	b.rep.row(name, direct, nil)
	if gw, err = b.pass(ctx, b.through, spec, profile, name); err != nil {
		return direct, gw, err
	}
	b.rep.row(name, gw, &direct)
	return direct, gw, nil
}

// saveHeap writes the gateway's heap profile (after a GC) to file.
func saveHeap(ctx context.Context, gw *gatewayProc, file string, logf logFunc) {
	if err := gw.saveHeapProfile(ctx, file); err != nil {
		logf("gateway heap profile: %v", err)
		return
	}
	logf("gateway heap profile written to %s", file)
}

// profileFile is where the CPU profile of a scenario's gateway run goes.
func profileFile(prefix, scenario string) string {
	if prefix == "" {
		return ""
	}
	return prefix + "-" + scenario + ".pprof"
}
