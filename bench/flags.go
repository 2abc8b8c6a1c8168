package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

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

	// Endurance mode (-sustained).
	sustained  time.Duration // how long the gateway is saturated; 0: not this mode
	interval   time.Duration // one report line per interval
	sseClients int           // clients (of -c) that stream

	// Concurrency mode (-concurrency).
	concurrency bool
	concJSON    int           // concurrent JSON clients
	concSSE     int           // concurrent SSE clients
	latency     time.Duration // the fake upstream's delay before each answer (JSON scenario)
	chunkDelay  time.Duration // the fake upstream's pause between chunks (SSE scenario)
	settle      time.Duration // longest wait for the gateway to fall back to idle
	bursts      int           // gateway passes per scenario, each followed by a settle
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
	fs.DurationVar(&o.sustained, "sustained", 0, "endurance mode: saturate the gateway for this long, reporting every -interval")
	fs.DurationVar(&o.interval, "interval", 15*time.Second, "endurance mode: length of one report interval; the direct baseline lasts two")
	fs.IntVar(&o.sseClients, "sse-clients", 8, "endurance mode: how many of the -c clients stream (SSE) instead of sending JSON")
	fs.BoolVar(&o.concurrency, "concurrency", false, "concurrency mode: many slow JSON clients, then many slow SSE streams")
	fs.IntVar(&o.concJSON, "conc-json", 2000, "concurrency mode: concurrent JSON clients")
	fs.IntVar(&o.concSSE, "conc-sse", 1000, "concurrency mode: concurrent SSE clients")
	fs.DurationVar(&o.latency, "conc-latency", 100*time.Millisecond, "concurrency mode: upstream latency before each JSON answer")
	fs.DurationVar(&o.chunkDelay, "conc-chunk-delay", 50*time.Millisecond, "concurrency mode: upstream pause between SSE chunks")
	fs.DurationVar(&o.settle, "settle", 150*time.Second, "concurrency mode: longest wait after a run for the gateway to fall back to its idle footprint")
	fs.IntVar(&o.bursts, "bursts", 2, "concurrency mode: gateway passes per scenario, each followed by a wait for rest (the second shows whether the first leaked)")
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
	case o.sustained < 0 || (o.sustained > 0 && o.concurrency):
		return o, fmt.Errorf("-sustained must be positive, and not combined with -concurrency")
	case o.sustained > 0 && (o.interval <= 0 || o.interval > o.sustained):
		return o, fmt.Errorf("-interval must be positive and at most -sustained")
	case o.sseClients < 0 || o.sseClients > o.clients:
		return o, fmt.Errorf("-sse-clients must be from 0 to -c")
	case o.concJSON < 0 || o.concSSE < 0 || o.concJSON+o.concSSE == 0 || o.latency < 0 || o.chunkDelay < 0 || o.settle < 0:
		return o, fmt.Errorf("-conc-json, -conc-sse, -conc-latency, -conc-chunk-delay and -settle must not be negative")
	case o.bursts < 1:
		return o, fmt.Errorf("-bursts must be at least 1")
	}
	return o, nil
}
