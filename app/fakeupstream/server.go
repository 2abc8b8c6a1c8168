package fakeupstream

import (
	"net/http"
	"sync/atomic"
	"time"
)

// defaultChunks is the number of content chunks when Options.Chunks is unset.
const defaultChunks = 5

// Options shape the answers of a Server.
type Options struct {
	Chunks     int           // SSE content chunks per streamed answer (<= 0 means 5); also the completion token count
	ChunkDelay time.Duration // pause between SSE chunks
	Latency    time.Duration // delay before the response headers of every request
	// ModelChunkDelay overrides ChunkDelay for streams of the named models,
	// so one test can mix quick answers with slow ones.
	ModelChunkDelay map[string]time.Duration
}

// withDefaults returns o with zero fields replaced by their defaults.
func (o Options) withDefaults() Options {
	if o.Chunks <= 0 {
		o.Chunks = defaultChunks
	}
	return o
}

// Server is a fake Ollama and OpenRouter upstream. It is an http.Handler and
// safe for concurrent use.
type Server struct {
	opts   atomic.Pointer[Options]
	keys   registry
	routes map[string]route
	seq    atomic.Uint64 // numbers answer ids
}

// New returns a fake upstream answering with opts.
func New(opts Options) *Server {
	s := &Server{routes: routes()}
	s.keys.init()
	s.SetOptions(opts)
	return s
}

// SetOptions replaces the options used by requests that start afterwards.
func (s *Server) SetOptions(opts Options) {
	o := opts.withDefaults()
	s.opts.Store(&o)
}

// ServeHTTP answers one request, counting it under its bearer key.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := bearerKey(r.Header.Get("Authorization"))
	ks := s.keys.get(key)
	ks.begin()
	x := &exchange{w: w, r: r, opts: s.opts.Load(), id: s.seq.Add(1)}
	defer ks.finish(x) // runs on panic(http.ErrAbortHandler) too
	s.serve(x, ks, key)
}

// serve runs the steps shared by every route: routing, auth, recording,
// faults and latency; the route's answer function writes the rest.
func (s *Server) serve(x *exchange, ks *keyState, key string) {
	rt, found := s.routes[x.r.URL.Path]
	if !found {
		x.d = s.dialectForPath(x.r.URL.Path)
		x.writeError(http.StatusNotFound, "not found")
		return
	}
	x.d = rt.dialect
	if x.r.Method != rt.method {
		x.w.Header().Set("Allow", rt.method)
		x.writeError(http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	if key == "" {
		x.writeError(http.StatusUnauthorized, x.d.missingAuth)
		return
	}
	body, err := readBody(x.r)
	if err != nil {
		x.readFailed(err)
		return
	}
	x.body = body
	if rt.method == http.MethodPost {
		x.req, x.parseErr = parseRequest(body)
	}
	ks.record(x.r, body)
	x.fault = ks.takeFault()
	if !sleep(x.r.Context(), x.opts.Latency) || !sleep(x.r.Context(), x.fault.firstByteDelay()) {
		x.out = outCanceled
		return
	}
	if x.applyFault() {
		return
	}
	if rt.method == http.MethodPost && !x.checkBody(rt.needModel) {
		return
	}
	rt.answer(x)
}

// exchange is the state of one request while it is answered.
type exchange struct {
	w        http.ResponseWriter
	r        *http.Request
	d        *dialect
	opts     *Options
	fault    *Fault // nil when no fault applies to this request
	id       uint64
	body     []byte
	req      request
	parseErr error

	out                outcome
	prompt, completion int64 // usage sent in a successful answer
}

// outcome is how a request ended, for the counters.
type outcome int

const (
	outFailed   outcome = iota // non-2xx, reset or cut (the zero value, so panics count as failed)
	outOK                      // 2xx answer completed
	outCanceled                // the client left first
)
