package gateway_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/keypool/keypool/app/testkit/fakeupstream"
)

const metricsToken = "test-metrics-token-0123456789"

// scrapeMetrics gets /metrics with the token and parses it with
// Prometheus's text parser.
func scrapeMetrics(t *testing.T, e *testEnv) map[string]*dto.MetricFamily {
	t.Helper()
	return scrapeMetricsAt(t, e.url)
}

// scrapeMetricsAt scrapes the instance at base.
func scrapeMetricsAt(t *testing.T, base string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics is not Prometheus text: %v", err)
	}
	return fams
}

// sample returns the value of the series of a family whose labels include
// want (a histogram's sample count); -1 when there is none.
func sample(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	mf := fams[name]
	if mf == nil {
		return -1
	}
next:
	for _, m := range mf.Metric {
		for _, l := range m.Label {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// The counters of /metrics match the requests sent: proxied requests by
// model and status, upstream attempts, the failover after a 401, the
// request refused by the IP limit, and the pool's keys by state.
func TestMetricsMatchRequests(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, "sqlite", map[string]string{"ENABLE_RATE_LIMIT": "true", "RATE_LIMIT_REQUESTS": "7",
		"METRICS_TOKEN": metricsToken, "DISABLE_OPENROUTER": "true"})
	bad, good := "sk-metrics-bad-0123456789", "sk-metrics-good-0123456789"
	e.importKeys("ollama", bad, good)
	e.fake.SetFault(bad, fakeupstream.Fault{Status: 401})
	token := e.createToken("ollama")

	// Without the token /metrics is refused, and it is no client route.
	if status, _, _ := e.do("GET", "/metrics", "", nil); status != http.StatusUnauthorized {
		t.Fatalf("/metrics without the token: %d", status)
	}
	awayFromWindowEdge(t)
	for i := range 3 {
		if status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false)); status != http.StatusOK {
			t.Fatalf("request %d: %d %s", i, status, body)
		}
	}
	stream := map[string]any{"model": "qwen3-coder:480b", "stream": true, "messages": []map[string]string{{"role": "user", "content": "hi"}}}
	for i := range 2 {
		if status, body, _ := e.do("POST", chatPath("ollama"), token, stream); status != http.StatusOK {
			t.Fatalf("stream %d: %d %s", i, status, body)
		}
	}
	if status, body, _ := e.do("POST", chatPath("ollama"), "wrong-token", chatBody(false)); status != http.StatusUnauthorized {
		t.Fatalf("bad token: %d %s", status, body) // not proxied: no request series
	}
	if status, body, _ := e.do("POST", chatPath("ollama"), token, chatBody(false)); status != http.StatusOK {
		t.Fatalf("7th: %d %s", status, body)
	}
	if status, _, _ := e.do("POST", chatPath("ollama"), token, chatBody(false)); status != http.StatusTooManyRequests {
		t.Fatalf("8th: %d, want 429", status)
	}

	var fams map[string]*dto.MetricFamily
	ollama := func(more map[string]string) map[string]string {
		l := map[string]string{"provider": "ollama"}
		for k, v := range more {
			l[k] = v
		}
		return l
	}
	// A stream is counted when its exchange closes, just after the client read it.
	eventually(t, 5*time.Second, "streams counted", func() bool {
		fams = scrapeMetrics(t, e)
		return sample(fams, "keypool_requests_total", ollama(map[string]string{"model": "qwen3-coder:480b"})) == 2
	})
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"keypool_requests_total", ollama(map[string]string{"model": "gpt-oss:120b", "status": "200"}), 4},
		{"keypool_requests_total", ollama(map[string]string{"model": "qwen3-coder:480b", "status": "200"}), 2},
		{"keypool_retries_total", ollama(nil), 1},                // the 401 key, tried once, then failed
		{"keypool_upstream_latency_seconds", ollama(nil), 6 + 1}, // every attempt
		{"keypool_rate_limited_total", map[string]string{"scope": "ip"}, 1},
		{"keypool_rate_limited_total", map[string]string{"scope": "token_rpm"}, 0},
		{"keypool_keys", ollama(map[string]string{"state": "total"}), 2},
		{"keypool_keys", ollama(map[string]string{"state": "failed"}), 1},
		{"keypool_keys", ollama(map[string]string{"state": "available"}), 1},
		{"keypool_cache_hits_total", nil, 0},
	} {
		if got := sample(fams, tt.name, tt.labels); got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if got := e.fake.Total().Requests; got != 7 {
		t.Errorf("the upstream saw %d attempts, want 7", got)
	}
	eventually(t, 5*time.Second, "statistics flushed", func() bool {
		fams = scrapeMetrics(t, e)
		return sample(fams, "keypool_stats_recorded_total", nil) == 6 && sample(fams, "keypool_stats_pending_rows", nil) == 0
	})
	if lag := sample(fams, "keypool_stats_flush_lag_seconds", nil); lag < 0 || lag > 30 {
		t.Errorf("flush lag %v", lag)
	}
}
