package main

import (
	"fmt"
	"io"
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

// scenario prints both passes of a scenario and the gateway's footprint.
func (r *concReport) scenario(c concResult) {
	r.results = append(r.results, c)
	for _, p := range []struct {
		res  result
		peak int64
	}{{c.direct, c.directPeak}, {c.gw, c.gwPeak}} {
		res := p.res
		gwCPU := ""
		if res.target == "gateway" {
			gwCPU = cores(res.gwCPU, res.window)
		}
		fmt.Fprintf(r.w, concFormat, c.name, res.target, fmt.Sprint(res.clients), fmt.Sprint(p.peak), formatRate(res.rps()),
			formatLatency(res.percentile(0.50)), formatLatency(res.percentile(0.99)), fmt.Sprint(res.errs.total()),
			gwCPU, cores(res.selfCPU, res.window), cores(res.otherCPU, res.window))
		printErrors(r.w, c.name+" "+res.target, res.errs)
		if other := res.otherCPU.Seconds() / res.window.Seconds(); other > maxOtherCores {
			fmt.Fprintf(r.w, "    ! %s %s: other processes used %.2f cores: figures disturbed\n", c.name, res.target, other)
		}
	}
	fmt.Fprintf(r.w, "  added by the gateway: p50 %+.2f ms, p99 %+.2f ms\n",
		ms(c.gw.percentile(0.50)-c.direct.percentile(0.50)), ms(c.addedP99()))
	later := ""
	if c.backAt > afterRun+time.Second {
		later = fmt.Sprintf(" | %.0f s after: %s", c.backAt.Seconds(), c.back)
	}
	fmt.Fprintf(r.w, "  gateway: at rest before %s | peak %s | %.0f s after: %s%s\n",
		c.before, c.peak, afterRun.Seconds(), c.after5, later)
	fmt.Fprintf(r.w, "  back within ±%.0f %% of rest: goroutines %s, RSS %s\n\n",
		restTolerance*100, c.backNote(c.goroutinesBack), c.backNote(c.rssBack))
}

func (c concResult) backNote(after time.Duration) string {
	if after < 0 {
		return "not yet (settle limit reached)"
	}
	return fmt.Sprintf("after %.0f s", after.Seconds())
}

func (c concResult) addedP99() time.Duration {
	return c.gw.percentile(0.99) - c.direct.percentile(0.99)
}

// verdict compares each scenario with the concurrency targets.
func (r *concReport) verdict() {
	fmt.Fprintf(r.w, "targets:\n")
	check := func(ok bool, format string, a ...any) {
		mark := "FAIL"
		if ok {
			mark = "ok  "
		}
		fmt.Fprintf(r.w, "  %s %s\n", mark, fmt.Sprintf(format, a...))
	}
	for _, c := range r.results {
		de, ge := c.direct.errs.total(), c.gw.errs.total()
		check(de == 0 && ge == 0, "%s: errors %d direct, %d gateway (target 0)", c.name, de, ge)
		check(c.addedP99() < targetAddedP99, "%s: added p99 %+.2f ms (target < %.0f ms)", c.name, ms(c.addedP99()), ms(targetAddedP99))
		check(c.after5.near(c.before), "%s: %.0f s after the run %s, at rest before %s (target within ±%.0f %%)",
			c.name, afterRun.Seconds(), c.after5, c.before, restTolerance*100)
		check(c.goroutinesBack >= 0 && c.rssBack >= 0, "%s: back at rest (±%.0f %%) later: goroutines %s, RSS %s (%s at the last reading)",
			c.name, restTolerance*100, c.backNote(c.goroutinesBack), c.backNote(c.rssBack), c.back)
	}
}
