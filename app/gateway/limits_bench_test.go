package gateway_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/keypool/keypool/app/testkit/redistest"
)

// limitModes are the rate-limit setups compared.
var limitModes = []string{"off", "memory", "redis"}

// BenchmarkRateLimitRedis is the throughput check: chat requests
// through the real HTTP server from parallel clients with the IP limit off,
// in memory, and on Redis (TEST_REDIS_URL); target: redis within 15 % of
// off. The sub-benchmarks run one after the other, so load from elsewhere
// on the machine skews them; "interleaved" runs the three gateways in
// alternating 100 ms slices and reports throughput ratios to off.
//
//	TEST_REDIS_URL=redis://127.0.0.1:6379/0 go test -run '^$' -bench RateLimitRedis -benchtime 3s ./app/gateway/
func BenchmarkRateLimitRedis(b *testing.B) {
	for _, mode := range limitModes {
		b.Run(mode, func(b *testing.B) {
			url, token := limitBenchEnv(b, mode)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
			defer client.CloseIdleConnections()
			b.SetParallelism(8)
			b.ReportAllocs()
			b.ResetTimer()
			p0, r0 := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := benchChat(client, url, token); err != "" {
						b.Error(err)
						return
					}
				}
			})
			p1, r1 := cpuTime(b)
			b.ReportMetric(float64((p1-p0).Microseconds())/float64(b.N), "cpu_µs/req")
			b.ReportMetric(float64((r1-r0).Microseconds())/float64(b.N), "redis_cpu_µs/req")
		})
	}
	b.Run("interleaved", func(b *testing.B) {
		urls, tokens := map[string]string{}, map[string]string{}
		for _, mode := range limitModes {
			urls[mode], tokens[mode] = limitBenchEnv(b, mode)
		}
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256}}
		defer client.CloseIdleConnections()
		done, cpu := map[string]int64{}, map[string]time.Duration{}
		b.ResetTimer()
		for i := range b.N {
			for j := range limitModes {
				mode := limitModes[(i+j)%len(limitModes)] // each mode leads in turn
				p0, r0 := cpuTime(b)
				done[mode] += burst(b, client, urls[mode], tokens[mode], 64, 100*time.Millisecond)
				p1, r1 := cpuTime(b)
				cpu[mode] += p1 - p0 + r1 - r0
			}
		}
		b.StopTimer()
		for _, mode := range limitModes {
			b.ReportMetric(float64(cpu[mode].Microseconds())/float64(done[mode]), "cpu_µs/req_"+mode)
		}
		b.ReportMetric(float64(done["memory"])/float64(done["off"]), "memory/off")
		b.ReportMetric(float64(done["redis"])/float64(done["off"]), "redis/off")
		b.ReportMetric(float64(done["off"])/(float64(b.N)*0.1), "off_req/s")
	})
}

// limitBenchEnv starts a gateway with the rate limit of a mode, returning
// its URL and a client token.
func limitBenchEnv(b *testing.B, mode string) (string, string) {
	b.Helper()
	env := map[string]string{"DISABLE_OPENROUTER": "true", "STATS_ENABLED": "false"}
	if mode != "off" {
		env["ENABLE_RATE_LIMIT"] = "true"
		env["RATE_LIMIT_REQUESTS"] = "1000000000" // counted, never reached
	}
	if mode == "redis" {
		env["REDIS_URL"] = redistest.URL(b)
	}
	e := newTestEnv(b, "sqlite", env)
	e.importKeys("ollama", "sk-bench-limit-1-0123456789", "sk-bench-limit-2-0123456789")
	return e.url, e.createToken("ollama")
}

// cpuTime is the CPU time of this process (gateway, clients and fake
// upstream alike) and of the redis-server whose port TEST_REDIS_URL names,
// when it runs on this machine: the cost of a request wherever it is spent.
func cpuTime(b *testing.B) (proc, redis time.Duration) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	proc = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	u, err := url.Parse(os.Getenv("TEST_REDIS_URL"))
	if err != nil || u.Port() == "" {
		return proc, 0
	}
	out, err := exec.Command("pgrep", "-f", "redis-server .*:"+u.Port()).Output()
	if err != nil {
		return proc, 0
	}
	stat, err := os.ReadFile("/proc/" + strings.Fields(string(out))[0] + "/stat")
	if err != nil {
		return proc, 0
	}
	f := strings.Fields(string(stat))
	ut, _ := strconv.Atoi(f[13])
	st, _ := strconv.Atoi(f[14])
	return proc, time.Duration(ut+st) * 10 * time.Millisecond // clock ticks of 10 ms
}

// burst sends requests from conc clients for d and returns how many were answered.
func burst(b *testing.B, client *http.Client, url, token string, conc int, d time.Duration) int64 {
	var n atomic.Int64
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				if err := benchChat(client, url, token); err != "" {
					b.Error(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	return n.Load()
}

// benchChat sends one non-stream chat request and reads the answer.
func benchChat(client *http.Client, url, token string) string {
	const body = `{"model":"gpt-oss:120b","stream":false,"messages":[{"role":"user","content":"hello"}]}`
	req, _ := http.NewRequest("POST", url+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return err.Error()
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "status " + resp.Status
	}
	return ""
}
