package main

import (
	"context"
	"fmt"
	"time"
)

// runSustained is the endurance mode: a direct baseline of two
// intervals, then the gateway saturated for -sustained with one line per
// interval, then the gateway's stored statistics against what the clients
// and the fake upstream counted, and the targets.
func (b *bench) runSustained(ctx context.Context) error {
	o := b.o
	b.rep.settings(fmt.Sprintf("%d clients (%d of them streaming SSE, %d chunks), closed loop, %s warm-up, chat body %d bytes",
		o.clients, o.sseClients, o.chunks, o.warmup, b.rep.bodyBytes))
	rep := &sustainedReport{w: b.rep.w, o: o, stats: o.stats}
	rep.header()
	spec := loadSpec{sseClients: o.sseClients, chunks: o.chunks, clients: o.clients, warmup: o.warmup}
	if err := b.sustainedBaseline(ctx, spec, rep); err != nil {
		return err
	}

	before, err := b.countNow(ctx)
	if err != nil {
		return err
	}
	spec.duration = o.sustained
	spec.live = newSeries(o.sustained, o.interval)
	if err := waitQuiet(ctx, b.gw, 60*time.Second, b.logf); err != nil {
		return err
	}
	rep.rest = b.gw.footprint(ctx)
	peak := watchPeak(ctx, b.gw, time.Second)
	mon := startMonitor(ctx, b.gw, spec.live, o.sustained, rep.interval)
	profiles := b.profileEnds(ctx, spec.live)
	gw, err := runPass(ctx, b.through, spec, b.gw, "", b.logf, "sustained")
	rep.rows = mon.wait()
	<-profiles
	rep.peak = peak.end()
	for _, row := range rep.rows { // the interval readings count toward the peak too
		rep.peak.goroutines, rep.peak.rssMB = max(rep.peak.goroutines, row.at.goroutines), max(rep.peak.rssMB, row.at.rssMB)
	}
	if err != nil {
		return err
	}
	rep.summary(gw)
	if o.stats {
		if err := b.checkStats(ctx, rep, before, gw); err != nil {
			return err
		}
	}
	rep.idle = b.gw.footprint(ctx)
	rep.verdict()
	return nil
}

// sustainedBaseline runs the clients direct for two intervals: how much
// the two differ is the machine's own noise, the yardstick for the
// gateway's drift.
func (b *bench) sustainedBaseline(ctx context.Context, spec loadSpec, rep *sustainedReport) error {
	spec.duration = 2 * b.o.interval
	spec.live = newSeries(spec.duration, b.o.interval)
	if err := waitQuiet(ctx, b.gw, 60*time.Second, b.logf); err != nil {
		return err
	}
	mon := startMonitor(ctx, b.gw, spec.live, spec.duration, rep.directInterval)
	direct, err := runPass(ctx, b.direct, spec, b.gw, "", b.logf, "sustained")
	rep.directRows = mon.wait()
	if err != nil {
		return err
	}
	rep.baseline(direct)
	return nil
}

// checkStats waits for the gateway to write its statistics, then compares
// them with the fake upstream's counters and the clients' answers.
func (b *bench) checkStats(ctx context.Context, rep *sustainedReport, before counts, gw result) error {
	f, flushErr := b.gw.waitFlushed(ctx, time.Minute)
	rep.flushErr = flushErr
	after, err := b.countNow(ctx)
	if err != nil {
		return err
	}
	rep.check = statsCheck{clientOK: int64(gw.good), clientErrs: int64(gw.errs.total()),
		upstream: after.upstream.minus(before.upstream), stored: f.stored.minus(before.stored),
		recorded: f.recorded - before.recorded, after: f.after,
		flushInterval: b.gw.setting("STATS_FLUSH_INTERVAL", "2s (default)")}
	rep.check.print(rep.w)
	return nil
}

// counts are the three sides' counters at one moment.
type counts struct {
	upstream tally
	stored   tally
	recorded int64
}

// countNow reads the fake upstream's counters, the gateway's stored
// statistics and its count of recorded requests.
func (b *bench) countNow(ctx context.Context) (counts, error) {
	c := counts{upstream: upstreamTally(b.up.fake.Total())}
	if !b.o.stats {
		return c, nil
	}
	var err error
	if c.stored, err = b.gw.storedTally(ctx); err != nil {
		return c, err
	}
	m, err := b.gw.scrapeMetrics(ctx)
	if err != nil {
		return c, err
	}
	c.recorded = int64(m["keypool_stats_recorded_total"])
	return c, nil
}

// profileEnds writes CPU profiles of the gateway in the first and in the
// last interval (with -cpuprofile-gateway), so that a drift in CPU per
// request shows where it comes from. The channel closes when both are in.
func (b *bench) profileEnds(ctx context.Context, s *series) <-chan struct{} {
	done := make(chan struct{})
	if b.o.cpuProfile == "" {
		close(done)
		return done
	}
	go func() {
		defer close(done)
		start := s.windowStart()
		for _, end := range []struct {
			name string
			i    int
		}{{"first", 0}, {"last", s.intervals() - 1}} {
			from, to := s.bounds(end.i, b.o.sustained)
			if !sleepUntil(ctx, start.Add(from)) {
				return
			}
			file := b.o.cpuProfile + "-sustained-" + end.name + ".pprof"
			if err := b.gw.cpuProfile(ctx, to-from, file); err != nil {
				b.logf("gateway CPU profile: %v", err)
				continue
			}
			b.logf("gateway CPU profile of the %s interval written to %s", end.name, file)
		}
	}()
	return done
}
