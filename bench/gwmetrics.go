package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// scrapeMetrics reads the gateway's /metrics (Prometheus text format) into
// a map from series, as written (name and labels), to value.
func (g *gatewayProc) scrapeMetrics(ctx context.Context) (map[string]float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	if g.metricsToken != "" {
		req.Header.Set("Authorization", "Bearer "+g.metricsToken)
	}
	// Its own connection, closed after the scrape: the bench must not add
	// an idle connection to the gateway's count.
	req.Close = true
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape /metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape /metrics: status %d", resp.StatusCode)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		if v, err := strconv.ParseFloat(line[i+1:], 64); err == nil {
			out[line[:i]] = v
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("scrape /metrics: %w", err)
	}
	return out, nil
}

// footprint is the gateway's size at one moment.
type footprint struct {
	goroutines int     // go_goroutines from /metrics; -1 when the scrape failed
	rssMB      float64 // VmRSS from /proc
	mem        goMemory
}

// goMemory is where the gateway's Go runtime says its memory is, in MB,
// from the go_memstats_* series of /metrics: what RSS above the cold
// figure is made of.
type goMemory struct {
	ok          bool
	heapObjects float64 // heap_alloc: live objects, and garbage not yet swept
	heapUnused  float64 // heap_inuse − heap_alloc: free slots in pages that hold objects
	heapFree    float64 // heap_idle − heap_released: free pages not yet returned to the system
	stacks      float64 // stack_inuse
	metadata    float64 // span, cache, profiling and GC metadata, other runtime memory (as reserved)
}

func readGoMemory(m map[string]float64) goMemory {
	v := func(name string) float64 { return m["go_memstats_"+name+"_bytes"] / (1 << 20) }
	if _, ok := m["go_memstats_heap_alloc_bytes"]; !ok {
		return goMemory{}
	}
	return goMemory{
		ok:          true,
		heapObjects: v("heap_alloc"),
		heapUnused:  v("heap_inuse") - v("heap_alloc"),
		heapFree:    v("heap_idle") - v("heap_released"),
		stacks:      v("stack_inuse"),
		metadata:    v("mspan_sys") + v("mcache_sys") + v("buck_hash_sys") + v("gc_sys") + v("other_sys"),
	}
}

// total is the part of RSS the Go runtime accounts for.
func (g goMemory) total() float64 {
	return g.heapObjects + g.heapUnused + g.heapFree + g.stacks + g.metadata
}

// footprint reads the gateway's goroutines and resident memory now.
func (g *gatewayProc) footprint(ctx context.Context) footprint {
	f := footprint{goroutines: -1, rssMB: g.rssMB()}
	if m, err := g.scrapeMetrics(ctx); err == nil {
		if v, ok := m["go_goroutines"]; ok {
			f.goroutines = int(v)
		}
		f.mem = readGoMemory(m)
	}
	return f
}

func (f footprint) String() string {
	return fmt.Sprintf("%d goroutines, %.1f MB", f.goroutines, f.rssMB)
}

// peakWatch samples the gateway's footprint every interval until stopped
// and keeps the largest figures.
type peakWatch struct {
	stop chan struct{}
	done chan footprint
}

func watchPeak(ctx context.Context, g *gatewayProc, every time.Duration) *peakWatch {
	w := &peakWatch{stop: make(chan struct{}), done: make(chan footprint, 1)}
	go func() {
		peak := footprint{goroutines: -1}
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			f := g.footprint(ctx)
			peak.goroutines, peak.rssMB = max(peak.goroutines, f.goroutines), max(peak.rssMB, f.rssMB)
			select {
			case <-t.C:
			case <-w.stop:
				w.done <- peak
				return
			case <-ctx.Done():
				w.done <- peak
				return
			}
		}
	}()
	return w
}

// end stops the sampling and returns the peak.
func (w *peakWatch) end() footprint {
	close(w.stop)
	return <-w.done
}
