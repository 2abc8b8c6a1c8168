package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// loadSpec is one pass of load: what the clients send and for how long.
type loadSpec struct {
	stream           bool
	sseClients       int // with stream false: this many clients (the first ones) stream, the others send JSON
	chunks           int // content chunks a stream must carry before [DONE]
	clients          int
	warmup, duration time.Duration
	rate             float64 // requests per second; 0 = closed loop, as fast as the clients go
	// ramp spreads the clients' first requests evenly over this long, so
	// that thousands of slow answers do not start, and then tick, in step.
	ramp time.Duration
	live *series // nil, or collects the window's answers interval by interval as they come
}

// streams reports whether client i asks for streams.
func (s loadSpec) streams(i int) bool { return s.stream || i < s.sseClients }

// target is where a pass sends its requests.
type target struct {
	name string   // "direct" or "gateway"
	url  string   // chat completions URL
	auth []string // Authorization header values, used round robin
}

// window is the measured part of a pass: requests that complete inside it
// count; those of the warm-up before it and the stragglers after it do not.
type window struct{ start, end time.Time }

func (w window) holds(t time.Time) bool { return !t.Before(w.start) && !t.After(w.end) }

// runLoad sends requests to t for spec.warmup+spec.duration and returns
// what the clients saw. atStart and atEnd run at the window's edges (CPU
// readings, profiles).
func runLoad(ctx context.Context, t target, spec loadSpec, atStart, atEnd func()) result {
	tr := newClientTransport(spec.clients)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}

	now := time.Now()
	win := window{start: now.Add(spec.warmup), end: now.Add(spec.warmup + spec.duration)}
	// Requests still running at the end get this long before they are cut.
	ctx, cancel := context.WithDeadline(ctx, win.end.Add(30*time.Second))
	defer cancel()

	var tickets chan struct{}
	pacer := &pacer{}
	if spec.rate > 0 {
		// Room for a few ticks' worth of jitter (a GC pause, a late tick)
		// before the schedule is declared missed.
		tickets = make(chan struct{}, 4*spec.clients)
		go pacer.run(ctx, spec.rate, win, tickets)
	}
	if spec.live != nil {
		spec.live.begin(win.start)
	}
	jsonBody, sseBody := chatBody(false), chatBody(true)
	workers := make([]*worker, spec.clients)
	var wg sync.WaitGroup
	for i := range workers {
		w := &worker{id: i, client: client, t: t, spec: spec, body: jsonBody, win: win,
			br: bufio.NewReaderSize(nil, 16<<10), errs: errorCounts{}}
		if spec.streams(i) {
			w.stream, w.body = true, sseBody
		}
		workers[i] = w
		wg.Go(func() { w.loop(ctx, tickets) })
	}
	if sleepUntil(ctx, win.start) {
		atStart()
		if sleepUntil(ctx, win.end) {
			atEnd()
		}
	}
	wg.Wait()

	r := result{target: t.name, clients: spec.clients, window: spec.duration, rate: spec.rate, missed: pacer.missed, errs: errorCounts{}}
	for _, w := range workers {
		r.ok += w.ok
		r.good += w.good
		r.lat = append(r.lat, w.lat...)
		r.ttfb = append(r.ttfb, w.ttfb...)
		r.events = append(r.events, w.events...)
		r.errs.merge(w.errs)
	}
	sortDurations(r.lat)
	sortDurations(r.ttfb)
	sortDurations(r.events)
	return r
}

// sleepUntil waits for t and reports false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	timer := time.NewTimer(time.Until(t))
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// newClientTransport keeps one idle connection per client, with
// compression off so that bodies are measured as sent.
func newClientTransport(clients int) *http.Transport {
	return &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          2 * clients,
		MaxIdleConnsPerHost:   clients,
		IdleConnTimeout:       90 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		DisableCompression:    true,
	}
}

// worker is one client: it sends one request at a time.
type worker struct {
	id     int
	client *http.Client
	t      target
	spec   loadSpec
	stream bool // this client asks for streams
	body   []byte
	win    window
	br     *bufio.Reader
	buf    bytes.Buffer
	n      int // requests sent, to rotate the Authorization values

	ok  int             // good answers completed inside the window
	lat []time.Duration // their latencies
	// Streams: time to the first data event and delivery time of stamped
	// events, for those read inside the window.
	ttfb, events []time.Duration
	good         int         // good answers of the whole pass, warm-up and stragglers included
	errs         errorCounts // failures of the whole pass, warm-up included
}

// loop sends requests until the window ends (closed loop) or tickets is
// closed (paced).
func (w *worker) loop(ctx context.Context, tickets <-chan struct{}) {
	if w.spec.ramp > 0 && !sleepUntil(ctx, time.Now().Add(w.spec.ramp*time.Duration(w.id)/time.Duration(w.spec.clients))) {
		return
	}
	for {
		if tickets == nil {
			if ctx.Err() != nil || !time.Now().Before(w.win.end) {
				return
			}
		} else if _, ok := <-tickets; !ok {
			return
		}
		t0 := time.Now()
		err := w.do(ctx)
		t1 := time.Now()
		switch {
		case err != nil && ctx.Err() != nil:
			return // interrupted or past the grace period: not the target's fault
		case err != nil:
			w.errs.add(err)
			if w.spec.live != nil && w.win.holds(t1) {
				w.spec.live.fail(t1.Sub(w.win.start))
			}
		default:
			w.good++
			if w.win.holds(t1) {
				w.ok++
				w.lat = append(w.lat, t1.Sub(t0))
				if w.spec.live != nil {
					w.spec.live.add(t1.Sub(w.win.start), t1.Sub(t0))
				}
			}
		}
	}
}

// do sends one chat request and reads the whole answer.
func (w *worker) do(ctx context.Context) error {
	sent := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.t.url, bytes.NewReader(w.body))
	if err != nil {
		return err
	}
	req.Header["Authorization"] = []string{w.t.auth[(w.id+w.n*w.spec.clients)%len(w.t.auth)]}
	req.Header["Content-Type"] = []string{"application/json"}
	w.n++
	if w.stream {
		req.Header["Accept"] = []string{"text/event-stream"}
	}
	resp, err := w.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return fmt.Errorf("status %d: %s", resp.StatusCode, bytes.TrimSpace(msg))
	}
	if w.stream {
		return w.readStream(resp.Body, sent)
	}
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("reading JSON answer: %w", err)
	}
	if !bytes.Contains(w.buf.Bytes(), []byte(`"choices"`)) {
		return fmt.Errorf("JSON answer without choices: %.120s", w.buf.Bytes())
	}
	return nil
}

var (
	stampPrefix = []byte(fakeupstream.StampPrefix)
	dataPrefix  = []byte("data: ")
	doneLine    = []byte("data: [DONE]")
	errorField  = []byte(`"error":`)
)

// readStream reads SSE events until data: [DONE], checking that the
// stream carried at least the expected chunks and no in-band error. Lines
// longer than the buffer are read in pieces (a default bufio.Scanner would
// fail on them).
func (w *worker) readStream(body io.Reader, sent time.Time) error {
	w.br.Reset(body)
	events, lineStart := 0, true
	var stamp time.Time // of the event being read, if the fake stamped it
	for {
		line, err := w.br.ReadSlice('\n')
		if lineStart {
			switch {
			case bytes.HasPrefix(line, doneLine):
				if events < w.spec.chunks {
					return fmt.Errorf("stream: [DONE] after %d data events, want at least %d", events, w.spec.chunks)
				}
				_, err := io.Copy(io.Discard, w.br)
				return err
			case bytes.HasPrefix(line, stampPrefix):
				stamp, _ = fakeupstream.ParseStamp(line)
			case bytes.HasPrefix(line, dataPrefix):
				events++
				if bytes.Contains(line, errorField) {
					return fmt.Errorf("stream: in-band error: %.120s", line)
				}
				w.timeEvent(events == 1, sent, stamp)
				stamp = time.Time{}
			}
		}
		lineStart = !errors.Is(err, bufio.ErrBufferFull)
		switch {
		case err == nil || errors.Is(err, bufio.ErrBufferFull):
		case errors.Is(err, io.EOF):
			return fmt.Errorf("stream: ended without [DONE] after %d data events", events)
		default:
			return fmt.Errorf("stream: %w", err)
		}
	}
}

// timeEvent records, for a data event read now inside the window, the
// time to the first event of the stream and, when the fake stamped it, how
// long the event took to arrive.
func (w *worker) timeEvent(first bool, sent, stamp time.Time) {
	now := time.Now()
	if !w.win.holds(now) {
		return
	}
	if first {
		w.ttfb = append(w.ttfb, now.Sub(sent))
	}
	if !stamp.IsZero() {
		w.events = append(w.events, now.Sub(stamp))
	}
}
