package fakeupstream

import (
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Fault is a misbehaviour programmed for one key. When several are set,
// ResetBeforeHeaders wins over Status, Status over MalformedJSON, and
// MalformedJSON over the stream faults (CutAfterChunks, MidStreamError).
type Fault struct {
	Status             int           // error status to answer (401, 402, 403, 408, 429, 5xx…); 0 = none
	RetryAfter         string        // Retry-After header sent with a Status fault (empty = none)
	RateLimitReset     string        // X-RateLimit-Reset header (OpenRouter style, ms epoch) sent with a Status fault
	Message            string        // error message; empty = the provider's usual message for Status
	FirstByteDelay     time.Duration // sleep before the headers (after Options.Latency); ends early when the client leaves
	ResetBeforeHeaders bool          // close the connection (TCP reset) without answering
	CutAfterChunks     int           // streams: abort after N content chunks, without [DONE] or the done:true line; JSON: abort after half the body
	MidStreamError     bool          // streams: after 1 chunk send an error chunk (finish_reason "error") and [DONE], or a native {"error"} line, under 200
	MalformedJSON      bool          // answer 200 with a body (or SSE data line, or NDJSON line) that is not valid JSON
	Times              int           // apply to the next N requests with this key only; 0 = until cleared
	Model              string        // apply only to requests for this model (e.g. Ollama's per-model 402); empty = every request
}

// faultSlot is a programmed fault and how many uses it has left.
type faultSlot struct {
	f    Fault
	left atomic.Int64
}

// SetFault programs f for every request with key, replacing any earlier
// fault for it.
func (s *Server) SetFault(key string, f Fault) {
	slot := &faultSlot{f: f}
	slot.left.Store(int64(f.Times))
	s.keys.get(key).fault.Store(slot)
}

// ClearFaults removes the faults of all keys.
func (s *Server) ClearFaults() {
	s.keys.each(func(k *keyState) { k.fault.Store(nil) })
}

// takeFault returns the fault for the next request (for model), using up
// one of its Times, or nil.
func (k *keyState) takeFault(model string) *Fault {
	slot := k.fault.Load()
	if slot == nil || slot.f.Model != "" && slot.f.Model != model {
		return nil
	}
	if slot.f.Times > 0 && slot.left.Add(-1) < 0 {
		return nil
	}
	return &slot.f
}

// firstByteDelay is f's delay; nil-safe.
func (f *Fault) firstByteDelay() time.Duration {
	if f == nil {
		return 0
	}
	return f.FirstByteDelay
}

// applyFault answers x if its fault replaces the whole answer and reports
// whether it did. Stream faults are left to the answer functions.
func (x *exchange) applyFault() bool {
	f := x.fault
	switch {
	case f == nil:
		return false
	case f.ResetBeforeHeaders:
		x.resetConn()
	case f.Status != 0:
		h := x.w.Header()
		if f.RetryAfter != "" {
			h.Set("Retry-After", f.RetryAfter)
		}
		if f.RateLimitReset != "" {
			h.Set("X-RateLimit-Limit", "20")
			h.Set("X-RateLimit-Remaining", "0")
			h.Set("X-RateLimit-Reset", f.RateLimitReset)
		}
		msg := f.Message
		if msg == "" {
			msg = x.d.message(f.Status)
		}
		x.writeError(f.Status, msg)
	case f.MalformedJSON:
		x.writeMalformed()
	default:
		return false
	}
	return true
}

// resetConn drops the connection without an answer: a TCP reset when the
// connection can be hijacked, an aborted handler otherwise.
func (x *exchange) resetConn() {
	x.out = outFailed
	conn, _, err := http.NewResponseController(x.w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // close with RST instead of FIN
	}
	_ = conn.Close()
}

// abort cuts the answer short after flushing what was written, so the
// client sees a truncated body.
func (x *exchange) abort() {
	x.out = outFailed
	_ = http.NewResponseController(x.w).Flush()
	panic(http.ErrAbortHandler)
}

// writeMalformed answers 200 with JSON cut in the middle: a whole body,
// an SSE data line, or an NDJSON line for the native routes' streams.
func (x *exchange) writeMalformed() {
	x.out = outFailed
	broken := `{"id":"fake-broken","object":"chat.completion","choices":[{"index":0,`
	if x.d.ndjson {
		broken = `{"model":"fake-broken","created_at":"2026-01-01T00:00:00Z","message":{"role":"assistant",`
	}
	h := x.w.Header()
	switch {
	case !x.streaming():
		h.Set("Content-Type", "application/json")
		_, _ = x.w.Write([]byte(broken))
	case x.d.ndjson:
		h.Set("Content-Type", "application/x-ndjson")
		_, _ = x.w.Write([]byte(broken + "\n"))
	default:
		h.Set("Content-Type", "text/event-stream")
		_, _ = x.w.Write([]byte("data: " + broken + "\n\ndata: [DONE]\n\n"))
	}
}
