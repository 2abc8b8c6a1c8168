package main

import (
	"context"
	"time"
)

// intervalRow is one line of the endurance mode: one interval of the
// gateway pass.
type intervalRow struct {
	from, to   time.Duration // offsets into the measured window
	ok, errs   int
	p50, p99   time.Duration
	gwCores    float64 // CPU the gateway used, in cores
	otherCores float64 // CPU the rest of the machine used, in cores
	at         footprint
}

func (r intervalRow) rps() float64 { return float64(r.ok) / (r.to - r.from).Seconds() }

// monitor reports a pass interval by interval while it runs: at each
// interval's end it reads the CPU counters and the gateway's footprint,
// then, once the answers of the interval are in, prints the line.
type monitor struct {
	done chan []intervalRow
}

// lateAnswers is how long after an interval's end its last answers may
// still be on their way into the series (a client between reading the
// answer and adding it).
const lateAnswers = 200 * time.Millisecond

func startMonitor(ctx context.Context, gw *gatewayProc, s *series, window time.Duration, print func(intervalRow)) *monitor {
	m := &monitor{done: make(chan []intervalRow, 1)}
	go func() {
		var rows []intervalRow
		defer func() { m.done <- rows }()
		start := s.windowStart()
		if !sleepUntil(ctx, start) {
			return
		}
		gw0, self0, sys0 := gw.cpu(), selfCPU(), systemBusy(gw.clkTck)
		for i := range s.intervals() {
			from, to := s.bounds(i, window)
			if !sleepUntil(ctx, start.Add(to)) {
				return
			}
			gw1, self1, sys1 := gw.cpu(), selfCPU(), systemBusy(gw.clkTck)
			at := gw.footprint(ctx)
			if !sleepUntil(ctx, start.Add(to+lateAnswers)) {
				return
			}
			sl := s.take(i)
			secs := (to - from).Seconds()
			row := intervalRow{from: from, to: to, ok: sl.ok, errs: sl.errs,
				p50: quantile(sl.lat, 0.50), p99: quantile(sl.lat, 0.99),
				gwCores:    (gw1 - gw0).Seconds() / secs,
				otherCores: max(sys1-sys0-(gw1-gw0)-(self1-self0), 0).Seconds() / secs,
				at:         at}
			print(row)
			rows = append(rows, row)
			gw0, self0, sys0 = gw1, self1, sys1
		}
	}()
	return m
}

// wait returns the rows once the last interval is printed.
func (m *monitor) wait() []intervalRow { return <-m.done }
