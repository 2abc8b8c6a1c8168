package main

import (
	"context"
	"slices"
	"syscall"
	"time"
)

// result is what one pass measured.
type result struct {
	target  string
	clients int
	window  time.Duration
	rate    float64         // paced passes: the rate asked for
	missed  int             // paced passes: tickets dropped because every client was busy
	ok      int             // good answers inside the window
	good    int             // good answers of the whole pass, warm-up and stragglers included
	lat     []time.Duration // sorted
	// Streams only, both sorted and inside the window: time to the first
	// data event, and how long each stamped event took from the fake
	// upstream's write to the client's read (fakeupstream.Options.StampEvents).
	ttfb, events []time.Duration
	errs         errorCounts
	gwCPU        time.Duration // CPU time of the gateway process inside the window
	selfCPU      time.Duration // CPU time of this process (clients + fake upstream) inside the window
	// otherCPU is the CPU time the rest of the machine used inside the
	// window: other processes, and interrupts not charged to ours. Above a
	// few percent of a core the pass was disturbed.
	otherCPU time.Duration
}

func (r result) rps() float64 { return float64(r.ok) / r.window.Seconds() }

// cpuPerRequest is the gateway's CPU time per good answer.
func (r result) cpuPerRequest() time.Duration {
	if r.ok == 0 {
		return 0
	}
	return r.gwCPU / time.Duration(r.ok)
}

// percentile returns the q-quantile (0 < q <= 1) of the sorted latencies.
func (r result) percentile(q float64) time.Duration { return quantile(r.lat, q) }

// quantile is the q-quantile (0 < q <= 1) of the sorted d (0 when d is empty).
func quantile(d []time.Duration, q float64) time.Duration {
	n := len(d)
	if n == 0 {
		return 0
	}
	i := int(q*float64(n)+0.999999) - 1
	return d[min(max(i, 0), n-1)]
}

func sortDurations(d []time.Duration) { slices.Sort(d) }

// pass runs a pass when the rest of the machine is quiet, and runs it
// again, up to -retries times, when other processes disturbed it: the
// machine is shared, and a compile next door halves any figure.
func (b *bench) pass(ctx context.Context, t target, spec loadSpec, profile, label string) (result, error) {
	for attempt := 0; ; attempt++ {
		if err := waitQuiet(ctx, b.gw, 60*time.Second, b.logf); err != nil {
			return result{}, err
		}
		r, err := runPass(ctx, t, spec, b.gw, profile, b.logf, label)
		if err != nil {
			return r, err
		}
		other := r.otherCPU.Seconds() / r.window.Seconds()
		if other <= maxOtherCores || attempt >= b.o.retries {
			return r, nil
		}
		b.logf("%s %s: other processes used %.2f cores during the pass: running it again", label, t.name, other)
	}
}

// waitQuiet waits until the machine, apart from the gateway and this
// process, has used less than maxOtherCores for a whole second, or until
// limit has passed.
func waitQuiet(ctx context.Context, gw *gatewayProc, limit time.Duration, logf logFunc) error {
	deadline := time.Now().Add(limit)
	for told := false; ; told = true {
		sys0, gw0, self0 := systemBusy(gw.clkTck), gw.cpu(), selfCPU()
		if !sleepUntil(ctx, time.Now().Add(time.Second)) {
			return ctx.Err()
		}
		other := (systemBusy(gw.clkTck) - sys0) - (gw.cpu() - gw0) - (selfCPU() - self0)
		switch {
		case other.Seconds() < maxOtherCores:
			return nil
		case time.Now().After(deadline):
			logf("the machine is still busy (%.2f cores used by other processes): going on", other.Seconds())
			return nil
		case !told:
			logf("other processes are using %.2f cores: waiting for them (up to %s)", other.Seconds(), limit)
		}
	}
}

// runPass runs one load pass against t and reads the CPU time of the
// gateway child and of this process at the edges of the measured window.
// When profile is set and the gateway serves pprof, the gateway's CPU
// profile of the window is written there.
func runPass(ctx context.Context, t target, spec loadSpec, gw *gatewayProc, profile string, logf logFunc, label string) (result, error) {
	logf("%s %s: %s warm-up + %s, %d clients%s", label, t.name, spec.warmup, spec.duration, spec.clients, rateNote(spec.rate))
	var (
		gw0, gw1     time.Duration
		self0, self1 time.Duration
		sys0, sys1   time.Duration
		profDone     chan error
	)
	atStart := func() {
		gw0, self0, sys0 = gw.cpu(), selfCPU(), systemBusy(gw.clkTck)
		if profile != "" {
			profDone = make(chan error, 1)
			go func() { profDone <- gw.cpuProfile(ctx, spec.duration, profile) }()
		}
	}
	atEnd := func() { gw1, self1, sys1 = gw.cpu(), selfCPU(), systemBusy(gw.clkTck) }
	r := runLoad(ctx, t, spec, atStart, atEnd)
	if err := ctx.Err(); err != nil {
		return r, err
	}
	r.gwCPU, r.selfCPU = gw1-gw0, self1-self0
	r.otherCPU = max(sys1-sys0-r.gwCPU-r.selfCPU, 0)
	if profDone != nil {
		if err := <-profDone; err != nil {
			logf("gateway CPU profile: %v", err)
		} else {
			logf("gateway CPU profile written to %s", profile)
		}
	}
	return r, nil
}

func rateNote(rate float64) string {
	if rate <= 0 {
		return ""
	}
	return ", paced at " + formatRate(rate) + " req/s"
}

// selfCPU is the user+system CPU time of this process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
