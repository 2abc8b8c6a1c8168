package main

import (
	"sync"
	"time"
)

// series cuts the measured window of a long pass into intervals and
// collects the answers of each one as they complete, so that the pass can
// be reported while it runs. Every client adds to it under one mutex: at
// tens of thousands of answers a second that costs nothing measurable.
type series struct {
	every   time.Duration
	started chan struct{} // closed by begin

	mu    sync.Mutex
	start time.Time
	slots []slot
}

// slot is one interval's answers.
type slot struct {
	ok   int
	errs int
	lat  []time.Duration
}

func newSeries(window, every time.Duration) *series {
	n := int((window + every - 1) / every)
	return &series{every: every, started: make(chan struct{}), slots: make([]slot, n)}
}

// begin notes when the measured window starts (runLoad calls it).
func (s *series) begin(start time.Time) {
	s.mu.Lock()
	s.start = start
	s.mu.Unlock()
	close(s.started)
}

// windowStart waits for begin and returns the window's start.
func (s *series) windowStart() time.Time {
	<-s.started
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.start
}

// add counts a good answer that completed at offset into the window.
func (s *series) add(at, latency time.Duration) {
	s.mu.Lock()
	if sl := s.slot(at); sl != nil {
		sl.ok++
		sl.lat = append(sl.lat, latency)
	}
	s.mu.Unlock()
}

// fail counts a failed request that ended at offset into the window.
func (s *series) fail(at time.Duration) {
	s.mu.Lock()
	if sl := s.slot(at); sl != nil {
		sl.errs++
	}
	s.mu.Unlock()
}

func (s *series) slot(at time.Duration) *slot {
	i := int(at / s.every)
	if i < 0 || i >= len(s.slots) {
		return nil // the window's last instant: counted by the pass, not by an interval
	}
	return &s.slots[i]
}

// take returns interval i with its latencies sorted, and lets go of them.
func (s *series) take(i int) slot {
	s.mu.Lock()
	sl := s.slots[i]
	s.slots[i].lat = nil
	s.mu.Unlock()
	sortDurations(sl.lat)
	return sl
}

// bounds are interval i's offsets into the window; the last interval may
// be shorter than the others.
func (s *series) bounds(i int, window time.Duration) (from, to time.Duration) {
	from = time.Duration(i) * s.every
	return from, min(from+s.every, window)
}

// intervals is how many intervals the window holds.
func (s *series) intervals() int { return len(s.slots) }
