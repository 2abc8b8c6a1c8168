package main

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/keypool/keypool/app/fakeupstream"
)

// concScenario is one scenario of the concurrency mode: how the fake
// upstream answers and what the clients send.
type concScenario struct {
	name string
	fake fakeupstream.Options
	spec loadSpec
}

// concResult is what one scenario measured.
type concResult struct {
	name                 string
	direct, gw           result
	directPeak, gwPeak   int64     // most requests the fake upstream served at once
	before, peak, after5 footprint // the gateway at rest before, at its largest, 5 s after
	back                 footprint // the last reading: at rest again, or at the end of -settle
	backAt               time.Duration
	// When goroutines and RSS were each back within restTolerance of
	// before, counted from the end of the run; -1: not within -settle.
	goroutinesBack, rssBack time.Duration
}

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
		{name: fmt.Sprintf("sse-%d", o.concSSE), fake: fakeupstream.Options{Chunks: o.chunks, ChunkDelay: o.chunkDelay},
			spec: loadSpec{stream: true, chunks: o.chunks, clients: o.concSSE, ramp: stream,
				warmup: max(o.warmup, 2*stream), duration: o.duration}},
	}
}

// runConcScenario runs one scenario direct, then through the gateway, and
// follows the gateway's footprint until it is back at rest.
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

	r.before = b.gw.footprint(ctx) // the gateway had nothing to do during the direct pass
	watch := watchPeak(ctx, b.gw, 500*time.Millisecond)
	fake.ResetPeak()
	r.gw, err = b.pass(ctx, b.through, sc.spec, profileFile(b.o.cpuProfile, sc.name), sc.name)
	r.peak = watch.end()
	r.gwPeak = fake.PeakInFlight()
	if err != nil {
		return r, err
	}

	if b.o.cpuProfile != "" {
		saveHeap(ctx, b.gw, b.o.cpuProfile+"-heap-"+sc.name+".pprof", b.logf)
	}
	// runLoad has closed the clients' connections; the gateway's idle
	// upstream connections and idle workers time out on their own.
	if err := b.followRest(ctx, &r); err != nil {
		return r, err
	}
	if b.o.cpuProfile != "" {
		saveHeap(ctx, b.gw, b.o.cpuProfile+"-heap-"+sc.name+"-rest.pprof", b.logf)
	}
	return r, nil
}

// followRest reads the gateway's footprint afterRun after the run, then
// every second until its goroutines and its RSS are both back near their
// figures before the run, or -settle has passed.
func (b *bench) followRest(ctx context.Context, r *concResult) error {
	end := time.Now()
	if !sleepUntil(ctx, end.Add(afterRun)) {
		return ctx.Err()
	}
	r.goroutinesBack, r.rssBack = -1, -1
	logged := 0 // progress lines on stderr, one per 15 s
	for first := true; ; first = false {
		f := b.gw.footprint(ctx)
		since := time.Since(end)
		if first {
			r.after5 = f
		}
		if r.goroutinesBack < 0 && within(float64(f.goroutines), float64(r.before.goroutines)) {
			r.goroutinesBack = since
		}
		if r.rssBack < 0 && within(f.rssMB, r.before.rssMB) {
			r.rssBack = since
		}
		r.back, r.backAt = f, since
		if n := int(since / (15 * time.Second)); n > logged {
			logged = n
			b.logf("%s: %.0f s after the run: %s (at rest before: %s)", r.name, since.Seconds(), f, r.before)
		}
		if (r.goroutinesBack >= 0 && r.rssBack >= 0) || since >= b.o.settle {
			return nil
		}
		if !sleepUntil(ctx, time.Now().Add(time.Second)) {
			return ctx.Err()
		}
	}
}

// restTolerance is how far from its footprint at rest before a run the
// gateway may be once back at rest (issue 9: ±10 %).
const restTolerance = 0.10

// near reports whether f is within restTolerance of rest, goroutines and
// RSS both.
func (f footprint) near(rest footprint) bool {
	return within(float64(f.goroutines), float64(rest.goroutines)) && within(f.rssMB, rest.rssMB)
}

func within(v, ref float64) bool { return v >= ref*(1-restTolerance) && v <= ref*(1+restTolerance) }

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
