package fakeupstream

import (
	"bytes"
	"net/http"
	"sync/atomic"
	"time"
)

// defaultChunks is the number of content chunks when Options.Chunks is unset.
const defaultChunks = 5

// Options shape the answers of a Server.
type Options struct {
	Chunks     int           // content chunks per streamed answer, SSE or NDJSON (<= 0 means 5); also the completion token count
	ChunkDelay time.Duration // pause between stream chunks
	Latency    time.Duration // delay before the response headers of every request
	// ModelChunkDelay overrides ChunkDelay for streams of the named models,
	// so one test can mix quick answers with slow ones.
	ModelChunkDelay map[string]time.Duration
	// StampEvents makes every SSE content chunk start with a comment line
	// ": sent <unix nanoseconds>" written with it, so that a client on the
	// same machine can tell how long each event took to reach it (through
	// a proxy or not). Comments are invisible to SSE clients.
	StampEvents bool
	// LongLine, when > 0, makes the text of the first content chunk of
	// every generated answer (SSE, NDJSON and whole) LongLine bytes of 'x'
	// instead of "t0 ", to test lines over 64 KiB. Token counts are unchanged.
	LongLine int
	// TagsByKey, when it holds the request's key, is exactly the list of
	// model names that key sees in Ollama's native catalog (GET /api/tags,
	// POST /api/show); other keys see the default cloud models. It is read
	// when the options are set; later changes to the map are not seen.
	TagsByKey map[string][]string
	// BalanceLimit is how many GET /api/balance requests one key may make
	// per rolling minute before it is answered 429 with Retry-After:
	// 0 means DefaultBalanceLimit (10, as Ollama), < 0 no limit.
	BalanceLimit int
}

// settings are Options with what depends only on them built once.
type settings struct {
	Options
	longPiece   []byte              // text of chunk 0 when LongLine > 0
	defaultTags []byte              // GET /api/tags body for keys not in TagsByKey
	tags        map[string][]byte   // GET /api/tags body per key of TagsByKey
	visible     map[string][]string // copy of TagsByKey
}

// newSettings applies the defaults to o and prepares its answers.
func newSettings(o Options) *settings {
	if o.Chunks <= 0 {
		o.Chunks = defaultChunks
	}
	st := &settings{Options: o, defaultTags: tagsBody(nil)}
	if o.LongLine > 0 {
		st.longPiece = bytes.Repeat([]byte{'x'}, o.LongLine)
	}
	if len(o.TagsByKey) > 0 {
		st.tags = make(map[string][]byte, len(o.TagsByKey))
		st.visible = make(map[string][]string, len(o.TagsByKey))
		for key, names := range o.TagsByKey {
			names = append([]string{}, names...) // never nil: an empty list shows no models
			st.visible[key] = names
			st.tags[key] = tagsBody(names)
		}
	}
	return st
}

// Server is a fake Ollama and OpenRouter upstream. It is an http.Handler and
// safe for concurrent use.
type Server struct {
	opts   atomic.Pointer[settings]
	keys   registry
	routes map[string]route
	seq    atomic.Uint64 // numbers answer ids
	peak   peak          // requests in flight over all keys
	outage atomic.Pointer[Outage]

	paths    pathCounts // requests per route path
	balances balances   // GET /api/balance per key
}

// New returns a fake upstream answering with opts.
func New(opts Options) *Server {
	s := &Server{}
	s.routes = routes(s)
	s.paths = newPathCounts(s.routes)
	s.keys.init()
	s.SetOptions(opts)
	return s
}

// SetOptions replaces the options used by requests that start afterwards.
func (s *Server) SetOptions(opts Options) {
	s.opts.Store(newSettings(opts))
}

// ServeHTTP answers one request, counting it under its bearer key.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := bearerKey(r.Header.Get("Authorization"))
	ks := s.keys.get(key)
	ks.begin()
	s.peak.begin()
	defer s.peak.end()
	x := &exchange{w: w, r: r, opts: s.opts.Load(), id: s.seq.Add(1), key: key, start: time.Now()}
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
	s.paths.add(x.r.URL.Path)
	x.d, x.streams = rt.dialect, rt.streams
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
	x.fault = s.outageFault(x)
	if x.fault == nil {
		x.fault = ks.takeFault(x.req.model)
	}
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
	opts     *settings
	fault    *Fault // nil when no fault applies to this request
	id       uint64
	key      string
	start    time.Time
	streams  bool // the route may answer with a stream
	body     []byte
	req      request
	parseErr error

	out                outcome
	prompt, completion int64 // usage sent in a successful answer
}

// streaming reports whether x is answered with a stream: on request
// ("stream": true) for OpenAI-style routes, on unless "stream": false for
// Ollama's native ones.
func (x *exchange) streaming() bool {
	if !x.streams {
		return false
	}
	if x.d.ndjson {
		return !x.req.streamOff
	}
	return x.req.stream
}

// outcome is how a request ended, for the counters.
type outcome int

const (
	outFailed   outcome = iota // non-2xx, reset or cut (the zero value, so panics count as failed)
	outOK                      // 2xx answer completed
	outCanceled                // the client left first
)
