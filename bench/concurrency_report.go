package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// targetAddedP99 is the concurrency target: the gateway adds less than
// 5 ms to the p99 of many slow clients (issue 9).
const targetAddedP99 = 5 * time.Millisecond

// concReport prints the concurrency mode.
type concReport struct {
	w       io.Writer
	results []concResult
}

const concFormat = "%-10s %-8s %7s %8s %8s %9s %9s %7s %7s %6s %6s\n"

func (r *concReport) header() {
	fmt.Fprintf(r.w, concFormat, "scenario", "target", "clients", "up peak", "req/s", "p50", "p99", "errors", "gw cpu", "bench", "other")
}

// scenario prints the direct pass and the gateway bursts of a scenario,
// and the gateway's footprint.
func (r *concReport) scenario(c concResult) {
	r.results = append(r.results, c)
	r.row(c.name, c.direct, c.directPeak)
	for i, bu := range c.bursts {
		r.row(c.name, bu.res, bu.upPeak)
		fmt.Fprintf(r.w, "  %s added by the gateway: p50 %+.2f ms, p99 %+.2f ms\n", burstName(i),
			ms(bu.res.percentile(0.50)-c.direct.percentile(0.50)), ms(c.addedP99(i)))
	}
	for _, st := range streamTimings {
		r.streamTimes(c, st.title, st.of)
	}
	fmt.Fprintf(r.w, "  gateway cold (before burst 1): %s\n", c.cold)
	for i, bu := range c.bursts {
		later := ""
		if bu.restAt > afterRun+time.Second {
			later = fmt.Sprintf(" | %.0f s after: %s", bu.restAt.Seconds(), bu.rest)
		}
		fmt.Fprintf(r.w, "  %s: peak %s | %.0f s after: %s%s\n", burstName(i), bu.peak, afterRun.Seconds(), bu.after5, later)
		fmt.Fprintf(r.w, "    goroutines back within ±%.0f %% of cold %s; RSS steady %s\n",
			restTolerance*100, backNote(bu.goroutinesBack), backNote(bu.rssSteady))
	}
	r.memory(c.cold, c.bursts[0].rest)
	fmt.Fprintln(r.w)
}

// memory prints what the RSS at rest after the first burst is made of,
// next to the cold figures, as the gateway's Go runtime reports it.
func (r *concReport) memory(cold, rest footprint) {
	if !cold.mem.ok || !rest.mem.ok {
		return
	}
	fmt.Fprintf(r.w, "  memory, cold → at rest after burst 1 (MB):")
	for _, part := range []struct {
		name string
		of   func(f footprint) float64
	}{
		{"heap objects", func(f footprint) float64 { return f.mem.heapObjects }},
		{"unused in heap pages", func(f footprint) float64 { return f.mem.heapUnused }},
		{"free heap not returned", func(f footprint) float64 { return f.mem.heapFree }},
		{"stacks", func(f footprint) float64 { return f.mem.stacks }},
		{"runtime metadata", func(f footprint) float64 { return f.mem.metadata }},
		{"rest of RSS (binary pages, untouched reservations)", func(f footprint) float64 { return f.rssMB - f.mem.total() }},
	} {
		fmt.Fprintf(r.w, "\n    %-52s %6.1f → %6.1f (%+.1f)", part.name, part.of(cold), part.of(rest), part.of(rest)-part.of(cold))
	}
	fmt.Fprintln(r.w)
}

// streamTimings are the latencies of a stream besides its whole
// duration; a scenario without their samples (JSON) has none.
var streamTimings = []struct {
	name, title string // short, and as printed under the passes
	of          func(result) []time.Duration
}{
	{"time to first event", "time to first event", func(r result) []time.Duration { return r.ttfb }},
	{"event delivery", "event delivery (upstream write → client read)", func(r result) []time.Duration { return r.events }},
}

// addedP99 is what the gateway added to the p99 of the sorted samples.
func addedP99(direct, gateway []time.Duration) time.Duration {
	return quantile(gateway, 0.99) - quantile(direct, 0.99)
}

// streamTimes prints p50 and p99 of one stream timing, direct and for
// each burst, with what the gateway added (nothing when the scenario has
// no such samples).
func (r *concReport) streamTimes(c concResult, what string, of func(result) []time.Duration) {
	direct := of(c.direct)
	if len(direct) == 0 {
		return
	}
	fmt.Fprintf(r.w, "  %s: direct p50 %s p99 %s", what, formatLatency(quantile(direct, 0.50)), formatLatency(quantile(direct, 0.99)))
	for i, bu := range c.bursts {
		d := of(bu.res)
		fmt.Fprintf(r.w, " | %s p50 %s p99 %s (added p99 %+.2f ms)", burstName(i), formatLatency(quantile(d, 0.50)),
			formatLatency(quantile(d, 0.99)), ms(addedP99(direct, d)))
	}
	fmt.Fprintln(r.w)
}

// row prints one pass.
func (r *concReport) row(name string, res result, peak int64) {
	gwCPU := ""
	if res.target == "gateway" {
		gwCPU = cores(res.gwCPU, res.window)
	}
	fmt.Fprintf(r.w, concFormat, name, res.target, fmt.Sprint(res.clients), fmt.Sprint(peak), formatRate(res.rps()),
		formatLatency(res.percentile(0.50)), formatLatency(res.percentile(0.99)), fmt.Sprint(res.errs.total()),
		gwCPU, cores(res.selfCPU, res.window), cores(res.otherCPU, res.window))
	printErrors(r.w, name+" "+res.target, res.errs)
	if other := res.otherCPU.Seconds() / res.window.Seconds(); other > maxOtherCores {
		fmt.Fprintf(r.w, "    ! %s %s: other processes used %.2f cores: figures disturbed\n", name, res.target, other)
	}
}

func burstName(i int) string { return fmt.Sprintf("burst %d", i+1) }

func backNote(after time.Duration) string {
	if after < 0 {
		return "not within -settle"
	}
	return fmt.Sprintf("after %.0f s", after.Seconds())
}

// addedP99 is what burst i added to the direct pass's p99.
func (c concResult) addedP99(i int) time.Duration { return addedP99(c.direct.lat, c.bursts[i].res.lat) }

// verdict compares each scenario with the concurrency targets. No leak
// means: after every burst the goroutines come back to the cold figure,
// and the RSS at rest after the last burst is within ±10 % of the RSS at
// rest after the first (a leak grows from burst to burst). How far the
// first rest stays above the cold figure is printed as information: it is
// what the Go runtime keeps once it has run thousands of goroutines.
func (r *concReport) verdict() {
	fmt.Fprintf(r.w, "targets:\n")
	check := func(ok bool, format string, a ...any) { printTarget(r.w, ok, fmt.Sprintf(format, a...)) }
	for _, c := range r.results {
		errs := []string{fmt.Sprintf("%d direct", c.direct.errs.total())}
		ok := c.direct.errs.total() == 0
		for i, bu := range c.bursts {
			errs = append(errs, fmt.Sprintf("%d %s", bu.res.errs.total(), burstName(i)))
			ok = ok && bu.res.errs.total() == 0
		}
		check(ok, "%s: errors %s (target 0)", c.name, strings.Join(errs, ", "))
		for i, bu := range c.bursts {
			check(c.addedP99(i) < targetAddedP99, "%s %s: added p99 %+.2f ms (target < %.0f ms)",
				c.name, burstName(i), ms(c.addedP99(i)), ms(targetAddedP99))
			for _, st := range streamTimings {
				if len(st.of(c.direct)) == 0 {
					continue
				}
				added := addedP99(st.of(c.direct), st.of(bu.res))
				check(added < targetAddedP99, "%s %s: %s added p99 %+.2f ms (target < %.0f ms)",
					c.name, burstName(i), st.name, ms(added), ms(targetAddedP99))
			}
		}
		for i, bu := range c.bursts {
			check(bu.goroutinesBack >= 0, "%s %s: goroutines back to cold (%d) ±%.0f %%: %s (%d at the last reading)",
				c.name, burstName(i), c.cold.goroutines, restTolerance*100, backNote(bu.goroutinesBack), bu.rest.goroutines)
		}
		first, last := c.bursts[0], c.bursts[len(c.bursts)-1]
		if len(c.bursts) > 1 {
			check(last.settled() && within(last.rest.rssMB, first.rest.rssMB),
				"%s: RSS at rest after %s %.1f MB, after burst 1 %.1f MB (target within ±%.0f %%: no growth from burst to burst)",
				c.name, burstName(len(c.bursts)-1), last.rest.rssMB, first.rest.rssMB, restTolerance*100)
		}
		check(within(first.rest.rssMB, c.cold.rssMB), "%s: RSS at rest after burst 1 %.1f MB, cold %.1f MB (%+.0f %%; target ±%.0f %%)",
			c.name, first.rest.rssMB, c.cold.rssMB, 100*(first.rest.rssMB/c.cold.rssMB-1), restTolerance*100)
	}
}
