package metrics

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/keypool/keypool/app/cluster"
	"github.com/keypool/keypool/app/pool"
	"github.com/keypool/keypool/app/stats"
)

// scrape writes m in the text format and parses it back, as Prometheus would.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	var buf bytes.Buffer
	if err := m.WriteText(&buf); err != nil {
		t.Fatal(err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(&buf)
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, buf.String())
	}
	return fams
}

// value finds the sample of a family whose labels include want.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) (float64, bool) {
	mf := fams[name]
	if mf == nil {
		return 0, false
	}
next:
	for _, m := range mf.Metric {
		labels := map[string]string{}
		for _, l := range m.Label {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue(), true
		case m.Gauge != nil:
			return m.Gauge.GetValue(), true
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount()), true
		}
	}
	return 0, false
}

func TestMetricsRequestsAndCap(t *testing.T) {
	t.Parallel()
	m := New(3)
	p := m.Provider("ollama")
	if m.Provider("ollama") != p {
		t.Fatal("Provider is not resolved once")
	}
	for range 5 {
		p.Request("gpt-oss:120b", 200)
	}
	p.Request("gpt-oss:120b", 429)
	p.Request("", 200)
	p.Request("b", 200)
	p.Request("c", 200) // the third name: still its own
	p.Request("d", 200) // past the cap
	p.Request("e\x00", 200)
	p.Upstream(30 * time.Millisecond)
	p.Retry()
	m.RateLimited(ScopeIP)
	m.RateLimited(ScopeIP)
	m.RateLimited(ScopeTokenRPM)
	m.CacheHit()
	p.CacheLookup(true)
	p.CacheLookup(false)
	fams := scrape(t, m)
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"keypool_requests_total", map[string]string{"model": "gpt-oss:120b", "status": "200"}, 5},
		{"keypool_requests_total", map[string]string{"model": "gpt-oss:120b", "status": "429"}, 1},
		{"keypool_requests_total", map[string]string{"model": "none"}, 1},
		{"keypool_requests_total", map[string]string{"model": "c"}, 1},
		{"keypool_requests_total", map[string]string{"model": "other"}, 2},
		{"keypool_upstream_latency_seconds", map[string]string{"provider": "ollama"}, 1},
		{"keypool_retries_total", map[string]string{"provider": "ollama"}, 1},
		{"keypool_rate_limited_total", map[string]string{"scope": "ip"}, 2},
		{"keypool_rate_limited_total", map[string]string{"scope": "token_tpm"}, 0},
		{"keypool_cache_hits_total", nil, 2},
		{"keypool_cache_misses_total", nil, 1},
	}
	for _, tt := range tests {
		if got, ok := value(fams, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if _, ok := value(fams, "keypool_requests_total", map[string]string{"model": "d"}); ok {
		t.Error("a model past the cap has its own series")
	}
	if _, ok := fams["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}
}

type fakePool pool.Counts

func (f fakePool) Counts() pool.Counts { return pool.Counts(f) }

type fakeStats stats.Status

func (f fakeStats) Status() stats.Status { return stats.Status(f) }

func TestMetricsStateCollector(t *testing.T) {
	t.Parallel()
	m := New(0)
	m.WatchState(map[string]PoolCounter{
		"ollama":     fakePool{Total: 5, Active: 3, Failed: 1, Disabled: 1, CoolingDown: 1, Available: 2},
		"openrouter": fakePool{Total: 1, Expired: 1},
	}, fakeStats{Recorded: 42, PendingRows: 7, FlushLagSecs: 1.5, FailedFlush: 2})
	fams := scrape(t, m)
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"keypool_keys", map[string]string{"provider": "ollama", "state": "total"}, 5},
		{"keypool_keys", map[string]string{"provider": "ollama", "state": "available"}, 2},
		{"keypool_keys", map[string]string{"provider": "ollama", "state": "cooling_down"}, 1},
		{"keypool_keys", map[string]string{"provider": "openrouter", "state": "expired"}, 1},
		{"keypool_stats_pending_rows", nil, 7},
		{"keypool_stats_flush_lag_seconds", nil, 1.5},
		{"keypool_stats_failed_flushes_total", nil, 2},
		{"keypool_stats_recorded_total", nil, 42},
	} {
		if got, ok := value(fams, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	m2 := New(0)
	m2.WatchState(map[string]PoolCounter{"ollama": fakePool{}}, nil)
	if _, ok := scrape(t, m2)["keypool_stats_pending_rows"]; ok {
		t.Error("statistics metrics without an aggregator")
	}
}

type fakeCluster struct {
	n  cluster.Counts
	st cluster.Status
}

func (f fakeCluster) Counts() cluster.Counts { return f.n }
func (f fakeCluster) Status() cluster.Status { return f.st }

func TestMetricsClusterCollector(t *testing.T) {
	t.Parallel()
	m := New(0)
	m.WatchCluster(fakeCluster{n: cluster.Counts{Sent: 3, Received: 5, Lost: 1}, st: cluster.Status{Bus: "redis", Listening: true}})
	fams := scrape(t, m)
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"keypool_cluster_messages_total", map[string]string{"direction": "sent"}, 3},
		{"keypool_cluster_messages_total", map[string]string{"direction": "received"}, 5},
		{"keypool_cluster_messages_total", map[string]string{"direction": "lost"}, 1},
		{"keypool_cluster_listening", map[string]string{"bus": "redis"}, 1},
	} {
		if got, ok := value(fams, tt.name, tt.labels); !ok || got != tt.want {
			t.Errorf("%s%v = %v (found %v), want %v", tt.name, tt.labels, got, ok, tt.want)
		}
	}
}

// The hot path: a known series is a map read and an atomic add.
func TestMetricsRequestAllocs(t *testing.T) {
	m := New(0)
	p := m.Provider("ollama")
	p.Request("gpt-oss:120b", 200)
	if n := testing.AllocsPerRun(1000, func() { p.Request("gpt-oss:120b", 200); p.Upstream(time.Millisecond) }); n != 0 {
		t.Fatalf("%v allocations per request", n)
	}
}

func BenchmarkRequest(b *testing.B) {
	m := New(0)
	p := m.Provider("ollama")
	models := make([]string, 8)
	for i := range models {
		models[i] = fmt.Sprint("model-", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			p.Request(models[i%len(models)], 200)
			i++
		}
	})
}

// Every Keypool metric is in the README's table.
func TestREADMEListsEveryMetric(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := New(0)
	m.WatchState(map[string]PoolCounter{"ollama": fakePool{}}, fakeStats{})
	m.WatchCluster(fakeCluster{})
	p := m.Provider("ollama")
	p.Request("m", 200)
	p.Upstream(time.Millisecond)
	p.Retry()
	p.RateLimited(ScopeIP)
	p.CacheLookup(true)
	p.CacheLookup(false)
	n := 0
	for name := range scrape(t, m) {
		if !strings.HasPrefix(name, "keypool_") {
			continue
		}
		n++
		if !bytes.Contains(readme, []byte("`"+name)) {
			t.Errorf("README.md does not list %s", name)
		}
	}
	if n < 10 {
		t.Errorf("only %d keypool_ metrics scraped", n)
	}
}
