package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Targets of the gateway issue (DESIGN.md, "Hot path notes").
const (
	targetJSONRatio = 0.35
	targetSSERatio  = 0.75
	targetJSONCPU   = 40 * time.Microsecond
	targetAddedP50  = 500 * time.Microsecond
	targetRSSMB     = 100.0
)

// maxOtherCores is how much CPU the rest of the machine may use during a
// pass before the pass is flagged as disturbed.
const maxOtherCores = 0.10

// report prints the table as rows come in, then memory and the verdict.
type report struct {
	w io.Writer
	o options
	// what the gateway is and what was loaded into it
	gwWhat                   string
	bodyBytes                int
	importTime               time.Duration
	poolTotal, poolAvailable int
	rssStart, rssKeys        float64

	// figures the verdict needs
	jsonRatio, sseRatio float64
	sseName             string
	jsonCPU             time.Duration
	addedP50            time.Duration
	haveAdded           bool
	rssAfter            float64
	disturbed           map[string]bool // "scenario target" of passes during which other processes were busy
}

func newReport(w io.Writer, o options, gwWhat string) *report {
	return &report{w: w, o: o, gwWhat: gwWhat, bodyBytes: len(chatBody(false)), jsonRatio: -1, sseRatio: -1,
		disturbed: map[string]bool{}}
}

const rowFormat = "%-10s %-8s %9s %9s %9s %6s %7s %10s %8s %8s %8s\n"

// header prints the settings and the column titles.
func (r *report) header() {
	r.settings(fmt.Sprintf("%d clients, %s measured after %s warm-up, chat body %d bytes, SSE %d chunks",
		r.o.clients, r.o.duration, r.o.warmup, r.bodyBytes, r.o.chunks))
	fmt.Fprintf(r.w, rowFormat, "scenario", "target", "req/s", "p50", "p99", "ratio", "errors", "gw cpu/req", "gw cpu", "bench", "other")
}

// settings prints what was measured and how; load describes the clients.
func (r *report) settings(load string) {
	host, _ := os.Hostname()
	db := "SQLite (temp DATA_DIR)"
	if r.o.databaseURL != "" {
		db = "PostgreSQL (-database-url)"
	}
	fmt.Fprintf(r.w, "keypool bench  %s  host %s: %d CPUs, GOMAXPROCS %d, %s\n",
		time.Now().Format("2006-01-02 15:04 MST"), host, runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.Version())
	fmt.Fprintf(r.w, "gateway: %s; %s; stats %s\n", r.gwWhat, db, onOff(r.o.stats))
	fmt.Fprintf(r.w, "load: %s\n", load)
	fmt.Fprintf(r.w, "keys: %d imported in %s (pool: %d total, %d available)\n\n",
		r.o.keys, r.importTime.Round(time.Millisecond), r.poolTotal, r.poolAvailable)
}

// row prints one pass; direct is the matching direct pass for a gateway
// row (nil for a direct row).
func (r *report) row(scenario string, res result, direct *result) {
	ratio, cpu := "", ""
	if direct != nil {
		q := 0.0
		if direct.rps() > 0 {
			q = res.rps() / direct.rps()
		}
		ratio = fmt.Sprintf("%.2f", q)
		cpu = fmt.Sprintf("%.1f µs", float64(res.cpuPerRequest().Nanoseconds())/1e3)
		switch {
		case scenario == "json":
			r.jsonRatio, r.jsonCPU = q, res.cpuPerRequest()
		case strings.HasPrefix(scenario, "sse"):
			r.sseRatio, r.sseName = q, scenario
		}
	}
	fmt.Fprintf(r.w, rowFormat, scenario, res.target, formatRate(res.rps()),
		formatLatency(res.percentile(0.50)), formatLatency(res.percentile(0.99)), ratio,
		fmt.Sprint(res.errs.total()), cpu, cores(res.gwCPU, res.window), cores(res.selfCPU, res.window), cores(res.otherCPU, res.window))
	r.errors(scenario, res)
}

// errors lists what went wrong in a pass, so that no error goes unseen.
func (r *report) errors(scenario string, res result) {
	for _, m := range res.errs.sorted() {
		fmt.Fprintf(r.w, "    ! %s %s: %d× %s\n", scenario, res.target, res.errs[m], m)
	}
	if other := res.otherCPU.Seconds() / res.window.Seconds(); other > maxOtherCores {
		r.disturbed[scenario+" "+res.target] = true
		fmt.Fprintf(r.w, "    ! %s %s: other processes used %.2f cores during the run: figures disturbed, run again on a quiet machine\n",
			scenario, res.target, other)
	}
	if res.missed > 0 {
		fmt.Fprintf(r.w, "    ! %s %s: %d requests of the paced schedule not sent: every client was busy\n",
			scenario, res.target, res.missed)
	}
}

// addedLatency prints the latency the gateway adds at a given rate.
func (r *report) addedLatency(rate float64, direct, gw result) {
	r.addedP50, r.haveAdded = gw.percentile(0.5)-direct.percentile(0.5), true
	added99 := gw.percentile(0.99) - direct.percentile(0.99)
	fmt.Fprintf(r.w, "\nadded latency at %s req/s (50%% of the gateway's JSON peak): p50 %+.3f ms, p99 %+.3f ms\n",
		formatRate(rate), ms(r.addedP50), ms(added99))
}

// memory prints the gateway's resident memory at each stage.
func (r *report) memory(after float64) {
	r.rssAfter = after
	fmt.Fprintf(r.w, "gateway RSS: %.1f MB at start, %.1f MB with %d keys loaded, %.1f MB after the runs\n",
		r.rssStart, r.rssKeys, r.poolTotal, after)
}

// verdict compares the figures with the targets of the gateway issue. A
// figure from a disturbed pass is marked: it says little either way.
func (r *report) verdict() {
	fmt.Fprintf(r.w, "\ntargets:\n")
	check := func(ok bool, passes []string, format string, a ...any) {
		note := ""
		if slices.ContainsFunc(passes, func(p string) bool { return r.disturbed[p] }) {
			note = "  [disturbed: other processes were busy, run again]"
		}
		printTarget(r.w, ok, fmt.Sprintf(format, a...)+note)
	}
	if r.jsonRatio >= 0 {
		check(r.jsonRatio >= targetJSONRatio, []string{"json direct", "json gateway"}, "JSON gateway/direct %.2f (target ≥ %.2f)", r.jsonRatio, targetJSONRatio)
		check(r.jsonCPU <= targetJSONCPU, []string{"json gateway"}, "JSON gateway CPU %.1f µs/request (target ≤ %.0f µs)",
			float64(r.jsonCPU.Nanoseconds())/1e3, float64(targetJSONCPU.Nanoseconds())/1e3)
	}
	if r.sseRatio >= 0 {
		check(r.sseRatio >= targetSSERatio, []string{r.sseName + " direct", r.sseName + " gateway"}, "SSE gateway/direct %.2f (target ≥ %.2f)", r.sseRatio, targetSSERatio)
	}
	if r.haveAdded {
		check(r.addedP50 < targetAddedP50, []string{"json@50% direct", "json@50% gateway"}, "added p50 at half the peak %.3f ms (target < %.1f ms)",
			ms(r.addedP50), ms(targetAddedP50))
	}
	check(r.rssKeys < targetRSSMB && r.rssAfter < targetRSSMB, nil,
		"RSS %.1f MB with %d keys, %.1f MB after the runs (target < %.0f MB; the issue sets it for 100,000 keys)",
		r.rssKeys, r.poolTotal, r.rssAfter, targetRSSMB)
}

func formatRate(v float64) string { return fmt.Sprintf("%.0f", v) }

func formatLatency(d time.Duration) string { return fmt.Sprintf("%.2fms", ms(d)) }

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// cores is the average number of CPUs busy: CPU time over wall time.
func cores(cpu, wall time.Duration) string {
	if wall <= 0 {
		return ""
	}
	return fmt.Sprintf("%.2f", cpu.Seconds()/wall.Seconds())
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// printTarget prints one line of a targets block: "ok" or "FAIL", then text.
func printTarget(w io.Writer, ok bool, text string) {
	mark := "FAIL"
	if ok {
		mark = "ok  "
	}
	fmt.Fprintf(w, "  %s %s\n", mark, text)
}
