package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

// tally is what one side counted of the requests of a run.
type tally struct {
	requests, ok, failed, prompt, completion int64
}

func (t tally) minus(o tally) tally {
	return tally{t.requests - o.requests, t.ok - o.ok, t.failed - o.failed, t.prompt - o.prompt, t.completion - o.completion}
}

// upstreamTally is what the fake upstream counted, over all keys.
func upstreamTally(c fakeupstream.Counts) tally {
	return tally{requests: c.Requests, ok: c.OK, failed: c.Failed + c.Canceled, prompt: c.PromptTokens, completion: c.CompletionTokens}
}

// storedTally is what the gateway has written to its database for the
// Ollama provider: GET /admin/stats, the global totals row.
func (g *gatewayProc) storedTally(ctx context.Context) (tally, error) {
	var s struct {
		TotalRequests    int64 `json:"total_requests"`
		SuccessCount     int64 `json:"success_count"`
		FailureCount     int64 `json:"failure_count"`
		PromptTokens     int64 `json:"prompt_tokens"`
		CompletionTokens int64 `json:"completion_tokens"`
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/admin/stats?provider=ollama", nil)
	if err != nil {
		return tally{}, err
	}
	req.Header.Set("Authorization", "Bearer "+g.adminToken)
	if err := doJSON(req, http.StatusOK, &s); err != nil {
		return tally{}, err
	}
	return tally{s.TotalRequests, s.SuccessCount, s.FailureCount, s.PromptTokens, s.CompletionTokens}, nil
}

// flushed is the gateway's statistics once it has written everything.
type flushed struct {
	stored   tally
	recorded int64         // keypool_stats_recorded_total: requests handed to the aggregator
	after    time.Duration // from the call to the stable reading
}

// waitFlushed waits until the gateway has written every pending row: no
// pending rows in /metrics and the stored totals unchanged over one
// STATS_FLUSH_INTERVAL. It gives up after limit.
func (g *gatewayProc) waitFlushed(ctx context.Context, limit time.Duration) (flushed, error) {
	every, err := time.ParseDuration(g.setting("STATS_FLUSH_INTERVAL", "2s"))
	if err != nil || every <= 0 {
		every = 2 * time.Second
	}
	start := time.Now()
	prev, err := g.storedTally(ctx)
	if err != nil {
		return flushed{}, err
	}
	for {
		if !sleepUntil(ctx, time.Now().Add(every+100*time.Millisecond)) {
			return flushed{}, ctx.Err()
		}
		cur, err := g.storedTally(ctx)
		if err != nil {
			return flushed{}, err
		}
		m, err := g.scrapeMetrics(ctx)
		if err != nil {
			return flushed{}, err
		}
		f := flushed{stored: cur, recorded: int64(m["keypool_stats_recorded_total"]), after: time.Since(start)}
		if cur == prev && m["keypool_stats_pending_rows"] == 0 {
			return f, nil
		}
		if time.Since(start) > limit {
			return f, fmt.Errorf("statistics still moving after %s (pending rows %.0f)", limit, m["keypool_stats_pending_rows"])
		}
		prev = cur
	}
}

// statsCheck compares, after a run, what the clients saw, what reached
// the fake upstream and what the gateway stored.
type statsCheck struct {
	clientOK, clientErrs int64
	upstream             tally // delta over the run
	stored               tally // delta over the run
	recorded             int64 // delta over the run
	after                time.Duration
	flushInterval        string
}

// exact reports whether every count agrees.
func (c statsCheck) exact() bool {
	return c.stored == c.upstream && c.stored.ok == c.clientOK && c.stored.requests == c.clientOK+c.clientErrs &&
		c.recorded == c.stored.requests
}

func (c statsCheck) print(w io.Writer) {
	fmt.Fprintf(w, "\nstatistics after the run (stable %.1f s after the last answer; STATS_FLUSH_INTERVAL %s):\n",
		c.after.Seconds(), c.flushInterval)
	const f = "  %-34s %10s %10s %8s %14s %14s\n"
	fmt.Fprintf(w, f, "", "requests", "ok", "failed", "prompt tok", "completion tok")
	fmt.Fprintf(w, f, "clients (answers seen)", fmt.Sprint(c.clientOK+c.clientErrs), fmt.Sprint(c.clientOK), fmt.Sprint(c.clientErrs), "", "")
	row := func(name string, t tally) {
		fmt.Fprintf(w, f, name, fmt.Sprint(t.requests), fmt.Sprint(t.ok), fmt.Sprint(t.failed), fmt.Sprint(t.prompt), fmt.Sprint(t.completion))
	}
	row("fake upstream (counters)", c.upstream)
	row("gateway stored (GET /admin/stats)", c.stored)
	fmt.Fprintf(w, f, "gateway recorded (/metrics)", fmt.Sprint(c.recorded), "", "", "", "")
}
