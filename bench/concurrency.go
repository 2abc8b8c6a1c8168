package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// concScenario is one scenario of the concurrency mode: how the fake
// upstream answers and what the clients send.
type concScenario struct {
	name string
	fake fakeupstream.Options
	spec loadSpec
}

// concResult is what one scenario measured: the direct pass, then one
// or more gateway bursts.
type concResult struct {
	name       string
	direct     result
	directPeak int64     // most requests the fake upstream served at once
	cold       footprint // the gateway at rest before its first burst
	bursts     []burst
}

// burst is one gateway pass and what followed it.
type burst struct {
	res          result
	upPeak       int64     // most requests the fake upstream served at once
	peak, after5 footprint // the gateway at its largest, afterRun after
	rest         footprint // the last reading: at rest again, or at the end of -settle
	restAt       time.Duration
	// When goroutines were back within restTolerance of the cold figure,
	// and when RSS had stopped falling, counted from the end of the run;
	// -1: not within -settle.
	goroutinesBack, rssSteady time.Duration
}

// settled reports whether the burst ended at rest, not at -settle.
func (b burst) settled() bool { return b.goroutinesBack >= 0 && b.rssSteady >= 0 }

// afterRun is when the first reading after a run is taken: the clients
// have closed their connections, the gateway had a moment to notice.
const afterRun = 5 * time.Second

// runConcurrency is the concurrency mode: thousands of slow clients at
// once, direct and through the gateway, with the gateway's goroutines and
// memory before, at the peak and after each scenario.
func (b *bench) runConcurrency(ctx context.Context) error {
	o := b.o
	if err := checkFileLimit(2*max(o.concJSON, o.concSSE) + 512); err != nil {
		return err
	}
	var load []string
	if o.concJSON > 0 {
		load = append(load, fmt.Sprintf("%d JSON clients (upstream latency %s)", o.concJSON, o.latency))
	}
	if o.concSSE > 0 {
		load = append(load, fmt.Sprintf("%d SSE clients (%d chunks %s apart)", o.concSSE, o.chunks, o.chunkDelay))
	}
	b.rep.settings(fmt.Sprintf("%s; %s measured per pass", strings.Join(load, ", then "), o.duration))
	rep := &concReport{w: b.rep.w}
	rep.header()
	for _, sc := range b.concScenarios() {
		if sc.spec.clients == 0 {
			continue
		}
		res, err := b.runConcScenario(ctx, sc)
		if err != nil {
			return err
		}
		rep.scenario(res)
	}
	rep.verdict()
	return nil
}

func (b *bench) concScenarios() []concScenario {
	o := b.o
	// The clients start spread over one answer's time, as independent
	// users would, not in lockstep; the warm-up lasts at least two
	// answers, so that the window sees the steady state.
	stream := time.Duration(o.chunks) * o.chunkDelay
	return []concScenario{
		{name: fmt.Sprintf("json-%d", o.concJSON), fake: fakeupstream.Options{Chunks: o.chunks, Latency: o.latency},
			spec: loadSpec{chunks: o.chunks, clients: o.concJSON, ramp: o.latency,
				warmup: max(o.warmup, 2*o.latency), duration: o.duration}},
		{name: fmt.Sprintf("sse-%d", o.concSSE), fake: fakeupstream.Options{Chunks: o.chunks, ChunkDelay: o.chunkDelay, StampEvents: true},
			spec: loadSpec{stream: true, chunks: o.chunks, clients: o.concSSE, ramp: stream,
				warmup: max(o.warmup, 2*stream), duration: o.duration}},
	}
}

// runConcScenario runs one scenario direct, then through the gateway
// -bursts times, following the gateway's footprint after each burst until
// it is back at rest.
func (b *bench) runConcScenario(ctx context.Context, sc concScenario) (concResult, error) {
	fake := b.up.fake
	fake.SetOptions(sc.fake)
	defer fake.SetOptions(fakeupstream.Options{Chunks: b.o.chunks})
	r := concResult{name: sc.name}
	var err error

	fake.ResetPeak()
	if r.direct, err = b.pass(ctx, b.direct, sc.spec, "", sc.name); err != nil {
		return r, err
	}
	r.directPeak = fake.PeakInFlight()
	r.cold = b.gw.footprint(ctx) // the gateway had nothing to do during the direct pass

	for i := range b.o.bursts {
		label := sc.name
		if i > 0 {
			label = fmt.Sprintf("%s burst %d", sc.name, i+1)
		}
		var bu burst
		watch := watchPeak(ctx, b.gw, 500*time.Millisecond)
		fake.ResetPeak()
		profile := ""
		if i == 0 {
			profile = profileFile(b.o.cpuProfile, sc.name)
		}
		bu.res, err = b.pass(ctx, b.through, sc.spec, profile, label)
		bu.peak = watch.end()
		bu.upPeak = fake.PeakInFlight()
		if err != nil {
			return r, err
		}
		if b.o.cpuProfile != "" && i == 0 {
			saveHeap(ctx, b.gw, b.o.cpuProfile+"-heap-"+sc.name+".pprof", b.logf)
		}
		// runLoad has closed the clients' connections; the gateway's idle
		// upstream connections and idle workers time out on their own.
		if err := b.followRest(ctx, label, r.cold, &bu); err != nil {
			return r, err
		}
		r.bursts = append(r.bursts, bu)
	}
	if b.o.cpuProfile != "" {
		saveHeap(ctx, b.gw, b.o.cpuProfile+"-heap-"+sc.name+"-rest.pprof", b.logf)
	}
	return r, nil
}

// rssSteadyFor is how long RSS must stay within rssSteadyBand of one
// reading to count as settled: longer than the gateway's 10 s check for
// free memory to return.
const (
	rssSteadyFor  = 15 * time.Second
	rssSteadyBand = 0.05
)

// followRest reads the gateway's footprint afterRun after the run, then
// every second until its goroutines are back near the cold figure and,
// after that, its RSS has stopped falling (steady for rssSteadyFor), or
// -settle has passed.
func (b *bench) followRest(ctx context.Context, label string, cold footprint, bu *burst) error {
	end := time.Now()
	if !sleepUntil(ctx, end.Add(afterRun)) {
		return ctx.Err()
	}
	bu.goroutinesBack, bu.rssSteady = -1, -1
	var (
		logged    = 0 // progress lines on stderr, one per 15 s
		steadyRef footprint
		steadyAt  time.Duration
	)
	for first := true; ; first = false {
		f := b.gw.footprint(ctx)
		since := time.Since(end)
		if first {
			bu.after5 = f
		}
		// RSS counts as steady only from the moment the goroutines are
		// back: what they held is freed after they end.
		back := bu.goroutinesBack < 0 && within(float64(f.goroutines), float64(cold.goroutines))
		if back {
			bu.goroutinesBack = since
		}
		if first || back || !withinBand(f.rssMB, steadyRef.rssMB, rssSteadyBand) {
			steadyRef, steadyAt = f, since
		}
		if bu.goroutinesBack >= 0 && since-steadyAt >= rssSteadyFor {
			bu.rssSteady = steadyAt
		}
		bu.rest, bu.restAt = f, since
		if n := int(since / (15 * time.Second)); n > logged {
			logged = n
			b.logf("%s: %.0f s after the run: %s (cold: %s)", label, since.Seconds(), f, cold)
		}
		if bu.settled() || since >= b.o.settle {
			return nil
		}
		if !sleepUntil(ctx, time.Now().Add(time.Second)) {
			return ctx.Err()
		}
	}
}

// restTolerance is how far from its idle figure the gateway may be once
// back at rest (issue 9: ±10 %).
const restTolerance = 0.10

func within(v, ref float64) bool { return withinBand(v, ref, restTolerance) }

func withinBand(v, ref, band float64) bool { return v >= ref*(1-band) && v <= ref*(1+band) }

// checkFileLimit fails early when this process may not open n files: each
// client holds a connection, and the fake upstream the other end of it.
// (Go raises the soft limit to the hard one at start; the gateway child,
// a Go program too, does the same.)
func checkFileLimit(n int) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return nil // no way to tell: let the dials say so
	}
	if lim.Cur < uint64(n) {
		return fmt.Errorf("open-file limit %d is below the %d this mode needs: raise it (ulimit -n)", lim.Cur, n)
	}
	return nil
}
