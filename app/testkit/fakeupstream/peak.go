package fakeupstream

import "sync/atomic"

// peak tracks how many requests the whole server serves at once and the
// most it ever served at once, so tests can prove a client bounds its
// concurrency.
type peak struct {
	cur, max atomic.Int64
}

// begin counts a request in and raises the peak when needed.
func (p *peak) begin() {
	n := p.cur.Add(1)
	for {
		m := p.max.Load()
		if n <= m || p.max.CompareAndSwap(m, n) {
			return
		}
	}
}

// end counts a request out.
func (p *peak) end() { p.cur.Add(-1) }

// PeakInFlight is the most requests (over all keys) the server has served
// at once since it started or since the last ResetPeak.
func (s *Server) PeakInFlight() int64 { return s.peak.max.Load() }

// ResetPeak restarts PeakInFlight from the requests in flight now.
func (s *Server) ResetPeak() { s.peak.max.Store(s.peak.cur.Load()) }
