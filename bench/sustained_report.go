package main

import (
	"fmt"
	"io"
	"math"
	"time"
)

// targetDrift is the endurance target: the last interval's req/s within
// 10 % of the first's (issue 9). RSS uses targetRSSMB.
const targetDrift = 0.10

// sustainedReport prints the endurance mode as it runs, then its verdict.
type sustainedReport struct {
	w      io.Writer
	o      options
	stats  bool
	direct result

	directRows []intervalRow // the baseline's intervals

	rows     []intervalRow
	rest     footprint // the gateway before the gateway pass
	peak     footprint // largest RSS and goroutines seen, sampled every second
	gw       result    // the whole gateway pass
	check    statsCheck
	flushErr error
	idle     footprint // after the statistics check
}

const sustainedFormat = "%-11s %8s %6s %9s %9s %7s %7s %6s %9s %10s\n"

func (r *sustainedReport) header() {
	fmt.Fprintf(r.w, sustainedFormat, "interval", "req/s", "ratio", "p50", "p99", "errors", "gw cpu", "other", "gw RSS", "goroutines")
}

// directInterval prints one interval of the direct baseline.
func (r *sustainedReport) directInterval(row intervalRow) {
	fmt.Fprintf(r.w, sustainedFormat, "d "+fmtSecs(row.from)+"-"+fmtSecs(row.to), formatRate(row.rps()), "",
		formatLatency(row.p50), formatLatency(row.p99), fmt.Sprint(row.errs), "", fmt.Sprintf("%.2f", row.otherCores), "", "")
	r.disturbed(row)
}

// baseline prints the whole direct pass the intervals are compared with.
func (r *sustainedReport) baseline(d result) {
	r.direct = d
	fmt.Fprintf(r.w, sustainedFormat, "direct all", formatRate(d.rps()), "",
		formatLatency(d.percentile(0.50)), formatLatency(d.percentile(0.99)), fmt.Sprint(d.errs.total()),
		"", cores(d.otherCPU, d.window), "", "")
	printErrors(r.w, "direct", d.errs)
	if n := len(r.directRows); n >= 2 {
		fmt.Fprintf(r.w, "  direct intervals differ by %.0f %%: the machine's own noise\n", 100*r.directNoise())
	}
	fmt.Fprintln(r.w)
}

// directNoise is how much the direct baseline's intervals differ:
// |last/first - 1|.
func (r *sustainedReport) directNoise() float64 {
	if n := len(r.directRows); n >= 2 {
		return math.Abs(r.directRows[n-1].rps()/max(r.directRows[0].rps(), 1) - 1)
	}
	return 0
}

func (r *sustainedReport) disturbed(row intervalRow) {
	if row.otherCores > maxOtherCores {
		fmt.Fprintf(r.w, "    ! other processes used %.2f cores in this interval: its figures are disturbed\n", row.otherCores)
	}
}

// interval prints one interval of the gateway pass as soon as it is in.
func (r *sustainedReport) interval(row intervalRow) {
	ratio := ""
	if r.direct.rps() > 0 {
		ratio = fmt.Sprintf("%.2f", row.rps()/r.direct.rps())
	}
	fmt.Fprintf(r.w, sustainedFormat, fmtSecs(row.from)+"-"+fmtSecs(row.to), formatRate(row.rps()), ratio,
		formatLatency(row.p50), formatLatency(row.p99), fmt.Sprint(row.errs),
		fmt.Sprintf("%.2f", row.gwCores), fmt.Sprintf("%.2f", row.otherCores),
		fmt.Sprintf("%.1f MB", row.at.rssMB), fmt.Sprint(row.at.goroutines))
	r.disturbed(row)
}

// summary prints the whole gateway pass.
func (r *sustainedReport) summary(gw result) {
	r.gw = gw
	fmt.Fprintf(r.w, sustainedFormat, "gateway all", formatRate(gw.rps()), fmt.Sprintf("%.2f", gw.rps()/max(r.direct.rps(), 1)),
		formatLatency(gw.percentile(0.50)), formatLatency(gw.percentile(0.99)), fmt.Sprint(gw.errs.total()),
		cores(gw.gwCPU, gw.window), cores(gw.otherCPU, gw.window), "", "")
	printErrors(r.w, "gateway", gw.errs)
	fmt.Fprintf(r.w, "\ngateway: %d answers in the window (%d in the whole pass with warm-up and stragglers), %.1f µs CPU per answer\n",
		gw.ok, gw.good, float64(gw.cpuPerRequest().Nanoseconds())/1e3)
	fmt.Fprintf(r.w, "gateway footprint: at rest before %s; during the run (sampled every second) max RSS %.1f MB, max %d goroutines\n",
		r.rest, r.peak.rssMB, r.peak.goroutines)
}

// verdict compares the run with the endurance targets.
func (r *sustainedReport) verdict() {
	fmt.Fprintf(r.w, "gateway at rest after the run: %s\n\ntargets:\n", r.idle)
	check := func(ok bool, note, format string, a ...any) { printTarget(r.w, ok, fmt.Sprintf(format, a...)+note) }
	if n := len(r.rows); n >= 2 {
		first, last := r.rows[0], r.rows[n-1]
		q := last.rps() / max(first.rps(), 1)
		note := fmt.Sprintf("  [direct baseline noise: %.0f %%]", 100*r.directNoise())
		if first.otherCores > maxOtherCores || last.otherCores > maxOtherCores {
			note += "  [disturbed: other processes were busy in the first or last interval]"
		}
		check(math.Abs(q-1) <= targetDrift, note, "throughput: last interval %s req/s = %.2f × the first (%s req/s) (target within ±%.0f %%)",
			formatRate(last.rps()), q, formatRate(first.rps()), targetDrift*100)
	}
	end := 0.0
	if n := len(r.rows); n > 0 {
		end = r.rows[n-1].at.rssMB
	}
	check(end < targetRSSMB && r.peak.rssMB < targetRSSMB, "", "gateway RSS %.1f MB at the end, max %.1f MB during the run (target < %.0f MB)",
		end, r.peak.rssMB, targetRSSMB)
	check(r.gw.errs.total() == 0, "", "errors: %d (target 0)", r.gw.errs.total())
	if !r.stats {
		fmt.Fprintf(r.w, "  --   statistics not checked: the gateway ran with -stats off\n")
		return
	}
	note := ""
	if r.flushErr != nil {
		note = "  [" + r.flushErr.Error() + "]"
	}
	check(r.check.exact() && r.flushErr == nil, note,
		"statistics exact: stored %d requests / %d ok, upstream %d / %d, clients %d / %d, recorded %d (target: all equal, tokens too)",
		r.check.stored.requests, r.check.stored.ok, r.check.upstream.requests, r.check.upstream.ok,
		r.check.clientOK+r.check.clientErrs, r.check.clientOK, r.check.recorded)
}

// printErrors lists a pass's failures, one line per kind.
func printErrors(w io.Writer, target string, errs errorCounts) {
	for _, m := range errs.sorted() {
		fmt.Fprintf(w, "    ! %s: %d× %s\n", target, errs[m], m)
	}
}

// fmtSecs prints a duration as whole seconds ("15s"), or as is when it
// has a fraction.
func fmtSecs(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return d.String()
}
