// Command bench measures the gateway against its upstream on loopback:
// req/s, latency and the ratio gateway/direct for JSON and SSE chat
// completions, the gateway's CPU time per request, its memory, and the
// latency it adds at half of its peak rate.
//
//	go run ./bench -d 10s -c 64
//	go run ./bench -keys 100000 -d 5s
//
// The fake upstream and the load generator run in this process; the
// gateway runs as a child process (the keypool binary built from the
// module root), so its CPU time and memory can be read from /proc alone.
// See bench/README.md for the columns and how to read them.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	duration    time.Duration
	warmup      time.Duration
	clients     int
	keys        int
	chunks      int
	scenarios   []string
	databaseURL string
	stats       bool
	retries     int
	cpuProfile  string   // file prefix for the gateway's CPU profiles; "" = none
	gatewayBin  string   // prebuilt gateway binary; "" = go build the module root
	gatewayEnv  []string // extra NAME=value for the gateway only
	childMode   bool     // internal: this process is the profiled gateway child
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var scenarios, stats string
	fs.DurationVar(&o.duration, "d", 10*time.Second, "measured duration of each run (after the warm-up)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before each measured run")
	fs.IntVar(&o.clients, "c", 64, "concurrent clients")
	fs.IntVar(&o.keys, "keys", 100, "upstream keys imported into the gateway (in batches of 10,000)")
	fs.IntVar(&o.chunks, "chunks", 20, "SSE content chunks per streamed answer")
	fs.StringVar(&scenarios, "scenarios", "json,sse", "comma-separated scenarios: json, sse")
	fs.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL URL for the gateway (empty: SQLite in a temp dir); use a scratch database")
	fs.StringVar(&stats, "stats", "on", "statistics on|off (passed to the gateway as STATS_ENABLED)")
	fs.IntVar(&o.retries, "retries", 5, "run a pass again, up to this many times, when other processes disturbed it")
	fs.StringVar(&o.cpuProfile, "cpuprofile-gateway", "", "write the gateway's CPU profile of each peak run to `prefix`-<scenario>.pprof (runs the gateway as a profiling child of this binary)")
	fs.StringVar(&o.gatewayBin, "gateway-bin", "", "use this keypool binary instead of building one")
	fs.Func("gateway-env", "extra `NAME=value` in the gateway's environment only (repeatable), e.g. GOMEMLIMIT=80MiB", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want NAME=value, not %q", v)
		}
		o.gatewayEnv = append(o.gatewayEnv, v)
		return nil
	})
	fs.BoolVar(&o.childMode, childFlag, false, "internal: serve the gateway with a pprof endpoint (used by -cpuprofile-gateway)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if o.childMode {
		return o, nil
	}
	switch stats {
	case "on", "off":
		o.stats = stats == "on"
	default:
		return o, fmt.Errorf("-stats must be on or off, not %q", stats)
	}
	for _, s := range strings.Split(scenarios, ",") {
		switch s = strings.TrimSpace(s); s {
		case "json", "sse":
			o.scenarios = append(o.scenarios, s)
		case "":
		default:
			return o, fmt.Errorf("unknown scenario %q (want json, sse)", s)
		}
	}
	switch {
	case o.duration <= 0 || o.warmup < 0 || o.retries < 0:
		return o, fmt.Errorf("-d must be positive, -warmup and -retries not negative")
	case o.clients <= 0:
		return o, fmt.Errorf("-c must be positive")
	case o.keys <= 0:
		return o, fmt.Errorf("-keys must be positive")
	case o.chunks <= 0:
		return o, fmt.Errorf("-chunks must be positive")
	case len(o.scenarios) == 0:
		return o, fmt.Errorf("-scenarios names none")
	}
	return o, nil
}

// run is the whole command: start the fake upstream and the gateway, load
// keys, run every scenario direct and through the gateway, then the
// half-peak latency pass, printing the table as rows complete.
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
	b := &bench{o: o, gw: gw, rep: rep, logf: logf,
		direct:  target{name: "direct", url: up.url + "/v1/chat/completions", auth: bearers(keys)},
		through: target{name: "gateway", url: gw.url + "/v1/chat/completions", auth: bearers([]string{token})},
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
